"""A live, queryable inventory of Kubernetes clusters served over GraphQL."""

__version__ = "0.1.0"
