// Inventory: clusters with their sync status per resource type (live through
// syncStatus), and resources with filters, keyset pages, owners and children
// (live through resourceEvents).
import { useState } from "preact/hooks";
import { gql, useSubscription } from "./api.js";
import { Icon } from "./icons.jsx";
import { CLUSTERS, FACETS, RESOURCE_EVENTS, RESOURCE_TREE, RESOURCES, SYNC_STATUS } from "./queries.js";
import { Chip, Empty, ErrorText, Time, useLoad } from "./ui.jsx";

function Clusters({ clusters, onSync }) {
  useSubscription(SYNC_STATUS, {}, (data) => onSync(data.syncStatus));
  if (!clusters.length) return <Empty>No cluster is synced.</Empty>;
  return (
    <div class="cards">
      {clusters.map((c) => (
        <article key={c.id} class="card" aria-labelledby={`cluster-${c.id}`}>
          <header class="row between">
            <h3 id={`cluster-${c.id}`}>{c.name}</h3>
            <Chip value={c.sync.phase} />
          </header>
          <p class="muted">
            {c.server} · Kubernetes {c.version} · {c.sync.resourceCount} resources · last event{" "}
            <Time value={c.sync.lastEventAt} />
          </p>
          {c.sync.lastError ? <p class="error">{c.sync.lastError}</p> : null}
          <details>
            <summary>Sync status of {c.sync.kinds.length} resource types</summary>
            <table aria-label={`Sync status of ${c.name}`}>
              <thead>
                <tr>
                  <th scope="col">Resource type</th>
                  <th scope="col">Phase</th>
                  <th scope="col">Resources</th>
                  <th scope="col">Last event</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {c.sync.kinds.map((k) => (
                  <tr key={k.resourceType}>
                    <th scope="row">{k.kind}</th>
                    <td>
                      <Chip value={k.phase} />
                    </td>
                    <td>{k.resourceCount}</td>
                    <td>
                      <Time value={k.lastEventAt} />
                    </td>
                    <td>{k.lastError || ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </article>
      ))}
    </div>
  );
}

function Tree({ id, onClose }) {
  const tree = useLoad(() => gql(RESOURCE_TREE, { id }), id);
  const r = tree.data && tree.data.resource;
  const list = (items) =>
    items.length ? (
      <ul>
        {items.map((x) => (
          <li key={x.id}>
            {x.kind} {x.namespace ? `${x.namespace}/` : ""}
            {x.name}
          </li>
        ))}
      </ul>
    ) : (
      <p class="muted">none</p>
    );
  return (
    <aside class="card tree" aria-label="Owners and children">
      <div class="row between">
        <h3>{r ? `${r.kind} ${r.name}` : "Loading…"}</h3>
        <button type="button" class="ghost" aria-label="Close owners and children" onClick={onClose}>
          ×
        </button>
      </div>
      <ErrorText error={tree.error} />
      {r ? (
        <div class="grid2">
          <div>
            <h4>Owners</h4>
            {list(r.owners)}
          </div>
          <div>
            <h4>Children</h4>
            {list(r.children)}
          </div>
        </div>
      ) : null}
    </aside>
  );
}

function filterOf(f) {
  const filter = {};
  if (f.cluster) filter.clusterIds = [f.cluster];
  if (f.namespace) filter.namespaces = [f.namespace === "(cluster)" ? "" : f.namespace];
  if (f.kind) filter.kinds = [f.kind];
  if (f.labels.trim()) filter.labelSelector = f.labels.trim();
  if (f.search.trim()) filter.search = f.search.trim();
  return filter;
}

function Resources({ clusters }) {
  const [filters, setFilters] = useState({ cluster: "", namespace: "", kind: "", labels: "", search: "" });
  const [cursors, setCursors] = useState([null]); // the cursor each visited page starts after
  const [added, setAdded] = useState(0);
  const [selected, setSelected] = useState(null);
  const filter = filterOf(filters);
  const key = JSON.stringify(filters);
  const after = cursors[cursors.length - 1];
  const page = useLoad(() => gql(RESOURCES, { filter, after }), `${key}|${after}`);
  const facets = useLoad(() => gql(FACETS, { clusterIds: filters.cluster ? [filters.cluster] : null }), filters.cluster);
  useSubscription(
    RESOURCE_EVENTS,
    { filter },
    (data) => {
      const { type, resource } = data.resourceEvents;
      let present = false;
      page.setData((d) => {
        if (!d) return d;
        const edges = [];
        for (const e of d.resources.edges) {
          if (e.node.id !== resource.id) edges.push(e);
          else {
            present = true;
            edges.push({ ...e, node: { ...resource, deleted: type === "DELETED" } });
          }
        }
        return { ...d, resources: { ...d.resources, edges } };
      });
      if (type === "ADDED" && !present) setAdded((n) => n + 1);
    },
    key,
    () => page.reload(),
  );
  const set = (name) => (e) => {
    setFilters({ ...filters, [name]: e.currentTarget.value });
    setCursors([null]);
    setAdded(0);
  };
  const refresh = () => {
    setAdded(0);
    page.reload();
  };
  const rows = (page.data && page.data.resources.edges.map((e) => e.node)) || [];
  const info = page.data && page.data.resources.pageInfo;
  const clusterNames = Object.fromEntries(clusters.map((c) => [c.id, c.name]));
  const namespaces = (facets.data && facets.data.namespaces) || [];
  const kinds = (facets.data && facets.data.resourceSummary.byKind) || [];
  return (
    <section aria-labelledby="resources-title">
      <h2 id="resources-title">Resources</h2>
      <form class="filters" role="search" aria-label="Filter resources" onSubmit={(e) => e.preventDefault()}>
        <label>
          Cluster
          <select value={filters.cluster} onChange={set("cluster")}>
            <option value="">All clusters</option>
            {clusters.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Namespace
          <select value={filters.namespace} onChange={set("namespace")}>
            <option value="">All namespaces</option>
            <option value="(cluster)">(cluster-scoped)</option>
            {namespaces.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          Kind
          <select value={filters.kind} onChange={set("kind")}>
            <option value="">All kinds</option>
            {kinds.map((k) => (
              <option key={k.key} value={k.key}>
                {k.key} ({k.count})
              </option>
            ))}
          </select>
        </label>
        <label>
          Label selector
          <input value={filters.labels} onChange={set("labels")} placeholder="app=web,tier!=db" />
        </label>
        <label>
          Search
          <input type="search" value={filters.search} onChange={set("search")} placeholder="name" />
        </label>
      </form>
      <ErrorText error={page.error} />
      {page.data ? (
        <p class="summary" aria-live="polite">
          {page.data.resources.totalCount} resources · page {cursors.length}
          {added ? (
            <span>
              {" "}
              · {added} new{" "}
              <button type="button" class="small" onClick={refresh}>
                Refresh
              </button>
            </span>
          ) : null}
        </p>
      ) : null}
      {selected ? <Tree id={selected} onClose={() => setSelected(null)} /> : null}
      {rows.length ? (
        <table aria-label="Resources">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Namespace</th>
              <th scope="col">Cluster</th>
              <th scope="col">Labels</th>
              <th scope="col">Updated</th>
              <th scope="col">Related</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} class={r.deleted ? "deleted" : ""}>
                <th scope="row" class="name">
                  <Icon styles={r.component.styles} label={r.component.displayName} size={18} />
                  {r.name}
                  {r.deleted ? <span class="muted"> (deleted)</span> : null}
                </th>
                <td title={`${r.component.displayName} · ${r.component.model.displayName}`}>
                  <span
                    class="kind-dot"
                    aria-hidden="true"
                    style={{ background: r.component.styles.primaryColor }}
                  />
                  {r.kind}
                </td>
                <td>{r.namespace || <span class="muted">cluster</span>}</td>
                <td>{clusterNames[r.clusterId] || r.clusterId.slice(0, 8)}</td>
                <td class="labels">
                  {Object.entries(r.labels || {})
                    .slice(0, 3)
                    .map(([k, v]) => (
                      <span key={k} class="kv">
                        {k}={v}
                      </span>
                    ))}
                </td>
                <td>
                  <Time value={r.updatedAt} />
                </td>
                <td>
                  <button type="button" class="small" aria-label={`Owners and children of ${r.name}`} onClick={() => setSelected(r.id)}>
                    Owners &amp; children
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : page.data ? (
        <Empty>No resource matches.</Empty>
      ) : null}
      <nav class="row" aria-label="Resource pages">
        <button type="button" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <button
          type="button"
          disabled={!info || !info.hasNextPage}
          onClick={() => setCursors([...cursors, info.endCursor])}
        >
          Next page
        </button>
      </nav>
    </section>
  );
}

export function InventoryPage() {
  const clusters = useLoad(() => gql(CLUSTERS));
  const onSync = (status) =>
    clusters.setData((d) =>
      d
        ? {
            ...d,
            clusters: d.clusters.map((c) => (c.id === status.clusterId ? { ...c, sync: status } : c)),
          }
        : d,
    );
  const list = (clusters.data && clusters.data.clusters) || [];
  return (
    <section aria-labelledby="inventory-title">
      <h1 id="inventory-title">Inventory</h1>
      <h2>Clusters</h2>
      <ErrorText error={clusters.error} />
      {clusters.data ? <Clusters clusters={list} onSync={onSync} /> : null}
      <Resources clusters={list} />
    </section>
  );
}
