"""The application layer between the API and the store: registration, connections,
credentials, environments, notices and connectivity probing.

Owns what a request does beyond reading: the order of steps, the transaction around a
multi-step write, connectivity probes, the event log entries and what is announced on
the broker. Knows nothing of GraphQL (no strawberry here): callers pass plain values
and get store records back. Never puts a secret into a message, an event or a log line.
"""
