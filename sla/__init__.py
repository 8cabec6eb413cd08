"""Deadline policies, working-hours calendars, the sweep, escalations and sanction records."""
