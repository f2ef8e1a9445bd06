"""The welfare registry (DTSEN/P3KE/DTKS): schema, code lists, import with validation, snapshots."""
