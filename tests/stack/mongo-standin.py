"""A stand-in for the ``mongo:7.0`` service of docker-compose.yml, for the stack test only.

``mongo:7.0`` cannot be pulled where the tests run (no registry), so
``tests/stack/docker-compose.test.yml`` runs this script in the app's own image instead. It
serves the MongoDB wire protocol with SecantusDB and behaves like the official image's
entrypoint where the stack depends on it:

- first start (empty ``/data/db``): a temporary server on 127.0.0.1 only, without
  authentication, while ``/tmp/docker-entrypoint-temp-mongod.pid`` exists (the compose
  healthcheck's guard); on it the root user (MONGO_INITDB_ROOT_USERNAME/PASSWORD, role
  ``root`` in ``admin``) and then the app user exactly as
  ``deploy/mongo-init/create-app-user.js`` makes it: ``readWrite`` on SLA_DB only, in SLA_DB,
  left unchanged when it already exists. There is no mongosh or node in the image to run the
  .js file itself, so ``create_app_user`` below is its line-for-line Python twin;
- then, every start: the server with ``--auth`` (SCRAM-SHA-256 and role checks) on
  0.0.0.0:27017, ``--standalone`` so drivers see a standalone server as with ``mongo:7.0``.

It starts as root only to hand ``/data/db`` (a fresh named volume is owned by root) to the
image's unprivileged user, then drops to it, as the official image does with gosu.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

DATA = Path("/data/db")
STORE = DATA / "secantus"
DONE = DATA / ".initialised"
GUARD = Path("/tmp/docker-entrypoint-temp-mongod.pid")
PORT = 27017
APP_UID = 10001


def secantus(host: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "secantus", "--storage-path", str(STORE), "--host", host,
            "--port", str(PORT), "--log-level", "WARNING", *extra]


def drop_privileges() -> None:
    if os.getuid() != 0:
        return
    for path in (DATA, *DATA.rglob("*")):
        os.chown(path, APP_UID, APP_UID)
    os.setgroups([])
    os.setgid(APP_UID)
    os.setuid(APP_UID)
    os.environ["HOME"] = "/home/sla"  # SecantusDB looks for ~/.secantus/secantusd.toml


def wait_for(client: MongoClient, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"mongo-standin: the temporary server exited with {process.returncode}")
        try:
            client.admin.command("ping")
            return
        except PyMongoError:
            time.sleep(0.2)
    sys.exit("mongo-standin: the temporary server did not answer within 60 s")


def create_app_user(db) -> None:
    """deploy/mongo-init/create-app-user.js, in Python (``db`` is the server's test db)."""
    db_name = os.environ.get("SLA_DB") or "sla_tracker"
    user = os.environ.get("MONGO_APP_USER")
    pwd = os.environ.get("MONGO_APP_PASSWORD")
    if not user or not pwd:
        raise SystemExit("MONGO_APP_USER and MONGO_APP_PASSWORD must be set (see .env.example)")
    app_db = db.client[db_name]
    if app_db.command("usersInfo", user)["users"]:
        print(f'create-app-user: user "{user}" already exists on "{db_name}", leaving it unchanged')
    else:
        app_db.command("createUser", user, pwd=pwd, roles=[{"role": "readWrite", "db": db_name}])
        print(f'create-app-user: created user "{user}" with readWrite on "{db_name}"')


def initialise() -> None:
    """The official entrypoint's first start: root user, then the init script, localhost only."""
    GUARD.write_text("init\n")
    process = subprocess.Popen(secantus("127.0.0.1"))
    client = MongoClient(f"mongodb://127.0.0.1:{PORT}/?directConnection=true",
                         serverSelectionTimeoutMS=2000)
    try:
        wait_for(client, process)
        client.admin.command("createUser", os.environ["MONGO_INITDB_ROOT_USERNAME"],
                             pwd=os.environ["MONGO_INITDB_ROOT_PASSWORD"],
                             roles=[{"role": "root", "db": "admin"}])
        create_app_user(client.test)
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=60)
    DONE.write_text("done\n")
    GUARD.unlink()


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    drop_privileges()
    if not DONE.exists():
        initialise()
    os.execv(sys.executable, secantus("0.0.0.0", "--auth", "--standalone"))


if __name__ == "__main__":
    main()
