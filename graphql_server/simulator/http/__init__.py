"""The simulated cluster's HTTP face: the Kubernetes API, watch streams and ``/_sim/`` hooks.

Owns the aiohttp application (``server``), resource routes (``routes``), watch
streams (``streams``), discovery documents (``discovery``), Table rendering
(``tables``), request/response encoding (``wire``) and the fault hooks
(``admin``). Everything here is typed against
:class:`~graphql_server.simulator.http.model.ClusterModel` and must not import
the concrete cluster, nor hold cluster state of its own.
"""
