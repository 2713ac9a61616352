// Credentials: list, create and edit with forms generated from the credential
// definitions, delete (refused while in use unless forced), test against a
// connection, and assign to several connections at once.
import { useState } from "preact/hooks";
import { gql } from "./api.js";
import {
  ASSIGN_CREDENTIAL,
  CREATE_CREDENTIAL,
  CREDENTIALS,
  DELETE_CREDENTIAL,
  TEST,
  UPDATE_CREDENTIAL,
} from "./queries.js";
import { SchemaForm, cleaned, initialValues, missingRequired } from "./schemaform.jsx";
import { Chip, Dialog, Empty, ErrorText, Time, useAction, useCanWrite, useLoad } from "./ui.jsx";

function typesOf(definitions, kind) {
  const def = definitions.find((d) => d.kind === kind);
  return ((def && def.credentials) || []).filter((c) => c.type !== "none");
}

function CreateDialog({ definitions, onClose, onCreated }) {
  const kinds = definitions.filter((d) => typesOf(definitions, d.kind).length);
  const [kind, setKind] = useState(kinds.length ? kinds[0].kind : "");
  const types = typesOf(definitions, kind);
  const [type, setType] = useState(types.length ? types[0].type : "");
  const typeDef = types.find((t) => t.type === type);
  const [values, setValues] = useState(() => initialValues(typeDef && typeDef.schema));
  const [name, setName] = useState("");
  const action = useAction();
  const create = () =>
    action.run(async () => {
      if (!name.trim()) throw new Error("a credential needs a name");
      const missing = missingRequired(typeDef.schema, values);
      if (missing.length) throw new Error(`fill in: ${missing.join(", ")}`);
      const data = await gql(CREATE_CREDENTIAL, {
        input: { name: name.trim(), kind, type, data: cleaned(typeDef.schema, values) },
      });
      onCreated(data.createCredential);
    });
  return (
    <Dialog title="New credential" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create();
        }}
      >
        <label>
          Name
          <input value={name} required onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <div class="grid2">
          <label>
            Connection kind
            <select
              value={kind}
              onChange={(e) => {
                const next = e.currentTarget.value;
                setKind(next);
                const first = typesOf(definitions, next)[0];
                setType(first ? first.type : "");
                setValues(initialValues(first && first.schema));
              }}
            >
              {kinds.map((d) => (
                <option key={d.kind} value={d.kind}>
                  {d.title}
                </option>
              ))}
            </select>
          </label>
          <label>
            Credential type
            <select
              value={type}
              onChange={(e) => {
                const next = e.currentTarget.value;
                setType(next);
                const def = types.find((t) => t.type === next);
                setValues(initialValues(def && def.schema));
              }}
            >
              {types.map((t) => (
                <option key={t.type} value={t.type}>
                  {t.title}
                </option>
              ))}
            </select>
          </label>
        </div>
        {typeDef ? (
          <SchemaForm schema={typeDef.schema} secretFields={typeDef.secretFields} values={values} onChange={setValues} />
        ) : null}
        <ErrorText error={action.error} />
        <div class="row end">
          <button type="submit" class="primary" disabled={action.busy}>
            Create credential
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function EditDialog({ credential, definitions, onClose, onSaved }) {
  const typeDef = typesOf(definitions, credential.kind).find((t) => t.type === credential.type);
  const schema = typeDef ? typeDef.schema : { properties: {} };
  const start = {};
  for (const f of credential.fields) if (!f.secret && f.value != null) start[f.name] = f.value;
  const [values, setValues] = useState(start);
  const [name, setName] = useState(credential.name);
  const action = useAction();
  const save = () =>
    action.run(async () => {
      // Only changed fields are sent; an empty secret field keeps its value.
      const data = {};
      for (const key of Object.keys(schema.properties || {})) {
        const value = values[key];
        if (value === undefined || value === "") continue;
        if (JSON.stringify(value) !== JSON.stringify(start[key])) data[key] = value;
      }
      const input = { name: name.trim() || null };
      if (Object.keys(data).length) input.data = data;
      const result = await gql(UPDATE_CREDENTIAL, { id: credential.id, input });
      onSaved(result.updateCredential);
    });
  return (
    <Dialog title={`Edit ${credential.name}`} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <label>
          Name
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <p class="muted">
          {credential.kind} · {credential.type}. Secret fields left empty keep their value.
        </p>
        <SchemaForm
          schema={{ ...schema, required: [] }}
          secretFields={typeDef ? typeDef.secretFields : []}
          values={values}
          onChange={setValues}
          secretPlaceholder="unchanged"
        />
        <ErrorText error={action.error} />
        <div class="row end">
          <button type="submit" class="primary" disabled={action.busy}>
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteDialog({ credential, onClose, onDeleted }) {
  const action = useAction();
  const [refused, setRefused] = useState(null);
  const remove = (force) =>
    action.run(async () => {
      try {
        await gql(DELETE_CREDENTIAL, { id: credential.id, force });
        onDeleted();
      } catch (e) {
        if (e.code === "CONFLICT") setRefused(e);
        else throw e;
      }
    });
  const users = credential.connections.map((c) => c.name);
  return (
    <Dialog title={`Delete ${credential.name}`} onClose={onClose}>
      {refused ? (
        <div role="alert" class="outcome failed">
          <p>Refused: {refused.message}</p>
          <p>
            In use by: <strong>{users.join(", ")}</strong>. Deleting anyway unassigns it from them.
          </p>
        </div>
      ) : (
        <p>Delete the credential {credential.name}?</p>
      )}
      <ErrorText error={action.error} />
      <div class="row end">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        {refused ? (
          <button type="button" class="danger" disabled={action.busy} onClick={() => remove(true)}>
            Delete anyway
          </button>
        ) : (
          <button type="button" class="danger" disabled={action.busy} onClick={() => remove(false)}>
            Delete
          </button>
        )}
      </div>
    </Dialog>
  );
}

function TestDialog({ credential, connections, onClose }) {
  const candidates = connections.filter((c) => c.kind === credential.kind && c.status !== "DELETED");
  const [target, setTarget] = useState(candidates.length ? candidates[0].id : "");
  const [outcome, setOutcome] = useState(null);
  const action = useAction();
  const test = () =>
    action.run(async () => {
      setOutcome(null);
      const data = await gql(TEST, { input: { connectionId: target, credentialId: credential.id } });
      setOutcome(data.testConnection);
    });
  return (
    <Dialog title={`Test ${credential.name}`} onClose={onClose}>
      {candidates.length ? (
        <div>
          <label>
            Connection
            <select value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
              {candidates.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} ({c.status})
                </option>
              ))}
            </select>
          </label>
          <div class="row">
            <button type="button" class="primary" disabled={action.busy || !target} onClick={test}>
              Test
            </button>
          </div>
          {outcome ? (
            <div role="status" class={outcome.ok ? "outcome ok" : "outcome failed"}>
              <strong>{outcome.ok ? "Test passed" : "Test failed"}</strong>: {outcome.message}
            </div>
          ) : null}
          <ErrorText error={action.error} />
        </div>
      ) : (
        <Empty>No {credential.kind} connection to test against.</Empty>
      )}
    </Dialog>
  );
}

