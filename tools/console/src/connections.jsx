// The connections page: every connection of this server, filterable, live through
// connectionEvents, with the lifecycle's moves, "Register" for discovered ones, the
// health of connected ones and the metrics a connected Prometheus listens to.
import { Fragment } from "preact";
import { useMemo, useState } from "preact/hooks";
import { gql, useSubscription } from "./api.js";
import { Icon } from "./icons.jsx";
import { CONNECTION_EVENTS, CONNECTIONS, METRICS, TEST, TRANSITION } from "./queries.js";
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
  when,
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

// The health of a connected connection (or of one the server moved out for failing
// its tests): its status, with the failures in a row and the latest test in its name.
function Health({ connection }) {
  const health = connection.health;
  if (!health || (connection.status !== "CONNECTED" && !health.movedByServer)) {
    return <span class="muted">—</span>;
  }
  const test = health.lastTest;
  const failures = `${health.consecutiveFailures} failed in a row`;
  const last = test ? `last test ${test.ok ? "passed" : "failed"} ${when(test.at)}` : "not tested yet";
  const detail = test && test.message ? ` (${test.message})` : "";
  const name = `Health ${health.status}: ${failures}, ${last}${detail}`;
  return (
    <span role="img" aria-label={name} title={name}>
      <Chip value={health.status} />
      {health.consecutiveFailures ? <small class="muted">×{health.consecutiveFailures}</small> : null}
    </span>
  );
}

function sampleValue(sample) {
  if (sample.value == null) return "NaN";
  return Number.isInteger(sample.value) ? String(sample.value) : String(Number(sample.value.toPrecision(6)));
}

function labelsOf(sample) {
  const entries = Object.entries(sample.labels || {});
  if (!entries.length) return <span class="muted">no labels</span>;
  return entries.map(([k, v]) => <span key={k} class="kv">{`${k}=${v}`}</span>);
}

function MetricRows({ metric }) {
  if (metric.error || !metric.samples.length) {
    return (
      <tr>
        <th scope="row">{metric.name}</th>
        <td colSpan={2} class={metric.error ? "error" : "muted"}>
          {metric.error || "no series"}
        </td>
      </tr>
    );
  }
  return metric.samples.map((sample, i) => (
    <tr key={i}>
      <th scope="row">{metric.name}</th>
      <td>{labelsOf(sample)}</td>
      <td class="value">{sampleValue(sample)}</td>
    </tr>
  ));
}

// The metrics a connected Prometheus listens to, read again every few seconds while open.
function MetricsPanel({ connection }) {
  const [reading, setReading] = useState(null);
  const [error, setError] = useState(null);
  useSubscription(
    METRICS,
    { id: connection.id },
    (data) => {
      setReading(data.connectionMetrics);
      setError(null);
    },
    connection.id,
    null,
    setError,
  );
  const metrics = (reading && reading.metrics) || [];
  const failure = error || (reading && reading.error ? new Error(reading.error) : null);
  return (
    <div class="metrics" role="region" aria-label={`Metrics of ${connection.name}`}>
      <ErrorText error={failure} />
      {!reading && !error ? <p aria-busy="true">Reading metrics…</p> : null}
      {reading && !reading.error && !metrics.length ? (
        <p class="muted">It listens to no metric: choose some when registering it.</p>
      ) : null}
      {metrics.length ? (
        <table aria-label={`Metric values of ${connection.name}`}>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col">Series</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {metrics.map((m) => (
              <MetricRows key={m.name} metric={m} />
            ))}
          </tbody>
        </table>
      ) : null}
      {reading ? (
        <small class="muted">
          Read <Time value={reading.at} />
          {metrics.some((m) => m.truncated) ? " · more series exist than are shown" : ""}
        </small>
      ) : null}
    </div>
  );
}

function RowActions({ connection, onRegister, onChanged, metricsOpen, onMetrics }) {
  const canWrite = useCanWrite();
  const action = useAction();
  const [outcome, setOutcome] = useState(null);
  const [target, setTarget] = useState("");
  const metrics = onMetrics ? (
    <button type="button" aria-expanded={metricsOpen ? "true" : "false"} onClick={onMetrics}>
      Metrics
    </button>
  ) : null;
  if (!canWrite) {
    return (
      <div class="actions">
        {metrics}
        <span class="muted">read-only</span>
      </div>
    );
  }
  const moves = connection.allowedTransitions;
  return (
    <div class="actions">
      {metrics}
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
  const [metricsOf, setMetricsOf] = useState(null);
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
              <th scope="col">Health</th>
              <th scope="col">URL</th>
              <th scope="col">Environments</th>
              <th scope="col">Cluster</th>
              <th scope="col">Last test</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => {
              const readable = c.kind === "prometheus" && c.status === "CONNECTED";
              const open = readable && metricsOf === c.id;
              return (
                <Fragment key={c.id}>
                  <tr data-status={c.status}>
                    <th scope="row" class="name">
                      <Icon styles={c.component.styles} label={c.component.displayName} />
                      {c.name}
                    </th>
                    <td>{c.component.displayName}</td>
                    <td>
                      <Chip value={c.status} />
                    </td>
                    <td>
                      <Health connection={c} />
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
                      <RowActions
                        connection={c}
                        onRegister={setRegistering}
                        onChanged={patch}
                        metricsOpen={open}
                        onMetrics={readable ? () => setMetricsOf(open ? null : c.id) : null}
                      />
                    </td>
                  </tr>
                  {open ? (
                    <tr class="detail">
                      <td colSpan={9}>
                        <MetricsPanel connection={c} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
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
