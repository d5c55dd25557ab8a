"""Learning progress per lesson, module and program, and the learning event log (xAPI)."""
