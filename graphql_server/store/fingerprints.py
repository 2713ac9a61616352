"""Reads of one namespace for service fingerprinting: its Services, Prometheus
resources and pod-running workloads, and a few of the Pods a selector picks.

Every read is narrowed by cluster, kind and namespace (the resources table's
``(cluster_id, kind, namespace, name)`` index serves it), so its cost follows the
namespace or the handful of objects asked for, never the size of the cluster.
Objects come back in the shape the Kubernetes API returns them. ``rows_read``
counts every row these reads returned, so that callers can be held to that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql_server.labels import Operator, Requirement
from graphql_server.store.database import Database
from graphql_server.store.dialect import Params, json_value, label_predicate

WORKLOAD_KINDS = ("DaemonSet", "Deployment", "ReplicaSet", "ReplicationController", "StatefulSet")
OBJECT_COLUMNS = (
    "api_version, kind, namespace, name, uid, labels, annotations, owner_references, spec, status"
)
KubeObject = dict[str, Any]


def as_object(row: Mapping[str, Any]) -> KubeObject:
    """A stored row back in the shape the Kubernetes API returns it."""
    return {
        "apiVersion": row["api_version"],
        "kind": row["kind"],
        "metadata": {
            "name": row["name"],
            "namespace": row["namespace"],
            "uid": row["uid"],
            "labels": json_value(row["labels"]) or {},
            "annotations": json_value(row["annotations"]) or {},
            "ownerReferences": json_value(row["owner_references"]) or [],
        },
        "spec": json_value(row["spec"]) or {},
        "status": json_value(row["status"]) or {},
    }


class FingerprintReads:
    """Narrow, indexed reads of the objects that fingerprinting looks at."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.rows_read = 0

    async def services(
        self, cluster_id: str, namespace: str | None = None, names: Sequence[str] | None = None
    ) -> list[KubeObject]:
        """The Services of a cluster, of one namespace, or only those ``names`` of it."""
        if names is not None and not names:
            return []
        return await self._objects(cluster_id, ("Service",), namespace, names)

    async def prometheuses(self, cluster_id: str, namespace: str | None = None) -> list[KubeObject]:
        """Prometheus Operator ``Prometheus`` resources of a cluster (or one namespace)."""
        found = await self._objects(cluster_id, ("Prometheus",), namespace)
        return [o for o in found if str(o["apiVersion"]).startswith("monitoring.coreos.com/")]

    async def workloads(
        self, cluster_id: str, namespace: str, selector: Mapping[str, str] | None = None
    ) -> list[KubeObject]:
        """The objects with a pod template in one namespace (not their Pods); with a
        ``selector``, only those whose pod template it picks."""
        if selector is None:
            return await self._objects(cluster_id, WORKLOAD_KINDS, namespace)
        return await self._selected(cluster_id, WORKLOAD_KINDS, namespace, selector, None)

    async def pods(
        self, cluster_id: str, namespace: str, selector: Mapping[str, str], limit: int
    ) -> list[KubeObject]:
        """At most ``limit`` Pods of one namespace whose labels ``selector`` picks."""
        return await self._selected(cluster_id, ("Pod",), namespace, selector, limit)

    async def candidate_namespaces(self, cluster_id: str, words: Sequence[str]) -> set[str]:
        """Namespaces holding a Service, workload, Pod or ``Prometheus`` whose spec, labels
        or owners mention one of ``words`` (any case): the only ones where fingerprints
        can find something. One pass of the database over text, no object decoded."""
        params = Params(self.database.dialect)
        kinds = ("Service", "Pod", "Prometheus", *WORKLOAD_KINDS)
        where = self._scope(params, cluster_id, kinds, None)
        if self.database.dialect == "sqlite":
            columns, like = ("spec", "labels", "owner_references"), "LIKE"  # ASCII: any case
        else:
            columns, like = ("spec::text", "labels::text", "owner_references::text"), "ILIKE"
        mentions = " OR ".join(
            f"{column} {like} {params(f'%{word}%')}" for word in words for column in columns
        )
        sql = (
            f"SELECT DISTINCT namespace FROM resources WHERE {where} "
            f"AND (kind = 'Prometheus' OR {mentions})"
        )
        _, rows = await self.database.reader().execute_query(sql, params.values)
        self.rows_read += len(rows)
        return {str(row["namespace"]) for row in rows}

    async def _selected(
        self,
        cluster_id: str,
        kinds: Sequence[str],
        namespace: str,
        selector: Mapping[str, str],
        limit: int | None,
    ) -> list[KubeObject]:
        if not selector:
            return []
        params = Params(self.database.dialect)
        if kinds == ("Pod",):
            column = "labels"
        elif self.database.dialect == "sqlite":
            column = "json_extract(spec, '$.template.metadata.labels')"
        else:
            column = "(spec -> 'template' -> 'metadata' -> 'labels')"
        where = self._scope(params, cluster_id, kinds, namespace)
        picks = [
            label_predicate(params, Requirement(key, Operator.EQUALS, (value,)), column)
            for key, value in sorted(selector.items())
        ]
        sql = f"SELECT {OBJECT_COLUMNS} FROM resources WHERE {where} AND {' AND '.join(picks)}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return await self._run(sql, params.values)

    async def _objects(
        self,
        cluster_id: str,
        kinds: Sequence[str],
        namespace: str | None,
        names: Sequence[str] | None = None,
    ) -> list[KubeObject]:
        params = Params(self.database.dialect)
        where = self._scope(params, cluster_id, kinds, namespace)
        if names is not None:
            where += f" AND name IN ({', '.join(params(n) for n in names)})"
        sql = f"SELECT {OBJECT_COLUMNS} FROM resources WHERE {where}"
        return await self._run(sql, params.values)

    @staticmethod
    def _scope(params: Params, cluster_id: str, kinds: Sequence[str], namespace: str | None) -> str:
        where = (
            f"cluster_id = {params(cluster_id)} AND kind IN ({', '.join(params(k) for k in kinds)})"
        )
        if namespace is not None:
            where += f" AND namespace = {params(namespace)}"
        return where

    async def _run(self, sql: str, values: list[Any]) -> list[KubeObject]:
        _, rows = await self.database.reader().execute_query(sql, values)
        self.rows_read += len(rows)
        return [as_object(row) for row in rows]
