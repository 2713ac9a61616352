"""Watch requests over HTTP: from query parameters to a chunked stream of events.

Owns reading a watch request (resourceVersion, timeoutSeconds, allowWatchBookmarks,
sendInitialEvents, selectors), starting its :class:`Watcher` from the right point (the
current state, the retained history, a 410 ERROR event when the version is too
old, a 504 when it is newer than this server's), and running the chunked response
until the stream ends, is dropped, or the peer goes away. Clients asking for Tables
(``kubectl get -w``) get each object as one.
"""

from __future__ import annotations

from aiohttp import web

from graphql_server.simulator.catalogue import ResourceType
from graphql_server.simulator.history import error_line
from graphql_server.simulator.http.model import ClusterModel
from graphql_server.simulator.http.tables import table_events, wants_table
from graphql_server.simulator.http.wire import JSON, crd_of, flag, query_int, selectors
from graphql_server.simulator.selectors import parse_field_selector
from graphql_server.simulator.status import bad_request, too_large, too_old
from graphql_server.simulator.watching import Watcher


async def serve_watch(
    cluster: ClusterModel,
    request: web.Request,
    rtype: ResourceType,
    namespace: str | None,
    name: str | None,
) -> web.StreamResponse:
    query = request.query
    labels, fields = selectors(request, rtype)
    if name is not None:
        fields = parse_field_selector(f"metadata.name={name}", rtype.kind)
    timeout = query_int(query, "timeoutSeconds")
    if timeout is None or timeout <= 0:
        timeout = int(cluster.watch_timeout)
    rv_param = query.get("resourceVersion", "")
    send_initial = flag(query.get("sendInitialEvents"))
    bookmarks = flag(query.get("allowWatchBookmarks"))
    if not rtype.namespaced:
        namespace = None
    start_rv = 0
    if rv_param not in ("", "0"):
        try:
            start_rv = int(rv_param)
        except ValueError:
            raise bad_request(f'invalid resourceVersion "{rv_param}"') from None
    if start_rv > cluster.rv and not send_initial:
        raise too_large(start_rv, cluster.rv)
    watcher = Watcher(cluster.hub, rtype, namespace, labels, fields, lambda: cluster.rv)
    if start_rv and not send_initial and start_rv < cluster.history.floor:
        watcher.end(error_line(too_old(start_rv, cluster.history.floor).status_object()))
    elif start_rv == 0 or send_initial:
        for entry in cluster.store(rtype).sorted_entries(namespace):
            watcher.offer_initial(entry)
        if send_initial and bookmarks:
            watcher.bookmark(initial_events_end=True)
    else:
        for event in cluster.history.since(start_rv):
            if event.key == rtype.key:
                watcher.offer(event)
    if not watcher.ended:
        cluster.hub.register(watcher)
        watcher.start_timers(timeout, cluster.bookmark_interval if bookmarks else None)
    response = web.StreamResponse(status=200, headers={"Content-Type": JSON})
    response.enable_chunked_encoding()
    transport = request.transport
    if transport is not None:
        watcher.on_abort = transport.abort
    try:
        await response.prepare(request)
        if wants_table(request.headers.get("Accept", "")):
            include, crd = query.get("includeObject", "Metadata"), crd_of(cluster, rtype)

            async def write_tables(data: bytes) -> None:
                await response.write(table_events(data, rtype, include, crd))

            await watcher.pump(write_tables)
        else:
            await watcher.pump(response.write)
        if watcher.aborted:
            if request.transport is not None:
                request.transport.abort()
            return response
        await response.write_eof()
    finally:
        watcher.close()
    return response
