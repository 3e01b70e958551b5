"""The storage errors a screen may catch, named here so that the views never import
``pos.db`` (an import contract: views do not touch the database)."""

from __future__ import annotations

from pos.db.errors import StorageError

__all__ = ["StorageError"]
