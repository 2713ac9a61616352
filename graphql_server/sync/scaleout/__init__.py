"""The scale-out sync: discovery agents and ``serve`` replicas sharing NATS JetStream.

Owns the operations stream's messages (``operations``), publishing a cluster's
operations under its lease (``publishing``), the store writer applying the stream
(``applying``), the scale-out parts a ``serve`` replica's sync service is composed
with (``replica``) and the agent process (``agent``). Builds on the core sync
(``graphql_server.sync``); the core must not import this package.
"""
