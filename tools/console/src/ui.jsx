// Small shared pieces: modal dialogs, chips, times, loading and messages.
import { createContext } from "preact";
import { useCallback, useContext, useEffect, useRef, useState } from "preact/hooks";

export const Access = createContext({ canWrite: true });

export function useCanWrite() {
  return useContext(Access).canWrite;
}

let nextId = 0;
export function useId(prefix) {
  const ref = useRef(null);
  if (ref.current === null) ref.current = `${prefix}-${++nextId}`;
  return ref.current;
}

// A modal <dialog>: focus moves into it, Escape closes it (unless it has no
// `onClose`: it must be answered), the page behind is inert.
export function Dialog({ title, onClose, children, wide }) {
  const ref = useRef(null);
  const titleId = useId("dialog-title");
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog && dialog.open && dialog.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class={wide ? "dialog wide" : "dialog"}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        if (onClose) onClose();
      }}
    >
      <header class="dialog-head">
        <h2 id={titleId}>{title}</h2>
        {onClose ? (
          <button type="button" class="ghost" aria-label="Close" onClick={onClose}>
            ×
          </button>
        ) : null}
      </header>
      <div class="dialog-body">{children}</div>
    </dialog>
  );
}

const STATUS_CLASS = {
  CONNECTED: "ok",
  REGISTERED: "info",
  DISCOVERED: "new",
  MAINTENANCE: "warn",
  DISCONNECTED: "bad",
  NOT_FOUND: "bad",
  IGNORED: "muted",
  DELETED: "muted",
  SYNCED: "ok",
  SYNCING: "info",
  PENDING: "new",
  DEGRADED: "warn",
  STOPPED: "bad",
  SUCCESS: "ok",
  INFO: "info",
  WARNING: "warn",
  ERROR: "bad",
  CRITICAL: "crit",
  HEALTHY: "ok",
  FAILING: "warn",
  UNHEALTHY: "bad",
  UNKNOWN: "muted",
};

export function Chip({ value, label }) {
  return <span class={`chip chip-${STATUS_CLASS[value] || "muted"}`}>{label || value}</span>;
}

export function when(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

export function Time({ value }) {
  if (!value) return <span class="muted">never</span>;
  return <time dateTime={value}>{when(value)}</time>;
}

// Loads with `load()` now and whenever `key` changes; `reload()` loads again.
export function useLoad(load, key = "") {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const latest = useRef(0);
  const reload = useCallback(async () => {
    const ticket = ++latest.current;
    try {
      const data = await load();
      if (ticket === latest.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (ticket === latest.current) setState((s) => ({ ...s, error, loading: false }));
    }
  }, [key]);
  useEffect(() => {
    reload();
  }, [reload]);
  return { ...state, reload, setData: (f) => setState((s) => ({ ...s, data: f(s.data) })) };
}

// Calls `fn` at most once per `ms` after the last call.
export function useDebounced(fn, ms = 250) {
  const timer = useRef(null);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => latest.current(), ms);
  }, [ms]);
}

export function ErrorText({ error }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error.message || String(error)}
    </p>
  );
}

// Runs an action, keeping its busy state and its error for display.
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = useCallback(async (fn) => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, setError };
}

export function Empty({ children }) {
  return <p class="empty">{children}</p>;
}
