"""How operations reach the schema and leave it: execution shortcuts, the parser cache,
shared subscription executions and feeds, the websocket protocols and operation metrics.

Holds no schema type and no domain logic: nothing here knows what a cluster, a
connection or a model is, and nothing here reads the store.
"""
