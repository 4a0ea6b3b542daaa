// Runs once, on the first start of the mongo container (empty /data/db), via
// the official image's /docker-entrypoint-initdb.d hook. It creates the
// least-privilege user the app connects with: readWrite on the app database
// only (enough to create collections and indexes, nothing server-wide).
//
// Values come from the container environment (docker-compose.yml passes them
// from .env); mongosh exposes it as process.env.
//
// Changing MONGO_APP_PASSWORD in .env later does NOT re-run this script. Then:
//   docker compose exec mongo mongosh -u "$MONGO_ROOT_USER" -p --authenticationDatabase admin \
//     --eval 'db.getSiblingDB("sla_tracker").changeUserPassword("sla_app", "NEW")'

const dbName = process.env.SLA_DB || 'sla_tracker';
const user = process.env.MONGO_APP_USER;
const pwd = process.env.MONGO_APP_PASSWORD;

if (!user || !pwd) {
  // Fail the container's first start loudly instead of leaving a database the
  // app cannot log in to.
  throw new Error('MONGO_APP_USER and MONGO_APP_PASSWORD must be set (see .env.example)');
}

const appDb = db.getSiblingDB(dbName);
if (appDb.getUser(user)) {
  print(`create-app-user: user "${user}" already exists on "${dbName}", leaving it unchanged`);
} else {
  // The user lives in the app database itself, hence authSource=<SLA_DB> in MONGO_URI.
  appDb.createUser({
    user: user,
    pwd: pwd,
    roles: [{ role: 'readWrite', db: dbName }],
  });
  print(`create-app-user: created user "${user}" with readWrite on "${dbName}"`);
}
