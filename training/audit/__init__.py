"""The append-only log of privileged actions."""
