"""Cohorts: a ministry's group of learners on a program, with dates and a deadline."""
