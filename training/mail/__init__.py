"""Outgoing mail: SMTP when configured, and always a copy in the outbox table."""
