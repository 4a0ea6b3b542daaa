"""A MONGO_URI with a user and password: an authenticated server process, the store and the CLI.

The server is SecantusDB started with ``--auth`` (as a deployment runs mongod with
authentication): a user is created while auth is off, then the server restarts with it on.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from sla.service import importing
from sla.storage import connection
from tests.conftest import ROOT
from tests.handset import hand_bytes

DB = "sla_auth"
USER, PASSWORD = "slaapp", "s3cret-app-pass"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(folder, auth: bool) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    command = [sys.executable, "-m", "secantus", "--storage-path", str(folder), "--host",
               "127.0.0.1", "--port", str(port)] + (["--auth"] if auth else [])
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true",
                        serverSelectionTimeoutMS=300).admin.command("ping")
            return process, port
        except PyMongoError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("secantus did not start")


def _uri(port: int, password: str = PASSWORD) -> str:
    return (f"mongodb://{USER}:{password}@127.0.0.1:{port}/{DB}?authSource={DB}"
            "&directConnection=true")


@pytest.fixture(scope="module")
def auth_port(tmp_path_factory):
    """The port of a server that requires SCRAM authentication, with an app user on DB."""
    folder = tmp_path_factory.mktemp("auth-server")
    process, port = _start(folder, auth=False)
    client = MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true")
    client[DB].command("createUser", USER, pwd=PASSWORD, roles=[{"role": "readWrite", "db": DB}])
    client.close()
    process.terminate()
    process.wait(30)
    process, port = _start(folder, auth=True)
    yield port
    process.terminate()
    process.wait(30)


def run_cli(port: int, *args: str, password: str = PASSWORD, stdin: str = "", tmp_path=None):
    env = {"PATH": "/usr/bin:/bin", "MONGO_URI": _uri(port, password), "SLA_DB": DB,
           "PYTHONPATH": str(ROOT), "SLA_DATA_DIR": str(tmp_path or ROOT / "data")}
    return subprocess.run([sys.executable, "-m", "sla", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, input=stdin, timeout=300)


def test_the_server_refuses_anonymous_clients(auth_port):
    with pytest.raises(connection.StoreError, match="refused the login"):
        connection.connect(f"mongodb://127.0.0.1:{auth_port}/?directConnection=true", DB)


def test_store_works_through_an_authenticated_uri(auth_port):
    db = connection.connect(_uri(auth_port), DB)
    db.tickets.delete_many({})
    report = importing.import_file(db, hand_bytes(), "hand.csv")
    assert report.inserted + report.unchanged == 10
    assert db.tickets.count_documents({}) == 10


def test_cli_import_and_metrics_through_the_uri(auth_port, tmp_path):
    source = tmp_path / "hand.csv"
    source.write_bytes(hand_bytes())
    imported = run_cli(auth_port, "import", str(source), "--json", tmp_path=tmp_path)
    assert imported.returncode == 0, imported.stderr
    summary = json.loads(run_cli(auth_port, "summary", "--json", tmp_path=tmp_path).stdout)
    assert summary["total_tickets"] == 10 and summary["breaches"] == 4
    assert not (tmp_path / "embedded.json").exists()  # no embedded server was started


def test_a_wrong_password_is_one_clear_line(auth_port, tmp_path):
    result = run_cli(auth_port, "summary", "--json", password="wrong-password", tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: the database refused the login in MONGO_URI (authentication failed or not "
        "authorised)"]
    assert "wrong-password" not in result.stderr


def test_check_reports_the_authenticated_store(auth_port, tmp_path):
    result = run_cli(auth_port, "check", tmp_path=tmp_path)
    lines = result.stdout.splitlines()
    assert any(line.startswith("ok  database") for line in lines)
    assert any("external MongoDB mongodb://slaapp:***@" in line for line in lines)
    assert result.returncode == 1  # no admin user and no SLA_COOKIE_KEY yet
    added = run_cli(auth_port, "user", "add", "root-admin", "--role", "admin",
                    stdin="a-long-password\n", tmp_path=tmp_path)
    assert added.returncode == 0, added.stderr
