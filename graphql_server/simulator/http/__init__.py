"""The simulated cluster's HTTP face: the Kubernetes API, watch streams and ``/_sim/`` hooks.

Owns the aiohttp application (``server``), resource routes (``routes``), watch
streams (``streams``), discovery documents (``discovery``), OpenAPI documents
(``openapi``), Table rendering (``tables``, with per-kind columns in ``printers``), the
scale subresource (``scale``), self-subject reviews (``reviews``), field validation
(``fields``), request/response encoding (``wire``, protobuf bodies in ``protobuf``),
the service proxy (``service_proxy``) and the built-in Prometheus and Grafana behind it
(``monitoring``), and the fault hooks (``admin``). Everything here is typed against
:class:`~graphql_server.simulator.http.model.ClusterModel` and must not import
the concrete cluster, nor hold cluster state of its own.
"""