function AssignDialog({ credential, connections, onClose, onAssigned }) {
  const candidates = connections.filter((c) => c.kind === credential.kind && c.status !== "DELETED");
  const [chosen, setChosen] = useState(credential.connections.map((c) => c.id));
  const action = useAction();
  const assign = () =>
    action.run(async () => {
      await gql(ASSIGN_CREDENTIAL, { credentialId: credential.id, connectionIds: chosen });
      onAssigned();
    });
  return (
    <Dialog title={`Assign ${credential.name}`} onClose={onClose}>
      {candidates.length ? (
        <fieldset>
          <legend>{credential.kind} connections</legend>
          <ul class="checks">
            {candidates.map((c) => (
              <li key={c.id}>
                <label>
                  <input
                    type="checkbox"
                    checked={chosen.includes(c.id)}
                    onChange={(e) =>
                      setChosen(e.currentTarget.checked ? [...chosen, c.id] : chosen.filter((id) => id !== c.id))
                    }
                  />
                  {c.name} <Chip value={c.status} />
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
      ) : (
        <Empty>No {credential.kind} connection.</Empty>
      )}
      <ErrorText error={action.error} />
      <div class="row end">
        <button type="button" class="primary" disabled={action.busy || !chosen.length} onClick={assign}>
          Assign
        </button>
      </div>
    </Dialog>
  );
}

export function CredentialsPage({ definitions }) {
  const canWrite = useCanWrite();
  const list = useLoad(() => gql(CREDENTIALS));
  const [open, setOpen] = useState(null); // [what, credential]
  const close = () => setOpen(null);
  const done = () => {
    setOpen(null);
    list.reload();
  };
  const credentials = (list.data && list.data.credentials) || [];
  const connections = (list.data && list.data.connections.edges.map((e) => e.node)) || [];
  const [what, current] = open || [];
  return (
    <section aria-labelledby="credentials-title">
      <div class="row between">
        <h1 id="credentials-title">Credentials</h1>
        {canWrite ? (
          <button type="button" class="primary" onClick={() => setOpen(["create", null])}>
            New credential
          </button>
        ) : null}
      </div>
      <ErrorText error={list.error} />
      {list.data && !credentials.length ? <Empty>No credential yet.</Empty> : null}
      {credentials.length ? (
        <table aria-label="Credentials">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Type</th>
              <th scope="col">Fields</th>
              <th scope="col">Connections</th>
              <th scope="col">Updated</th>
              {canWrite ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {credentials.map((c) => (
              <tr key={c.id}>
                <th scope="row">{c.name}</th>
                <td>{c.kind}</td>
                <td>{c.type}</td>
                <td>
                  {c.fields.map((f) => (
                    <span key={f.name} class="kv">
                      {f.name}: {f.secret ? (f.set ? "••••••" : "not set") : String(f.value ?? "")}
                    </span>
                  ))}
                </td>
                <td>{c.connections.map((x) => x.name).join(", ") || <span class="muted">none</span>}</td>
                <td>
                  <Time value={c.updatedAt} />
                </td>
                {canWrite ? (
                  <td class="actions">
                    <button type="button" onClick={() => setOpen(["edit", c])}>
                      Edit
                    </button>
                    <button type="button" onClick={() => setOpen(["test", c])}>
                      Test
                    </button>
                    <button type="button" onClick={() => setOpen(["assign", c])}>
                      Assign
                    </button>
                    <button type="button" class="danger" onClick={() => setOpen(["delete", c])}>
                      Delete
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {what === "create" ? <CreateDialog definitions={definitions} onClose={close} onCreated={done} /> : null}
      {what === "edit" ? <EditDialog credential={current} definitions={definitions} onClose={close} onSaved={done} /> : null}
      {what === "delete" ? <DeleteDialog credential={current} onClose={close} onDeleted={done} /> : null}
      {what === "test" ? <TestDialog credential={current} connections={connections} onClose={close} /> : null}
      {what === "assign" ? (
        <AssignDialog credential={current} connections={connections} onClose={close} onAssigned={done} />
      ) : null}
    </section>
  );
}
