"""Ministries (the tenants) and their posts."""
