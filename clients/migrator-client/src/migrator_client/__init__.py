"""The Migrator public API from Python: ``Client`` and the ``migrator`` command."""

from migrator_client.client import ApiError, Client

__all__ = ["ApiError", "Client"]
