// The notification centre: the event log by severity and time, filters, read
// marks, deletion, grouped repeats with their probable cause and suggested fix.
import { useState } from "preact/hooks";
import { gql, useSubscription } from "./api.js";
import { DELETE_EVENTS, EVENTS, MARK_READ, NEW_EVENTS } from "./queries.js";
import { Chip, Empty, ErrorText, Time, useAction, useCanWrite, useDebounced, useLoad } from "./ui.jsx";

const SEVERITIES = ["CRITICAL", "ERROR", "WARNING", "INFO", "SUCCESS"];
const CATEGORIES = [
  "registration",
  "status_change",
  "connectivity_test",
  "connection",
  "credential",
  "environment",
  "discovery",
  "sync",
  "sync_error",
];

function filterOf(f) {
  const filter = {};
  if (f.severity) filter.severities = [f.severity];
  if (f.category) filter.categories = [f.category];
  if (f.unread) filter.read = false;
  if (f.search.trim()) filter.search = f.search.trim();
  return filter;
}

export function NotificationCentre({ headingLevel = 1 }) {
  const canWrite = useCanWrite();
  const [filters, setFilters] = useState({ severity: "", category: "", unread: false, search: "" });
  const key = JSON.stringify(filters);
  const list = useLoad(() => gql(EVENTS, { filter: filterOf(filters) }), key);
  const refetch = useDebounced(() => list.reload(), 300);
  useSubscription(NEW_EVENTS, {}, refetch, "", refetch);
  const action = useAction();
  const run = (fn) =>
    action.run(async () => {
      await fn();
      list.reload();
    });
  const set = (name) => (e) =>
    setFilters({ ...filters, [name]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value });
  const entries = (list.data && list.data.events.edges.map((e) => e.node)) || [];
  const Heading = headingLevel === 1 ? "h1" : "h2";
  return (
    <div class="notifications">
      <div class="row between">
        <Heading>Notifications</Heading>
        {canWrite ? (
          <button type="button" onClick={() => run(() => gql(MARK_READ, { filter: filterOf(filters) }))}>
            Mark all read
          </button>
        ) : null}
      </div>
      <form class="filters" role="search" aria-label="Filter notifications" onSubmit={(e) => e.preventDefault()}>
        <label>
          Severity
          <select value={filters.severity} onChange={set("severity")}>
            <option value="">All severities</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Category
          <select value={filters.category} onChange={set("category")}>
            <option value="">All categories</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {c.replace("_", " ")}
              </option>
            ))}
          </select>
        </label>
        <label class="inline">
          <input type="checkbox" checked={filters.unread} onChange={set("unread")} />
          Unread only
        </label>
        <label>
          Search
          <input type="search" value={filters.search} onInput={set("search")} />
        </label>
      </form>
      <ErrorText error={list.error || action.error} />
      {list.data && !entries.length ? <Empty>Nothing to show.</Empty> : null}
      <ul class="entries" aria-label="Notification entries">
        {entries.map((e) => (
          <li key={e.id} class={e.read ? "entry read" : "entry unread"} aria-label={`${e.severity}: ${e.message}`}>
            <div class="row between">
              <span>
                <Chip value={e.severity} /> <span class="muted">{e.category.replace("_", " ")}</span>{" "}
                <strong>{e.subjectName}</strong>
                {e.count > 1 ? <span class="repeat"> repeated {e.count} times</span> : null}
              </span>
              <small>
                <Time value={e.lastAt} />
                {e.count > 1 ? (
                  <span>
                    {" "}
                    (first <Time value={e.firstAt} />)
                  </span>
                ) : null}
              </small>
            </div>
            <p>{e.message}</p>
            {e.probableCause ? (
              <p class="cause">
                <strong>Probable cause:</strong> {e.probableCause}
              </p>
            ) : null}
            {e.suggestedFix ? (
              <p class="fix">
                <strong>Suggested fix:</strong> {e.suggestedFix}
              </p>
            ) : null}
            {canWrite ? (
              <div class="actions">
                {!e.read ? (
                  <button type="button" class="small" onClick={() => run(() => gql(MARK_READ, { ids: [e.id] }))}>
                    Mark read
                  </button>
                ) : null}
                <button type="button" class="small danger" onClick={() => run(() => gql(DELETE_EVENTS, { ids: [e.id] }))}>
                  Delete
                </button>
              </div>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
