"""MongoDB only: the connection (or the embedded server), the write lock, data and users
versions with their read-model snapshots, tickets and history, uploads, mappings, settings,
users, API tokens and backups."""
