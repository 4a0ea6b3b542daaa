"""A file -> canonical tickets: sniff and guard the file (xlsx, xls, csv), read its table,
map its headers (presets for native exports), normalise values and derive each ticket."""
