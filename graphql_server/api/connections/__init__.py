"""The connections schema: connections, credentials, environments, connection
definitions and the event log (types, inputs, queries, mutations, subscriptions).

Translates GraphQL into calls of ``graphql_server.services`` and records into types;
it never writes the store, probes a target or publishes itself, and no type here can
select a secret value.
"""
