"""The embedded SecantusDB server (contract section 9): start, reuse, restart, stale state.

Each test runs its own server on its own temporary data folder (not the session server), and
stops it at the end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pymongo import MongoClient

from sla.storage import connection, embedded
from tests.conftest import ROOT


def port_of(uri: str) -> int:
    return int(uri.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def answers(uri: str) -> bool:
    """Does a server at ``uri`` answer a ping?"""
    client = MongoClient(uri, serverSelectionTimeoutMS=3000, connectTimeoutMS=3000)
    try:
        return client.admin.command("ping").get("ok") == 1
    except Exception:
        return False
    finally:
        client.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def state(folder: Path) -> dict:
    return json.loads((folder / embedded.STATE_FILE).read_text())


@pytest.fixture
def data_dir(tmp_path):
    """A fresh data folder for an embedded server; whatever server runs on it is stopped after."""
    folder = tmp_path / "data"
    yield folder
    if (folder / embedded.STATE_FILE).exists():
        embedded.stop_server(folder)


def test_ensure_server_starts_one_and_reuses_it(data_dir):
    uri = embedded.ensure_server(data_dir)
    assert answers(uri)
    pid = state(data_dir)["pid"]
    assert alive(pid) and pid != os.getpid()
    assert embedded.running_port(data_dir) == port_of(uri)

    assert embedded.ensure_server(data_dir) == uri  # same process: reused
    other = subprocess.run(
        [sys.executable, "-c", "from pathlib import Path; from sla.storage import embedded; "
         f"print(embedded.ensure_server(Path({str(data_dir)!r})))"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    assert other.stdout.strip() == uri  # another process: reused too
    assert state(data_dir)["pid"] == pid


def test_data_survives_a_restart(data_dir):
    uri = embedded.ensure_server(data_dir)
    client = MongoClient(uri)
    client.survive.things.insert_many([{"_id": i, "name": f"thing {i}"} for i in range(50)])
    client.close()
    pid = state(data_dir)["pid"]

    assert embedded.stop_server(data_dir) is True
    assert not alive(pid)
    assert not (data_dir / embedded.STATE_FILE).exists()
    assert embedded.running_port(data_dir) is None

    again = embedded.ensure_server(data_dir)
    assert state(data_dir)["pid"] != pid
    client = MongoClient(again)
    try:
        assert client.survive.things.count_documents({}) == 50
        assert client.survive.things.find_one({"_id": 49})["name"] == "thing 49"
    finally:
        client.close()


def test_stop_server_is_false_when_nothing_runs(data_dir):
    data_dir.mkdir(parents=True)
    assert embedded.stop_server(data_dir) is False
    embedded.ensure_server(data_dir)
    assert embedded.stop_server(data_dir) is True
    assert embedded.stop_server(data_dir) is False


def test_a_stale_state_file_is_replaced_by_a_fresh_server(data_dir):
    data_dir.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # exited and reaped: its pid names no process
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        unused_port = probe.getsockname()[1]
    (data_dir / embedded.STATE_FILE).write_text(json.dumps({"pid": dead.pid,
                                                            "port": unused_port}))
    assert embedded.running_port(data_dir) is None

    uri = embedded.ensure_server(data_dir)
    assert answers(uri)
    fresh = state(data_dir)
    assert fresh["pid"] != dead.pid and alive(fresh["pid"])
    assert fresh["port"] == port_of(uri)


def test_a_stale_state_file_whose_port_is_now_used_by_another_server(data_dir, tmp_path):
    other = tmp_path / "other-data"
    try:
        other_uri = embedded.ensure_server(other)
        data_dir.mkdir(parents=True)
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        (data_dir / embedded.STATE_FILE).write_text(
            json.dumps({"pid": dead.pid, "port": port_of(other_uri)}))
        uri = embedded.ensure_server(data_dir)
        assert uri != other_uri  # not the other folder's server
        assert alive(state(data_dir)["pid"]) and state(data_dir)["pid"] != dead.pid
    finally:
        embedded.stop_server(other)


def test_connect_without_mongo_uri_starts_the_embedded_server(tmp_path, monkeypatch):
    folder = tmp_path / "app-data"
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    monkeypatch.delenv("MONGO_URI", raising=False)
    monkeypatch.setenv("SLA_DATA_DIR", str(folder))
    monkeypatch.setenv("SLA_DB", f"sla_test_{uuid.uuid4().hex[:10]}")
    try:
        db = connection.connect()
        port = embedded.running_port(folder)
        assert port is not None
        assert db.client.address == ("127.0.0.1", port)
        assert (folder / embedded.STORE_FOLDER).is_dir()
        db.tickets.insert_one({"_id": "T1", "sr_number": "T1"})
        assert db.tickets.count_documents({}) == 1
        assert "username_1" in {i["name"] for i in db.users.list_indexes()}
        db.client.close()
    finally:
        assert embedded.stop_server(folder) is True
