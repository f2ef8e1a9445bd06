"""Alembic migrations of the operations store, shipped in the package (see ``entas.ops.database.upgrade``)."""
