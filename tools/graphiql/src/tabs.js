// Example operations preloaded as tabs (documented in README.md).
export const defaultTabs = [
  {
    query: `# Clusters and how their sync fares.
query Clusters {
  clusters {
    id
    name
    version
    sync { phase resourceCount lastEventAt lastError }
  }
}
`,
  },
  {
    query: `# A page of Pods, ordered by name; pass pageInfo.endCursor as $after for the next page.
query Pods($after: String) {
  resources(filter: { kinds: ["Pod"] }, first: 20, after: $after, orderBy: { field: NAME }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name namespace labels owners { kind name } } }
  }
}
`,
  },
  {
    query: `# Deployments with their ReplicaSets and Pods (ownerReferences, batched).
query DeploymentTrees {
  resources(filter: { kinds: ["Deployment"] }, first: 10) {
    edges {
      node {
        name
        namespace
        children(kinds: ["ReplicaSet"]) { name children { kind name status } }
      }
    }
  }
}
`,
  },
  {
    query: `# Counts, namespaces and label keys and values in use.
query Facets {
  resourceSummary { total byKind { key count } byNamespace { key count } byCluster { key count } }
  namespaces
  labels(kinds: ["Pod"]) { key count values { value count } }
}
`,
  },
  {
    query: `# Live changes of Pods labelled app (leaving the filter is a DELETED event).
subscription PodChanges {
  resourceEvents(filter: { kinds: ["Pod"], labelSelector: "app" }) {
    type
    resource { id name namespace resourceVersion labels }
  }
}
`,
  },
  {
    query: `# Live counts, pushed at most twice a second when they change.
subscription LiveCounts {
  resourceSummary { total byKind { key count } }
}
`,
  },
  {
    query: `# Sync status of every cluster, as it changes.
subscription Sync {
  syncStatus { clusterId phase resourceCount lastEventAt lastError }
}
`,
  },
  {
    query: `# Connections found in the clusters (Prometheus, Grafana, ...) and what each kind takes.
query DiscoveredConnections {
  connections(filter: { statuses: [DISCOVERED] }, first: 20) {
    statusSummary { status count }
    edges { node { id name kind url reach clusterId allowedTransitions } }
  }
  connectionDefinitions {
    kind
    title
    credentials { type title schema }
    registrationSchema
  }
}
`,
  },
  {
    query: `# Register a discovered Grafana with a new credential (stored sealed; the demo's is
# admin / demo-grafana): CONNECTED when its test passes, REGISTERED otherwise.
mutation RegisterWithCredential($id: ID!) {
  registerConnection(input: {
    connectionId: $id
    credential: { type: "basic", name: "demo grafana", data: { username: "admin", password: "demo-grafana" } }
  }) {
    connection { id name status reach lastTest { ok message } credential { name type } }
  }
}
`,
    variables: `{ "id": "paste a DISCOVERED Grafana's id" }`,
  },
  {
    query: `# Test a connection as stored (its credential, its reach); changes no status.
mutation TestConnection($id: ID!) {
  testConnection(input: { connectionId: $id }) { ok status message latencyMs serverVersion details }
}
`,
    variables: `{ "id": "paste a connection id" }`,
  },
  {
    query: `# Move a connection (allowedTransitions lists where it may go; CONNECTED needs a passing test).
mutation TransitionConnection($id: ID!, $status: ConnectionStatus!) {
  transitionConnection(id: $id, status: $status) {
    id status allowedTransitions
    health { status consecutiveFailures since movedByServer lastTest { at ok message latencyMs } }
  }
}
`,
    variables: `{ "id": "paste a connection id", "status": "CONNECTED" }`,
  },
  {
    query: `# Give several connections one stored credential at once.
mutation AssignCredential($credentialId: ID!, $connectionIds: [ID!]!) {
  assignCredential(credentialId: $credentialId, connectionIds: $connectionIds) {
    id name status credential { id name }
  }
}
`,
    variables: `{ "credentialId": "paste a credential id", "connectionIds": ["paste a connection id"] }`,
  },
  {
    query: `# The notification centre: the latest entries and how many are unread.
query EventsAndUnread {
  unreadEventCount
  events(first: 20) {
    totalCount
    edges { node { at severity category subjectName message count read probableCause suggestedFix } }
  }
}
`,
  },
  {
    query: `# New event log entries as they are written (tests, moves, registrations, sync errors).
subscription LiveEvents {
  events { at severity actor category subjectName message probableCause suggestedFix }
}
`,
  },
];
