"""The component registry schema: models, components, their resolution for a resource
(fingerprints) and importing model definitions.

Reads the in-memory registry; holds no inventory or connection type.
"""
