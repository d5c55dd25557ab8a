"""Quiz attempts: drawn, frozen, timed and graded on the server."""
