"""Pure functions over a read-model snapshot (pandas/numpy, no database): the metrics, the
fair ranking, hand-offs, what moved between imports, the tickets table and the
"How is this calculated?" texts."""
