"""Cross-cutting pages and commands: dashboard, health, API docs, language, demo data."""
