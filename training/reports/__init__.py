"""Reports: read-only figures on learning, for a ministry's coordinators (named people of
their own ministry) and for the CRM Technical Secretariat (counts and rates only)."""
