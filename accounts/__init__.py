"""Staff accounts: officers, supervisors and administrators, and their API tokens."""
