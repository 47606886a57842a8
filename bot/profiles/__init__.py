"""Profiles a person builds in a guided flow, with consent: the education profile (issue 13)."""
