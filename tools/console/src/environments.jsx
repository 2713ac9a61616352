// Environments: list, create, rename, delete, and their connections (assign, unassign).
import { useState } from "preact/hooks";
import { gql } from "./api.js";
import {
  ASSIGN_ENVIRONMENT,
  CREATE_ENVIRONMENT,
  DELETE_ENVIRONMENT,
  ENVIRONMENTS,
  UNASSIGN_ENVIRONMENT,
  UPDATE_ENVIRONMENT,
} from "./queries.js";
import { Chip, Empty, ErrorText, useAction, useCanWrite, useLoad } from "./ui.jsx";

function EnvironmentCard({ environment, connections, onChanged }) {
  const canWrite = useCanWrite();
  const action = useAction();
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(environment.name);
  const [adding, setAdding] = useState("");
  const inside = new Set(environment.connections.map((c) => c.id));
  const outside = connections.filter((c) => !inside.has(c.id) && c.status !== "DELETED");
  const run = (fn) => action.run(async () => {
    await fn();
    onChanged();
  });
  return (
    <article class="card" aria-labelledby={`env-${environment.id}`}>
      <header class="row between">
        {renaming ? (
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              run(async () => {
                await gql(UPDATE_ENVIRONMENT, { id: environment.id, input: { name: name.trim() } });
                setRenaming(false);
              });
            }}
          >
            <label>
              New name of {environment.name}
              <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </label>
            <button type="submit" class="primary">
              Save
            </button>
            <button type="button" onClick={() => setRenaming(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <h2 id={`env-${environment.id}`}>{environment.name}</h2>
        )}
        {canWrite && !renaming ? (
          <div class="actions">
            <button type="button" aria-label={`Rename ${environment.name}`} onClick={() => setRenaming(true)}>
              Rename
            </button>
            <button
              type="button"
              class="danger"
              aria-label={`Delete ${environment.name}`}
              onClick={() => {
                if (window.confirm(`Delete the environment ${environment.name}? Its connections stay.`))
                  run(() => gql(DELETE_ENVIRONMENT, { id: environment.id }));
              }}
            >
              Delete
            </button>
          </div>
        ) : null}
      </header>
      {environment.description ? <p class="muted">{environment.description}</p> : null}
      {environment.connections.length ? (
        <ul class="members" aria-label={`Connections in ${environment.name}`}>
          {environment.connections.map((c) => (
            <li key={c.id}>
              {c.name} <span class="muted">{c.kind}</span> <Chip value={c.status} />
              {canWrite ? (
                <button
                  type="button"
                  class="ghost"
                  aria-label={`Unassign ${c.name} from ${environment.name}`}
                  onClick={() =>
                    run(() => gql(UNASSIGN_ENVIRONMENT, { environmentId: environment.id, connectionIds: [c.id] }))
                  }
                >
                  Unassign
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">No connection.</p>
      )}
      {canWrite && outside.length ? (
        <div class="row">
          <label>
            Connection to add to {environment.name}
            <select value={adding} onChange={(e) => setAdding(e.currentTarget.value)}>
              <option value="">Choose…</option>
              {outside.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} ({c.kind})
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            disabled={!adding || action.busy}
            aria-label={`Assign to ${environment.name}`}
            onClick={() =>
              run(async () => {
                await gql(ASSIGN_ENVIRONMENT, { environmentId: environment.id, connectionIds: [adding] });
                setAdding("");
              })
            }
          >
            Assign
          </button>
        </div>
      ) : null}
      <ErrorText error={action.error} />
    </article>
  );
}

export function EnvironmentsPage() {
  const canWrite = useCanWrite();
  const list = useLoad(() => gql(ENVIRONMENTS));
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const action = useAction();
  const environments = (list.data && list.data.environments) || [];
  const connections = (list.data && list.data.connections.edges.map((e) => e.node)) || [];
  return (
    <section aria-labelledby="environments-title">
      <h1 id="environments-title">Environments</h1>
      {canWrite ? (
        <form
          class="row card"
          aria-label="New environment"
          onSubmit={(e) => {
            e.preventDefault();
            action.run(async () => {
              await gql(CREATE_ENVIRONMENT, { input: { name: name.trim(), description } });
              setName("");
              setDescription("");
              list.reload();
            });
          }}
        >
          <label>
            Name
            <input value={name} required onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label>
            Description
            <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          </label>
          <button type="submit" class="primary" disabled={!name.trim() || action.busy}>
            Create environment
          </button>
        </form>
      ) : null}
      <ErrorText error={action.error || list.error} />
      {list.data && !environments.length ? <Empty>No environment yet.</Empty> : null}
      <div class="cards">
        {environments.map((env) => (
          <EnvironmentCard key={env.id} environment={env} connections={connections} onChanged={list.reload} />
        ))}
      </div>
    </section>
  );
}
