"""Contests alongside pay: prizes drawn by a committed, reproducible random draw."""
