"""The use cases, one entry per thing a user does: importing a file, editing or deleting a
ticket, changing the rules, every figure a view asks for (one cache per data version), the
demo data and the readiness check. Pages, the CLI, the API and the notebook call these."""
