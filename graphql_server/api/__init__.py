"""The GraphQL API (strawberry): types, queries, mutations, subscriptions, schema."""
