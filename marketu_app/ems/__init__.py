"""Kazpost EMS tracking: API client, poller, Kazpost-format simulator."""
