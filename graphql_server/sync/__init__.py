"""Keeping the store in step with clusters: watch supervision and the batching writer.

The core, here: turning objects into rows (``rows``), one cluster's reflectors
(``clusters``), connecting a cluster (``connecting``: the one connect sequence),
the supervisor of the clusters synced (``supervisor``), typed commands
(``commands``), the batching writer (``writer``), the status tracker (``status``),
the stats snapshot (``stats``) and the service putting them together (``service``).
Scale-out parts live in ``sync.scaleout``, the connection lifecycle in
``sync.connections``. Never imports ``graphql_server.api``.
"""
