"""WSGI entry point: ``gunicorn wsgi:app``."""

from trove import create_app

app = create_app()
