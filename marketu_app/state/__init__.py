"""Reflex states: a small base (locale, auth) and one module per page."""
