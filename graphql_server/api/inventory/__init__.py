"""The inventory schema: clusters, sync status and resources (types, filter inputs,
queries, mutations, live subscriptions and counts).

Reads the store through batched loaders and the broker for live events; the only write
it asks for is a cluster command on the broker. Holds no connection or registry type.
"""
