"""One-shot inventory of a cluster: ``graphql-server snapshot``.

Discovers and lists every resource type of one cluster and writes the objects,
with their component metadata, as NDJSON, showing progress as it goes. It needs
no server and no database. ``taking`` does the work, ``progress`` shows it,
``command`` is the CLI verb. Importing this package imports nothing else.
"""
