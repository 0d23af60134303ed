"""Threaded questions and answers on each project."""
