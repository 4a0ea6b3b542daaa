"""The Streamlit glue: the only package that imports Streamlit.

Pages call these modules for everything that is not layout; they in turn call the pure
``sla`` package, which knows nothing of Streamlit.

* ``data``: the database connection, the one version check per run, one cached function per
  metric (keyed by the data version), the friendly "database is down" message;
* ``auth``: the login gate over the users in MongoDB, roles, logout;
* ``filters``: the filter bar bound to the URL;
* ``widgets``: KPI cards, tables, CSV downloads, "How is this calculated?";
* ``upload``: a chosen file's dry run and its import, with progress.
* ``tokens``: the API tokens part of Settings (make, list, revoke).
"""
