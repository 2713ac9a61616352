"""Kubernetes access: clients, discovery and watching (the only user of kubernetes_asyncio)."""
