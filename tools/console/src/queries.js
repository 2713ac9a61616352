// The GraphQL documents the console sends.
export const CONNECTION_FIELDS = `
  id name kind url status allowedTransitions clusterId reach metadata registration updatedAt
  lastTest { ok status message latencyMs testedAt }
  health { status consecutiveFailures since movedByServer lastTest { at ok latencyMs message } }
  credential { id name type }
  environments { id name }
  component { kind model displayName styles { primaryColor secondaryColor svgColor svgWhite } }
`;

export const CONNECTIONS = `
query Connections($filter: ConnectionFilter) {
  connections(filter: $filter, first: 500) {
    totalCount
    statusSummary { status count }
    edges { node { ${CONNECTION_FIELDS} } }
  }
  clusters { id name }
  environments { id name }
}`;

export const CONNECTION_EVENTS = `
subscription ConnectionEvents {
  connectionEvents { type previousStatus connection { ${CONNECTION_FIELDS} } }
}`;

const DEFINITION_FIELDS = `
  kind title type subType defaultPort
  component { kind model displayName styles { primaryColor secondaryColor svgColor svgWhite } }
  credentials { type title schema secretFields }
  registrationSchema
`;

export const DEFINITIONS = `query Definitions { connectionDefinitions { ${DEFINITION_FIELDS} } }`;

// What the console needs before its first page: the caller's access and the kinds.
export const START = `query Start { access connectionDefinitions { ${DEFINITION_FIELDS} } }`;

export const TRANSITION = `
mutation Transition($id: ID!, $status: ConnectionStatus!) {
  transitionConnection(id: $id, status: $status) { ${CONNECTION_FIELDS} }
}`;

export const TEST = `
mutation Test($input: TestConnectionInput!) {
  testConnection(input: $input) { ok status message latencyMs serverVersion testedAt }
}`;

export const REGISTER = `
mutation Register($input: RegisterConnectionInput!) {
  registerConnection(input: $input) { connection { ${CONNECTION_FIELDS} } }
}`;

export const CREDENTIAL_FIELDS = `
  id name kind type createdAt updatedAt
  fields { name set secret value }
  connections { id name kind status }
`;

export const CREDENTIALS = `
query Credentials {
  credentials { ${CREDENTIAL_FIELDS} }
  connections(first: 500) { edges { node { id name kind status } } }
}`;

export const CREDENTIALS_OF = `
query CredentialsOf($kinds: [String!]) { credentials(kinds: $kinds) { id name kind type } }`;

export const CREATE_CREDENTIAL = `
mutation CreateCredential($input: CreateCredentialInput!) {
  createCredential(input: $input) { ${CREDENTIAL_FIELDS} }
}`;

export const UPDATE_CREDENTIAL = `
mutation UpdateCredential($id: ID!, $input: UpdateCredentialInput!) {
  updateCredential(id: $id, input: $input) { ${CREDENTIAL_FIELDS} }
}`;

export const DELETE_CREDENTIAL = `
mutation DeleteCredential($id: ID!, $force: Boolean!) {
  deleteCredential(id: $id, force: $force) { id }
}`;

export const ASSIGN_CREDENTIAL = `
mutation AssignCredential($credentialId: ID!, $connectionIds: [ID!]!) {
  assignCredential(credentialId: $credentialId, connectionIds: $connectionIds) { id }
}`;

export const ENVIRONMENT_FIELDS = `id name description connections { id name kind status }`;

export const ENVIRONMENTS = `
query Environments {
  environments { ${ENVIRONMENT_FIELDS} }
  connections(first: 500) { edges { node { id name kind status } } }
}`;

export const CREATE_ENVIRONMENT = `
mutation CreateEnvironment($input: EnvironmentInput!) {
  createEnvironment(input: $input) { ${ENVIRONMENT_FIELDS} }
}`;

export const UPDATE_ENVIRONMENT = `
mutation UpdateEnvironment($id: ID!, $input: EnvironmentInput!) {
  updateEnvironment(id: $id, input: $input) { ${ENVIRONMENT_FIELDS} }
}`;

export const DELETE_ENVIRONMENT = `mutation DeleteEnvironment($id: ID!) { deleteEnvironment(id: $id) { id } }`;

export const ASSIGN_ENVIRONMENT = `
mutation AssignEnvironment($environmentId: ID!, $connectionIds: [ID!]!) {
  assignConnectionsToEnvironment(environmentId: $environmentId, connectionIds: $connectionIds) { id }
}`;

export const UNASSIGN_ENVIRONMENT = `
mutation UnassignEnvironment($environmentId: ID!, $connectionIds: [ID!]!) {
  unassignConnectionsFromEnvironment(environmentId: $environmentId, connectionIds: $connectionIds) { id }
}`;

export const EVENT_FIELDS = `
  id at severity actor category subjectType subjectId subjectName message read count
  firstAt lastAt probableCause suggestedFix
`;

export const EVENTS = `
query Events($filter: EventFilter) {
  events(filter: $filter, first: 100) { totalCount edges { node { ${EVENT_FIELDS} } } }
}`;

export const NEW_EVENTS = `subscription NewEvents { events { id } }`;
export const UNREAD = `subscription Unread { unreadEventCount }`;
export const MARK_READ = `mutation MarkRead($ids: [ID!], $filter: EventFilter) { markEventsRead(ids: $ids, filter: $filter) }`;
export const DELETE_EVENTS = `mutation DeleteEvents($ids: [ID!]) { deleteEvents(ids: $ids) }`;

export const CLUSTERS = `
query Clusters {
  clusters {
    id name server version
    sync { phase resourceCount lastEventAt lastError kinds { resourceType kind phase resourceCount lastEventAt lastError } }
  }
}`;

export const SYNC_STATUS = `
subscription Sync {
  syncStatus { clusterId phase resourceCount lastEventAt lastError kinds { resourceType kind phase resourceCount lastEventAt lastError } }
}`;

export const RESOURCE_FIELDS = `
  id clusterId kind apiVersion name namespace labels createdAt updatedAt
  component { displayName model { name displayName category } styles { primaryColor secondaryColor svgColor svgWhite } }
`;

export const RESOURCES = `
query Resources($filter: ResourceFilter, $after: String) {
  resources(filter: $filter, first: 25, after: $after, orderBy: { field: NAME }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ${RESOURCE_FIELDS} } }
  }
}`;

export const FACETS = `
query Facets($clusterIds: [ID!]) {
  namespaces(clusterIds: $clusterIds)
  resourceSummary(filter: { clusterIds: $clusterIds }) { byKind { key count } }
}`;

export const RESOURCE_EVENTS = `
subscription ResourceEvents($filter: ResourceFilter) {
  resourceEvents(filter: $filter) { type resource { ${RESOURCE_FIELDS} } }
}`;

export const RESOURCE_TREE = `
query ResourceTree($id: ID!) {
  resource(id: $id) {
    id name kind
    owners { id kind name namespace }
    children { id kind name namespace }
  }
}`;

export const MODEL = `
query Model($names: [String!]) { models(filter: { names: $names }) { name displayName category } }`;

export const ACCESS = `query Access { access }`;

export const METRIC_NAMES = `
query MetricNames($id: ID!, $prefix: String!) {
  prometheusMetricNames(connectionId: $id, prefix: $prefix, first: 50)
}`;

const METRICS_FIELDS = `connectionId at error metrics { name truncated error samples { labels value timestamp } }`;

export const METRICS = `
subscription Metrics($id: ID!) { connectionMetrics(connectionId: $id, intervalSeconds: 5) { ${METRICS_FIELDS} } }`;
