"""Contributions: uploads, the media job that strips and stores them, and "My photos"."""
