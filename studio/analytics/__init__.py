"""Analytics over the sync engine's snapshots: ranges, queries, CSV (no Qt)."""
