// The connections page: every connection of this server, filterable, live through
// connectionEvents, with the lifecycle's moves and "Register" for discovered ones.
import { useMemo, useState } from "preact/hooks";
import { gql, useSubscription } from "./api.js";
import { Icon } from "./icons.jsx";
import { CONNECTION_EVENTS, CONNECTIONS, TEST, TRANSITION } from "./queries.js";
import { RegisterDialog } from "./register.jsx";
import {
  Chip,
  Empty,
  ErrorText,
  Time,
  useAction,
  useCanWrite,
  useDebounced,
  useLoad,
} from "./ui.jsx";

export const STATUSES = [
  "DISCOVERED",
  "REGISTERED",
  "CONNECTED",
  "IGNORED",
  "MAINTENANCE",
  "DISCONNECTED",
  "DELETED",
  "NOT_FOUND",
];

function filterOf(f) {
  const filter = {};
  if (f.kind) filter.kinds = [f.kind];
  if (f.status) filter.statuses = [f.status];
  if (f.environment) filter.environmentIds = [f.environment];
  if (f.search.trim()) filter.search = f.search.trim();
  return filter;
}

function LastTest({ test }) {
  if (!test) return <span class="muted">not tested</span>;
  return (
    <span class={test.ok ? "test-ok" : "test-failed"} title={test.message}>
      {test.ok ? "passed" : "failed"} · <Time value={test.testedAt} />
      {test.message ? <small class="block">{test.message}</small> : null}
    </span>
  );
}

function RowActions({ connection, onRegister, onChanged }) {
  const canWrite = useCanWrite();
  const action = useAction();
  const [outcome, setOutcome] = useState(null);
  const [target, setTarget] = useState("");
  if (!canWrite) return <span class="muted">read-only</span>;
  const moves = connection.allowedTransitions;
  return (
    <div class="actions">
      {connection.status === "DISCOVERED" ? (
        <button type="button" class="primary" onClick={() => onRegister(connection)}>
          Register
        </button>
      ) : null}
      {connection.status !== "DELETED" ? (
        <button
          type="button"
          disabled={action.busy}
          onClick={() =>
            action.run(async () => {
              const data = await gql(TEST, { input: { connectionId: connection.id } });
              setOutcome(data.testConnection);
            })
          }
        >
          Test
        </button>
      ) : null}
      {moves.length ? (
        <form
          class="move"
          onSubmit={(e) => {
            e.preventDefault();
            const status = target;
            if (!status) return;
            if (status === "DELETED" && !window.confirm(`Delete ${connection.name}? This is final.`)) return;
            action.run(async () => {
              const data = await gql(TRANSITION, { id: connection.id, status });
              setTarget("");
              onChanged(data.transitionConnection);
            });
          }}
        >
          <select
            aria-label={`New status of ${connection.name}`}
            value={target}
            disabled={action.busy}
            onChange={(e) => setTarget(e.currentTarget.value)}
          >
            <option value="">Move to…</option>
            {moves.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <button type="submit" disabled={!target || action.busy}>
            Move
          </button>
        </form>
      ) : null}
      {outcome ? (
        <small role="status" class={outcome.ok ? "test-ok block" : "test-failed block"}>
          {outcome.ok ? "Test passed" : "Test failed"}: {outcome.message}
        </small>
      ) : null}
      <ErrorText error={action.error} />
    </div>
  );
}

export function ConnectionsPage({ definitions }) {
  const [filters, setFilters] = useState({ kind: "", status: "", environment: "", search: "" });
  const [registering, setRegistering] = useState(null);
  const key = JSON.stringify(filters);
  const list = useLoad(() => gql(CONNECTIONS, { filter: filterOf(filters) }), key);
  const refetch = useDebounced(() => list.reload(), 300);

  const patch = (connection) =>
    list.setData((data) => {
      if (!data) return data;
      const edges = data.connections.edges.map((e) =>
        e.node.id === connection.id ? { node: connection } : e,
      );
      return { ...data, connections: { ...data.connections, edges } };
    });

  useSubscription(
    CONNECTION_EVENTS,
    {},
    (data) => {
      patch(data.connectionEvents.connection);
      refetch();
    },
    "",
    refetch,
  );

  const clusters = useMemo(() => {
    const names = {};
    for (const c of (list.data && list.data.clusters) || []) names[c.id] = c.name;
    return names;
  }, [list.data]);
  const set = (name) => (e) => setFilters({ ...filters, [name]: e.currentTarget.value });
  const rows = (list.data && list.data.connections.edges.map((e) => e.node)) || [];
  const environments = (list.data && list.data.environments) || [];

  return (
    <section aria-labelledby="connections-title">
      <h1 id="connections-title">Connections</h1>
      <form class="filters" role="search" aria-label="Filter connections" onSubmit={(e) => e.preventDefault()}>
        <label>
          Kind
          <select value={filters.kind} onChange={set("kind")}>
            <option value="">All kinds</option>
            {definitions.map((d) => (
              <option key={d.kind} value={d.kind}>
                {d.title}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={filters.status} onChange={set("status")}>
            <option value="">All but deleted</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Environment
          <select value={filters.environment} onChange={set("environment")}>
            <option value="">All environments</option>
            {environments.map((env) => (
              <option key={env.id} value={env.id}>
                {env.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input type="search" value={filters.search} onInput={set("search")} placeholder="name or URL" />
        </label>
      </form>
      {list.data ? (
        <p class="summary" aria-label="Connections per status">
          {list.data.connections.statusSummary
            .filter((s) => s.count)
            .map((s) => (
              <Chip key={s.status} value={s.status} label={`${s.status} ${s.count}`} />
            ))}
        </p>
      ) : null}
      <ErrorText error={list.error} />
      {list.loading && !list.data ? <p aria-busy="true">Loading connections…</p> : null}
      {list.data && !rows.length ? <Empty>No connection matches.</Empty> : null}
      {rows.length ? (
        <table aria-label="Connections">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">URL</th>
              <th scope="col">Environments</th>
              <th scope="col">Cluster</th>
              <th scope="col">Last test</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.id} data-status={c.status}>
                <th scope="row" class="name">
                  <Icon styles={c.component.styles} label={c.component.displayName} />
                  {c.name}
                </th>
                <td>{c.component.displayName}</td>
                <td>
                  <Chip value={c.status} />
                </td>
                <td class="url">
                  {c.url}
                  {c.reach === "CLUSTER_PROXY" ? <small class="block muted">via cluster proxy</small> : null}
                </td>
                <td>{c.environments.map((e) => e.name).join(", ") || <span class="muted">none</span>}</td>
                <td>{c.clusterId ? clusters[c.clusterId] || c.clusterId.slice(0, 8) : ""}</td>
                <td>
                  <LastTest test={c.lastTest} />
                </td>
                <td>
                  <RowActions connection={c} onRegister={setRegistering} onChanged={patch} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {registering ? (
        <RegisterDialog
          connection={registering}
          definition={definitions.find((d) => d.kind === registering.kind)}
          onClose={() => {
            setRegistering(null);
            list.reload();
          }}
        />
      ) : null}
    </section>
  );
}
