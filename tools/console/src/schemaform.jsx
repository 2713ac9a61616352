// Forms generated from a JSON Schema (credential definitions, registration fields):
// strings, numbers, booleans, enums and arrays of strings; secret fields masked.
import { useState } from "preact/hooks";
import { useId } from "./ui.jsx";

export function initialValues(schema) {
  const values = {};
  for (const [name, prop] of Object.entries((schema && schema.properties) || {})) {
    if (prop.default !== undefined) values[name] = prop.default;
    else if (prop.type === "array") values[name] = [];
    else if (prop.type === "boolean") values[name] = false;
  }
  return values;
}

// Drops empty optional values; `keepEmpty` keeps the keys present (for updates).
export function cleaned(schema, values) {
  const out = {};
  for (const name of Object.keys((schema && schema.properties) || {})) {
    const value = values[name];
    if (value === undefined || value === "" || value === null) continue;
    out[name] = value;
  }
  return out;
}

export function missingRequired(schema, values) {
  return ((schema && schema.required) || []).filter((name) => {
    const value = values[name];
    return value === undefined || value === "" || (Array.isArray(value) && !value.length);
  });
}

function isSecret(name, prop, secretFields) {
  return (secretFields || []).includes(name) || prop.writeOnly || prop.format === "password";
}

// `onDraft(text)` hears what is being typed (to fetch suggestions for it).
function StringList({ id, label, value, onChange, suggestions, onDraft }) {
  const [draft, setDraft] = useState("");
  const listId = `${id}-suggestions`;
  const add = () => {
    const item = draft.trim();
    if (item && !value.includes(item)) onChange([...value, item]);
    setDraft("");
    if (onDraft) onDraft("");
  };
  return (
    <div class="string-list">
      <div class="row">
        <input
          id={id}
          value={draft}
          list={suggestions && suggestions.length ? listId : undefined}
          onInput={(e) => {
            setDraft(e.currentTarget.value);
            if (onDraft) onDraft(e.currentTarget.value);
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" onClick={add} aria-label={`Add to ${label}`}>
          Add
        </button>
      </div>
      {suggestions && suggestions.length ? (
        <datalist id={listId}>
          {suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      ) : null}
      {value.length ? (
        <ul class="tags" aria-label={label}>
          {value.map((item) => (
            <li key={item}>
              {item}
              <button
                type="button"
                class="ghost"
                aria-label={`Remove ${item}`}
                onClick={() => onChange(value.filter((v) => v !== item))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function Field({ name, prop, required, secret, value, onChange, suggestions, onDraft, placeholder }) {
  const id = useId(`field-${name}`);
  const label = prop.title || name;
  let control;
  if (prop.type === "boolean") {
    return (
      <div class="field check">
        <input
          id={id}
          type="checkbox"
          checked={!!value}
          onChange={(e) => onChange(e.currentTarget.checked)}
        />
        <label for={id}>{label}</label>
        {prop.description ? <small>{prop.description}</small> : null}
      </div>
    );
  }
  if (prop.type === "array") {
    control = (
      <StringList
        id={id}
        label={label}
        value={value || []}
        onChange={onChange}
        suggestions={suggestions}
        onDraft={onDraft}
      />
    );
  } else if (prop.enum) {
    control = (
      <select id={id} value={value ?? ""} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">—</option>
        {prop.enum.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    );
  } else if (prop.type === "integer" || prop.type === "number") {
    control = (
      <input
        id={id}
        type="number"
        value={value ?? ""}
        required={required}
        onInput={(e) => {
          const raw = e.currentTarget.value;
          onChange(raw === "" ? undefined : Number(raw));
        }}
      />
    );
  } else if (secret && prop.format !== "password" && !prop.pattern) {
    // Multi-line secrets (a kubeconfig) are masked as they are typed.
    control = (
      <textarea
        id={id}
        class="masked"
        rows={4}
        required={required}
        autocomplete="off"
        spellcheck={false}
        placeholder={placeholder}
        value={value ?? ""}
        onInput={(e) => onChange(e.currentTarget.value)}
      />
    );
  } else {
    control = (
      <input
        id={id}
        type={secret ? "password" : prop.format === "uri" ? "url" : "text"}
        required={required}
        autocomplete={secret ? "new-password" : "off"}
        placeholder={placeholder}
        value={value ?? ""}
        onInput={(e) => onChange(e.currentTarget.value)}
      />
    );
  }
  return (
    <div class="field">
      <label for={id}>
        {label}
        {required ? <span aria-hidden="true"> *</span> : null}
      </label>
      {control}
      {prop.description ? <small>{prop.description}</small> : null}
    </div>
  );
}

// `secretPlaceholder` is shown in empty secret fields (editing: "unchanged").
// `suggestions` and `onDraft` map a list field's name to its offered values and to
// what hears the text being typed into it.
export function SchemaForm({ schema, secretFields, values, onChange, suggestions, onDraft, secretPlaceholder }) {
  const properties = Object.entries((schema && schema.properties) || {});
  if (!properties.length) return <p class="muted">No fields to fill.</p>;
  const required = (schema && schema.required) || [];
  return (
    <div class="schema-form">
      {properties.map(([name, prop]) => {
        const secret = isSecret(name, prop, secretFields);
        return (
          <Field
            key={name}
            name={name}
            prop={prop}
            required={required.includes(name)}
            secret={secret}
            placeholder={secret ? secretPlaceholder : undefined}
            value={values[name]}
            suggestions={suggestions && suggestions[name]}
            onDraft={onDraft && onDraft[name]}
            onChange={(value) => onChange({ ...values, [name]: value })}
          />
        );
      })}
    </div>
  );
}
