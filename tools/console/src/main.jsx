// The console: navigation, the token prompt, the notification bell and drawer,
// and the pages, all on the GraphQL API of this server.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, gql, onAuthNeeded, onLiveChange, setToken, token, useSubscription } from "./api.js";
import { ConnectionsPage } from "./connections.jsx";
import { CredentialsPage } from "./credentials.jsx";
import { EnvironmentsPage } from "./environments.jsx";
import { InventoryPage } from "./inventory.jsx";
import { NotificationCentre } from "./notifications.jsx";
import { ACCESS, DEFINITIONS, START, UNREAD } from "./queries.js";
import "./style.css";
import { Access, Dialog, ErrorText, useAction } from "./ui.jsx";

const PAGES = [
  ["connections", "Connections"],
  ["credentials", "Credentials"],
  ["environments", "Environments"],
  ["inventory", "Inventory"],
  ["notifications", "Notifications"],
];

function currentPage() {
  const name = window.location.hash.replace(/^#\/?/, "");
  return PAGES.some(([id]) => id === name) ? name : "connections";
}

function TokenDialog({ onDone, refused }) {
  const [value, setValue] = useState("");
  const action = useAction();
  return (
    <Dialog title="Access token" onClose={null}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            setToken(value.trim());
            try {
              const data = await gql(ACCESS);
              onDone(data.access);
            } catch (error) {
              setToken("");
              throw error instanceof ApiError && error.code === "UNAUTHENTICATED"
                ? new Error("This token is not valid.")
                : error;
            }
          });
        }}
      >
        <p>
          This server needs an access token (its <code>--auth-token</code>, or its <code>--read-token</code> to
          look without changing anything). It is kept for this browser session only.
        </p>
        {refused ? <p class="error">The token was refused; enter it again.</p> : null}
        <label>
          Token
          <input type="password" autocomplete="current-password" value={value} required onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
        <ErrorText error={action.error} />
        <div class="row end">
          <button type="submit" class="primary" disabled={!value.trim() || action.busy}>
            Sign in
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function Bell({ open, onToggle }) {
  const [unread, setUnread] = useState(null);
  useSubscription(UNREAD, {}, (data) => setUnread(data.unreadEventCount));
  const label = unread == null ? "Notification centre" : `Notification centre, ${unread} unread`;
  return (
    <button type="button" class="bell" aria-label={label} aria-expanded={open} aria-controls="drawer" onClick={onToggle}>
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
        <path
          fill="currentColor"
          d="M12 22a2.5 2.5 0 0 0 2.5-2.5h-5A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"
        />
      </svg>
      <span class="count" data-testid="unread-count">
        {unread == null ? "…" : unread}
      </span>
    </button>
  );
}

function App() {
  const [page, setPage] = useState(currentPage());
  const [access, setAccess] = useState(null); // FULL, READ, or null while unknown
  const [asking, setAsking] = useState(false);
  const [refused, setRefused] = useState(false);
  const [live, setLive] = useState(false);
  const [drawer, setDrawer] = useState(false);
  const [definitions, setDefinitions] = useState([]);
  const [error, setError] = useState(null);

  useEffect(() => {
    const onHash = () => setPage(currentPage());
    window.addEventListener("hashchange", onHash);
    onLiveChange(setLive);
    onAuthNeeded(() => {
      setRefused(!!token());
      setAsking(true);
      setAccess(null);
    });
    gql(START)
      .then((data) => {
        setDefinitions(data.connectionDefinitions);
        setAccess(data.access);
      })
      .catch((e) => {
        if (!(e instanceof ApiError && e.code === "UNAUTHENTICATED")) setError(e);
      });
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    if (!access || definitions.length) return;
    gql(DEFINITIONS)
      .then((data) => setDefinitions(data.connectionDefinitions))
      .catch(setError);
  }, [access]);

  // The drawer takes the focus when it opens; Escape closes it and gives the focus back.
  useEffect(() => {
    if (!drawer) return undefined;
    const opener = document.activeElement;
    const close = document.querySelector("#drawer .close");
    if (close) close.focus();
    const onKey = (e) => {
      if (e.key === "Escape" && !document.querySelector("dialog[open]")) setDrawer(false);
    };
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      if (opener && opener.focus) opener.focus();
    };
  }, [drawer]);

  useEffect(() => {
    const title = PAGES.find(([id]) => id === page)[1];
    document.title = `${title} · graphql-server`;
  }, [page]);

  const ready = access && definitions.length;
  return (
    <Access.Provider value={{ canWrite: access === "FULL" }}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">graphql-server</span>
        <nav aria-label="Console">
          <ul>
            {PAGES.map(([id, title]) => (
              <li key={id}>
                <a href={`#/${id}`} aria-current={page === id ? "page" : undefined}>
                  {title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="spacer" />
        {access === "READ" ? <span class="chip chip-warn">read-only</span> : null}
        <span class={live ? "live on" : "live"} role="status" aria-label={live ? "Live updates on" : "Live updates off"}>
          {live ? "live" : "offline"}
        </span>
        <a href="graphql" class="ghost-link">
          GraphiQL
        </a>
        {ready ? <Bell open={drawer} onToggle={() => setDrawer(!drawer)} /> : null}
        {token() ? (
          <button
            type="button"
            class="ghost"
            onClick={() => {
              setToken("");
              setAccess(null);
              setRefused(false);
              setAsking(true);
            }}
          >
            Sign out
          </button>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorText error={error} />
        {ready ? (
          page === "connections" ? (
            <ConnectionsPage definitions={definitions} />
          ) : page === "credentials" ? (
            <CredentialsPage definitions={definitions} />
          ) : page === "environments" ? (
            <EnvironmentsPage />
          ) : page === "inventory" ? (
            <InventoryPage />
          ) : (
            <NotificationCentre />
          )
        ) : asking ? null : (
          <p aria-busy="true">Loading…</p>
        )}
      </main>
      {ready && drawer ? (
        <aside id="drawer" class="drawer" aria-label="Notification centre">
          <button type="button" class="ghost close" aria-label="Close the notification centre" onClick={() => setDrawer(false)}>
            ×
          </button>
          <NotificationCentre headingLevel={2} />
        </aside>
      ) : null}
      {asking ? (
        <TokenDialog
          refused={refused}
          onDone={(level) => {
            setAsking(false);
            setAccess(level);
            setError(null);
          }}
        />
      ) : null}
    </Access.Provider>
  );
}

const root = document.getElementById("console");
root.textContent = "";
render(<App />, root);
