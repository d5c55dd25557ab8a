"""WSGI entry point: ``gunicorn -w 4 'wsgi:app'`` or ``flask --app wsgi run``."""

from training import create_app

app = create_app()
