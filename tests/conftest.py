"""Shared fixtures: a real database server process, fresh databases, and export files.

Tests talk to MONGO_URI when it is set, otherwise to an embedded SecantusDB server that this
session starts in a temporary folder (a separate process, over the wire, like the app).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import uuid
from pathlib import Path

import pandas as pd
import pytest
from pymongo import MongoClient
from xdist.scheduler import LoadFileScheduling

from sla.service import demo
from sla.storage import connection, embedded

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
# Built and started with podman: one worker runs them all, one after the other.
CONTAINER_FILES = ("tests/test_container.py", "tests/test_stack.py")


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's ``--dist loadfile`` (see pytest.ini), with the container files as one
    unit: a file runs whole on one worker, so its module fixtures are built once and the
    screens report sees every screen; the container files run on one worker, one after the
    other, so the image is built once and a container never competes with the compose stack."""
    if config.getvalue("dist") != "loadfile":
        return None
    return FileScheduling(config, log)


class FileScheduling(LoadFileScheduling):
    """Whole files to a worker; the container files together."""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return "containers" if path in CONTAINER_FILES else path


@pytest.fixture(scope="session")
def server_uri(tmp_path_factory) -> str:
    """The URI of the server every storage test uses (MONGO_URI, or an embedded one)."""
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    folder = tmp_path_factory.mktemp("embedded-server")
    uri = embedded.ensure_server(folder)
    yield uri
    embedded.stop_server(folder)


@pytest.fixture
def db_name() -> str:
    """A database name no other test uses."""
    return f"sla_test_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def db(server_uri, db_name):
    """A fresh, indexed database on the test server, dropped afterwards."""

    database = connection.connect(server_uri, db_name)
    yield database
    database.client.drop_database(db_name)
    database.client.close()


def own_cli_env(server_uri: str, folder) -> dict:
    """Environment for ``python -m sla`` on a database of its own (named at random) with its
    data folder in ``folder``; without SLA_DEBUG, so errors read as a user sees them."""
    environment = {k: v for k, v in os.environ.items() if k != "SLA_DEBUG"}
    environment.update({"MONGO_URI": server_uri, "SLA_DB": f"sla_test_{uuid.uuid4().hex[:10]}",
                        "PYTHONPATH": str(ROOT), "SLA_DATA_DIR": str(folder / "data")})
    return environment


@pytest.fixture
def cli_env(server_uri, db_name, tmp_path) -> dict:
    """Environment for running ``python -m sla`` against the test database."""
    env = dict(os.environ)
    env.update({"MONGO_URI": server_uri, "SLA_DB": db_name, "SLA_DATA_DIR": str(tmp_path / "data"),
                "PYTHONPATH": str(ROOT)})
    yield env
    client = MongoClient(server_uri)
    client.drop_database(db_name)
    client.close()


@pytest.fixture(scope="session")
def seed_frame() -> pd.DataFrame:
    """A generated export in the old system's exact columns (400 tickets, fixed seed)."""
    return demo.generate_export(400, seed=11, end=dt.date(2026, 10, 31), with_priority=False)


@pytest.fixture
def seed_xlsx(tmp_path, seed_frame) -> Path:
    """The seed-shaped export as an .xlsx under two title rows, like the old system wrote it."""
    path = tmp_path / "SR_Report.xlsx"
    path.write_bytes(demo.to_xlsx_bytes(seed_frame, ["SR Report", "Generated 2026-10-31"]))
    return path


@pytest.fixture(scope="session")
def uci_csv(tmp_path_factory) -> Path:
    """The UCI incident event log, unzipped; skipped when shared/data is absent."""
    import zipfile

    archive = SHARED_DATA / "uci498_incident_event_log.zip"
    if not archive.exists():
        pytest.skip("shared/data/uci498_incident_event_log.zip is absent")
    folder = tmp_path_factory.mktemp("uci")
    with zipfile.ZipFile(archive) as zipped:
        name = next(n for n in zipped.namelist() if n.endswith(".csv") and "MACOSX" not in n)
        zipped.extract(name, folder)
    return folder / name


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def stop_process(process: subprocess.Popen, timeout_s: float = 15) -> None:
    """Ask a process to end, and kill it when it has not after ``timeout_s``."""
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def rounded(value, digits: int = 9):
    """Floats rounded to ``digits`` decimals all the way down, so figures summed in another
    row order compare equal."""
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item, digits) for item in value]
    return round(value, digits) if isinstance(value, float) else value
