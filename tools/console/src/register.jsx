// The registration modal: the connection and its component, environments, a
// credential (existing or new, from the definition's JSON Schema), the kind's
// registration fields, then "Test" and "Register".
import { useEffect, useState } from "preact/hooks";
import { gql } from "./api.js";
import { Icon, Swatches } from "./icons.jsx";
import { CREATE_ENVIRONMENT, CREDENTIALS_OF, METRIC_NAMES, MODEL, REGISTER, TEST } from "./queries.js";
import { SchemaForm, cleaned, initialValues, missingRequired } from "./schemaform.jsx";
import { Chip, Dialog, ErrorText, Time, useAction, useLoad } from "./ui.jsx";

// Metric names a Prometheus holds, starting with what is typed, as suggestions for
// its metrics to listen to. Until the Prometheus can be read, the reason is shown
// and any name may still be typed.
function useMetricNames(connection) {
  const enabled = connection.kind === "prometheus";
  const [prefix, setPrefix] = useState("");
  const [state, setState] = useState({ names: [], error: null });
  useEffect(() => {
    if (!enabled) return undefined;
    let current = true;
    const timer = setTimeout(
      async () => {
        try {
          const data = await gql(METRIC_NAMES, { id: connection.id, prefix: prefix.trim() });
          if (current) setState({ names: data.prometheusMetricNames, error: null });
        } catch (error) {
          if (current) setState({ names: [], error });
        }
      },
      prefix ? 250 : 0,
    );
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [enabled, connection.id, prefix]);
  return { ...state, enabled, setPrefix };
}

function Outcome({ test }) {
  if (!test) return null;
  return (
    <div role="status" class={test.ok ? "outcome ok" : "outcome failed"}>
      <strong>{test.ok ? "Test passed" : "Test failed"}</strong>: {test.message}
      {test.ok ? (
        <span>
          {" "}
          — would be <Chip value={test.status} />
          {test.latencyMs != null ? ` · ${Math.round(test.latencyMs)} ms` : ""}
          {test.serverVersion ? ` · version ${test.serverVersion}` : ""}
        </span>
      ) : null}
    </div>
  );
}

function Evidence({ metadata }) {
  const evidence = (metadata && metadata.evidence) || [];
  if (!evidence.length) return <p class="muted">No fingerprinting evidence.</p>;
  return (
    <div>
      <p>
        Found by {metadata.discoveredBy || "discovery"}
        {metadata.confidence != null ? `, confidence ${Math.round(metadata.confidence * 100)} %` : ""}
        {metadata.version ? `, version ${metadata.version}` : ""}:
      </p>
      <ul class="evidence" aria-label="Fingerprinting evidence">
        {evidence.map((e) => (
          <li key={e}>{e}</li>
        ))}
      </ul>
    </div>
  );
}

function Environments({ environments, chosen, onChosen, onCreated }) {
  const [name, setName] = useState("");
  const action = useAction();
  const create = () =>
    action.run(async () => {
      const data = await gql(CREATE_ENVIRONMENT, { input: { name: name.trim() } });
      onCreated(data.createEnvironment);
      onChosen([...chosen, data.createEnvironment.id]);
      setName("");
    });
  return (
    <fieldset>
      <legend>2. Environments</legend>
      {environments.length ? (
        <ul class="checks">
          {environments.map((env) => (
            <li key={env.id}>
              <label>
                <input
                  type="checkbox"
                  checked={chosen.includes(env.id)}
                  onChange={(e) =>
                    onChosen(
                      e.currentTarget.checked ? [...chosen, env.id] : chosen.filter((id) => id !== env.id),
                    )
                  }
                />
                {env.name}
              </label>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">No environment yet.</p>
      )}
      <div class="row">
        <label>
          New environment
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <button type="button" disabled={!name.trim() || action.busy} onClick={create}>
          Create environment
        </button>
      </div>
      <ErrorText error={action.error} />
    </fieldset>
  );
}

export function RegisterDialog({ connection, definition, onClose }) {
  const loaded = useLoad(async () => {
    const [credentials, models, envs] = await Promise.all([
      gql(CREDENTIALS_OF, { kinds: [connection.kind] }),
      gql(MODEL, { names: [connection.component.model] }),
      gql(`query { environments { id name } }`),
    ]);
    return { credentials: credentials.credentials, model: models.models[0], environments: envs.environments };
  }, connection.id);
  const credentialTypes = (definition && definition.credentials) || [];
  const accepted = credentialTypes.map((c) => c.type);
  const takesNone = accepted.includes("none");
  const [name, setName] = useState(connection.name);
  const [chosenEnvironments, setChosenEnvironments] = useState(connection.environments.map((e) => e.id));
  const [mode, setMode] = useState(takesNone ? "none" : "new");
  const [existing, setExisting] = useState("");
  const firstType = credentialTypes.find((c) => c.type !== "none") || credentialTypes[0];
  const [type, setType] = useState(firstType ? firstType.type : "");
  const typeDef = credentialTypes.find((c) => c.type === type);
  const [values, setValues] = useState(() => initialValues(typeDef && typeDef.schema));
  const [credentialName, setCredentialName] = useState(`${connection.name} credential`);
  const registrationSchema = definition && definition.registrationSchema;
  const [registration, setRegistration] = useState(() => ({
    ...initialValues(registrationSchema),
    ...(connection.registration || {}),
  }));
  const [test, setTest] = useState(null);
  const [result, setResult] = useState(null);
  const action = useAction();
  const [createdEnvironments, setCreatedEnvironments] = useState([]);
  const metricNames = useMetricNames(connection);

  const environments = [...((loaded.data && loaded.data.environments) || []), ...createdEnvironments];
  const usable = ((loaded.data && loaded.data.credentials) || []).filter((c) => accepted.includes(c.type));
  const component = connection.component;
  const model = loaded.data && loaded.data.model;
  const styles = component.styles || (definition && definition.component.styles);

  const secret = () => {
    if (mode === "existing") return existing ? { credentialId: existing } : {};
    if (mode === "new" && typeDef) {
      const missing = missingRequired(typeDef.schema, values);
      if (missing.length) throw new Error(`fill in: ${missing.join(", ")}`);
      return { credential: { type, data: cleaned(typeDef.schema, values), name: credentialName.trim() || null } };
    }
    return {};
  };
  const fields = () => cleaned(registrationSchema, registration);

  const runTest = () =>
    action.run(async () => {
      setTest(null);
      const data = await gql(TEST, {
        input: { connectionId: connection.id, registration: fields(), ...secret() },
      });
      setTest(data.testConnection);
    });
  const register = () =>
    action.run(async () => {
      const data = await gql(REGISTER, {
        input: {
          connectionId: connection.id,
          name: name.trim() || null,
          environmentIds: chosenEnvironments,
          registration: fields(),
          ...secret(),
        },
      });
      setResult(data.registerConnection.connection);
    });

  return (
    <Dialog title={`Register ${connection.name}`} onClose={onClose} wide>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          register();
        }}
      >
        <fieldset>
          <legend>1. Connection</legend>
          <div class="component-card">
            <Icon styles={styles} label={component.displayName} size={40} />
            <div>
              <strong>{component.displayName}</strong>
              <span class="muted">
                {" "}
                · model {model ? model.displayName : component.model}
                {model ? ` · ${model.category}` : ""}
              </span>
              <div>
                <Swatches styles={styles} />
              </div>
            </div>
          </div>
          <div class="grid2">
            <label>
              Name
              <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </label>
            <label>
              URL
              <input value={connection.url} readOnly />
            </label>
          </div>
          <p class="muted">
            {connection.kind} · {connection.reach === "CLUSTER_PROXY" ? "reached through its cluster's API server proxy" : "reached directly"}
            {connection.metadata.namespace ? ` · service ${connection.metadata.namespace}/${connection.metadata.service}` : ""}
          </p>
          <Evidence metadata={connection.metadata} />
        </fieldset>
        <Environments
          environments={environments}
          chosen={chosenEnvironments}
          onChosen={setChosenEnvironments}
          onCreated={(env) => setCreatedEnvironments([...createdEnvironments, env])}
        />
        <fieldset>
          <legend>3. Credential</legend>
          <div class="radios" role="radiogroup" aria-label="Credential">
            {takesNone ? (
              <label>
                <input type="radio" name="credential-mode" checked={mode === "none"} onChange={() => setMode("none")} />
                No credential
              </label>
            ) : null}
            <label>
              <input
                type="radio"
                name="credential-mode"
                checked={mode === "existing"}
                disabled={!usable.length}
                onChange={() => setMode("existing")}
              />
              Existing credential{usable.length ? "" : " (none of an accepted type)"}
            </label>
            <label>
              <input type="radio" name="credential-mode" checked={mode === "new"} onChange={() => setMode("new")} />
              New credential
            </label>
          </div>
          {mode === "existing" ? (
            <label>
              Credential
              <select value={existing} onChange={(e) => setExisting(e.currentTarget.value)}>
                <option value="">Choose…</option>
                {usable.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.type})
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          {mode === "new" ? (
            <div>
              <div class="grid2">
                <label>
                  Credential type
                  <select
                    value={type}
                    onChange={(e) => {
                      const next = e.currentTarget.value;
                      setType(next);
                      const def = credentialTypes.find((c) => c.type === next);
                      setValues(initialValues(def && def.schema));
                    }}
                  >
                    {credentialTypes
                      .filter((c) => c.type !== "none")
                      .map((c) => (
                        <option key={c.type} value={c.type}>
                          {c.title}
                        </option>
                      ))}
                  </select>
                </label>
                <label>
                  Credential name
                  <input value={credentialName} onInput={(e) => setCredentialName(e.currentTarget.value)} />
                </label>
              </div>
              {typeDef ? (
                <SchemaForm
                  schema={typeDef.schema}
                  secretFields={typeDef.secretFields}
                  values={values}
                  onChange={setValues}
                />
              ) : null}
            </div>
          ) : null}
        </fieldset>
        <fieldset>
          <legend>4. {(registrationSchema && registrationSchema.title) || "Registration"} fields</legend>
          <SchemaForm
            schema={registrationSchema}
            values={registration}
            onChange={setRegistration}
            suggestions={{ metrics: metricNames.names }}
            onDraft={{ metrics: metricNames.setPrefix }}
          />
          {metricNames.enabled && metricNames.error ? (
            <p class="muted" role="status">
              No metric names to suggest ({metricNames.error.message}); type any name.
            </p>
          ) : null}
        </fieldset>
        <fieldset>
          <legend>5. Test and register</legend>
          <div class="row">
            <button type="button" onClick={runTest} disabled={action.busy || !!result}>
              Test
            </button>
            <button type="submit" class="primary" disabled={action.busy || !!result}>
              Register
            </button>
            {action.busy ? <span aria-busy="true">Working…</span> : null}
          </div>
          <Outcome test={test} />
          <ErrorText error={action.error} />
          {result ? (
            <div role="status" class="outcome ok">
              Registered {result.name}: <Chip value={result.status} />
              {result.lastTest ? <span> — {result.lastTest.message}</span> : null}{" "}
              <Time value={result.lastTest && result.lastTest.testedAt} />
            </div>
          ) : null}
          {result ? (
            <button type="button" onClick={onClose}>
              Done
            </button>
          ) : null}
        </fieldset>
      </form>
    </Dialog>
  );
}
