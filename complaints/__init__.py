"""Tickets, residents, messages, routing, the public intake and the officer API."""
