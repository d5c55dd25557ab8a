"""The course catalogue: modules and their immutable versions, lessons, question banks
and the certificate program, loaded from ``content/manual_modules``."""
