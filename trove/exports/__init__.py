"""Versioned dataset exports: selection, archives, deletion lists and recorded uses."""
