// The GraphQL API as the console uses it: POST for queries and mutations,
// graphql-transport-ws for subscriptions, both on this origin, with the token
// kept for the browser session (sessionStorage).
import { createClient } from "graphql-ws";
import { useEffect, useRef } from "preact/hooks";

const TOKEN_KEY = "graphql-server.console.token";
const endpoint = new URL("graphql", document.baseURI);
const socketUrl = new URL(endpoint);
socketUrl.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

const listeners = { auth: () => {}, live: () => {} };
// Called after the websocket reconnects: what was missed meanwhile must be fetched again.
const resyncs = new Set();

export function onAuthNeeded(fn) {
  listeners.auth = fn;
}

export function onLiveChange(fn) {
  listeners.live = fn;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
  resetSocket();
}

export class ApiError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join("; "));
    this.errors = errors;
    this.code = errors[0]?.extensions?.code || "";
  }
}

export async function gql(query, variables = {}) {
  const headers = { "content-type": "application/json", accept: "application/json" };
  const current = token();
  if (current) headers.authorization = `Bearer ${current}`;
  const response = await fetch(endpoint, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError([{ message: `the server answered ${response.status}` }]);
  }
  if (body.errors && body.errors.length) {
    const error = new ApiError(body.errors);
    if (error.code === "UNAUTHENTICATED") listeners.auth();
    throw error;
  }
  return body.data;
}

let client = null;

function socket() {
  if (client) return client;
  client = createClient({
    url: socketUrl.href,
    lazy: true,
    keepAlive: 15000,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** retries, 15000))),
    connectionParams: () => (token() ? { Authorization: `Bearer ${token()}` } : {}),
    on: {
      connected: (_socket, _payload, wasRetry) => {
        listeners.live(true);
        if (wasRetry) for (const resync of resyncs) resync();
      },
      closed: (event) => {
        listeners.live(false);
        if (event && event.code === 4403) listeners.auth();
      },
    },
  });
  return client;
}

const sockets = new Set();

function resetSocket() {
  if (client) {
    const old = client;
    client = null;
    old.dispose();
  }
  for (const restart of sockets) restart();
}

// Runs `onData(data)` for every result of a subscription while the component is
// mounted (and again with new variables when `key` changes). Resubscribes after
// an error (a subscriber too slow gets MISSED_EVENTS) and after the token changes;
// `onResync()` then runs, as after a reconnection, to fetch what was missed.
// `onError(error)` hears a result the server refused (e.g. the first read failed).
export function useSubscription(query, variables, onData, key = "", onResync = null, onError = null) {
  const handler = useRef(onData);
  handler.current = onData;
  const resync = useRef(onResync);
  resync.current = onResync;
  const failed = useRef(onError);
  failed.current = onError;
  useEffect(() => {
    let dispose = () => {};
    let timer = null;
    let stopped = false;
    const start = () => {
      dispose();
      dispose = socket().subscribe(
        { query, variables },
        {
          next: (result) => {
            if (result.data) handler.current(result.data);
            else if (result.errors && failed.current) failed.current(new ApiError(result.errors));
          },
          error: (error) => {
            if (stopped) return;
            if (Array.isArray(error) && failed.current) failed.current(new ApiError(error));
            timer = setTimeout(() => {
              start();
              if (resync.current) resync.current();
            }, 2000);
          },
          complete: () => {},
        },
      );
    };
    const onReconnect = () => resync.current && resync.current();
    start();
    sockets.add(start);
    resyncs.add(onReconnect);
    return () => {
      stopped = true;
      sockets.delete(start);
      resyncs.delete(onReconnect);
      clearTimeout(timer);
      dispose();
    };
  }, [key]);
}
