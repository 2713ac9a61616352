"""A simulated Kubernetes cluster that speaks the real HTTP API.

It serves discovery, CRUD, lists with pagination and watches with resourceVersions,
bookmarks and 410 Gone, selectors and CRDs, OpenAPI v2/v3, strategic merge patch,
server-side apply with managedFields, the scale subresource, Tables and self-subject
reviews, over aiohttp, to any Kubernetes client (kubectl included). It
powers ``serve --demo``, the tests and the benchmarks. Start one in-process with
``async with SimulatedCluster(...).serving() as running``, or run
:func:`run_simulator` for the ``simulate`` CLI verb. Nothing here imports a Kubernetes
client library.

Layout: the model (``cluster``'s :class:`SimulatedCluster` facade over ``state``,
``core``, ``served``, ``store``, ``objects``, ``history``, ``crds``, ``selectors``,
``patching``, ``strategic``, ``applying``, ``managed``, ``admission``, ``defaults``,
``scaling``, ``schemas``, ``listing``, ``watching``, ``faults``), the HTTP layer
(``simulator.http``, typed only against its ``ClusterModel`` protocol) and the
populators (``simulator.populating``: population, seeding, churn). The model never
imports the HTTP layer; only the facade starts a server.
"""

from graphql_server.simulator.catalogue import (
    BUILTIN_RESOURCES,
    ResourceType,
    builtin_by_key,
    builtin_catalogue,
)
from graphql_server.simulator.cluster import SimulatedCluster
from graphql_server.simulator.http.server import RunningSimulator, serve
from graphql_server.simulator.kubeconfig import kubeconfig_dict, write_kubeconfig
from graphql_server.simulator.populating.churn import Churn
from graphql_server.simulator.populating.population import WIDGET_CRD, widget_crd
from graphql_server.simulator.populating.seeding import (
    DECOY_IMAGE,
    GRAFANA_IMAGE,
    PROMETHEUS_IMAGE,
    seed,
)
from graphql_server.simulator.runner import run_simulator
from graphql_server.simulator.status import ApiError

__all__ = [
    "BUILTIN_RESOURCES",
    "DECOY_IMAGE",
    "GRAFANA_IMAGE",
    "PROMETHEUS_IMAGE",
    "WIDGET_CRD",
    "ApiError",
    "Churn",
    "ResourceType",
    "RunningSimulator",
    "SimulatedCluster",
    "builtin_by_key",
    "builtin_catalogue",
    "kubeconfig_dict",
    "run_simulator",
    "seed",
    "serve",
    "widget_crd",
    "write_kubeconfig",
]
