"""Stateless UI pieces: functions of state vars, no logic beyond display."""
