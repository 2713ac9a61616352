"""Keeping the store in step with clusters: watch supervision and the batching writer."""
