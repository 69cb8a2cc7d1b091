"""Marketu Tracker: parcel and order tracking for Marketu's customers."""
