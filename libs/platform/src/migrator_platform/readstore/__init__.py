"""Read-model storage: one small interface, two real backends (embedded SQLite, MongoDB)."""

from migrator_platform.readstore.protocol import Collection, ReadStore, Sort

__all__ = ["Collection", "ReadStore", "Sort"]
