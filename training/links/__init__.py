"""The external course registry (IOM's virtual course first)."""
