"""SLA Tracker: read service-desk exports, store them in MongoDB, compute the SLA contract."""
