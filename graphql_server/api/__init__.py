"""The GraphQL API (strawberry), split by concern.

- ``transport``: how operations arrive and leave (execution shortcuts, parser cache,
  shared subscriptions, websockets, operation metrics); no domain type.
- ``inventory``, ``connections``, ``registry``: the schema of each domain (types,
  inputs, queries, mutations, subscriptions).
- top level: schema assembly (``schema``), the typed context and ``Info``
  (``context``), error presentation (``errors``), access control (``auth``), the
  domain enums the schema shows (``enums``) and paging (``pages``).

Resolvers translate GraphQL into calls of ``graphql_server.services`` and records
into types. The API never imports the store (import-linter checks it): it reads with
the store handle and record types ``services.records`` names, and writes only through
the services. strawberry and graphql-core stay inside this package.
"""
