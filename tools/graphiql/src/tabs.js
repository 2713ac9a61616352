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
];
