"""Kubernetes access: clients, discovery, watching and kubeconfig documents.

The only user of kubernetes_asyncio. Owns the project's one
:class:`~graphql_server.kube.resource_types.ResourceType` (a data-only leaf the
simulator shares), the one kubeconfig parser and inline-kubeconfig safety policy
(``kubeconfig``, used by the connection probes and the sync), client construction
(``client``, ``config``, ``credentials``), discovery and the reflector
(``watching``). It must not import the store, the API, the sync or the simulator.
"""
