"""Certificates: issued once, numbered per ministry, signed, verifiable by anyone."""
