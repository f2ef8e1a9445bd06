"""Planning: allocate programs to households to remove the most extreme poverty per rupiah (see docs/planning.md)."""
