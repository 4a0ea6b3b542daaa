"""The embedded store: find, start and stop a SecantusDB server process on a data folder.

SecantusDB speaks the MongoDB wire protocol over WiredTiger, so the rest of the app talks to
it like any MongoDB. Only one process may open a WiredTiger folder, so the first app or CLI
process starts the server detached and records its port in ``embedded.json``; later
processes find it there and reuse it. A file lock makes concurrent first starts safe.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

STATE_FILE = "embedded.json"
STOPPED_FILE = "stopped"  # written by ``server stop``: nothing starts the server by itself
LOCK_FILE = "embedded.lock"
LOG_FILE = "embedded.log"
APPS_FOLDER = "apps"  # one empty file per app process (./run.sh) holding the server, its pid
STARTED_FOR_APPS_FILE = "started-for-apps"  # the server was started by an app process
STORE_FOLDER = "secantus"
START_TIMEOUT_S = 60.0


class EmbeddedError(RuntimeError):
    """The embedded server could not be started; the message is one line for the user."""


def uri_for(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?directConnection=true"


def ensure_server(data_dir: Path) -> str:
    """The URI of the embedded server on ``data_dir``, starting it when none is running."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with _locked(data_dir):
        state = _read_state(data_dir)
        if _is_running(state):
            return uri_for(state["port"])
        return uri_for(_start(data_dir))


def mark_stopped(data_dir: Path, stopped: bool) -> None:
    """Record that the server was stopped on purpose (a file-level backup, say), so that no
    page, API request or command starts it again until ``server start``; or clear that."""
    marker = data_dir / STOPPED_FILE
    if stopped:
        data_dir.mkdir(parents=True, exist_ok=True)
        marker.write_text("stopped with ./sla.sh server stop; ./sla.sh server start clears this\n")
    else:
        marker.unlink(missing_ok=True)


def told_stopped(data_dir: Path) -> bool:
    return (data_dir / STOPPED_FILE).exists()


def running_port(data_dir: Path) -> int | None:
    state = _read_state(data_dir)
    return state["port"] if _is_running(state) else None


def _is_running(state: dict | None) -> bool:
    """The recorded server process is alive and answers on its port.

    Both are checked: after a crash the port may have been taken by another folder's server.
    """
    return bool(state) and _alive(state["pid"]) and _answers(state["port"])


def stop_server(data_dir: Path, timeout: float = 30.0) -> bool:
    """Stop the server on ``data_dir`` cleanly (SIGTERM, then wait). False when none ran."""
    with _locked(data_dir):
        return _stop(data_dir, timeout)


def hold(data_dir: Path, pid: int) -> str:
    """Record that the app process ``pid`` uses the server, starting it when none runs; a
    server started here is stopped by ``release`` when the last app process holding it ends."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with _locked(data_dir):
        state = _read_state(data_dir)
        if _is_running(state):
            port = state["port"]
        else:
            port = _start(data_dir)
            (data_dir / STARTED_FOR_APPS_FILE).touch()
        apps = data_dir / APPS_FOLDER
        apps.mkdir(exist_ok=True)
        (apps / str(pid)).touch()
        return uri_for(port)


def release(data_dir: Path, pid: int, timeout: float = 30.0) -> bool:
    """Forget the app process ``pid``; stop the server when an app process started it and no
    other one still alive holds it. Whether the server was stopped.

    A server that was running before the first app process (started by ``server start``, a
    command or a notebook) is left running.
    """
    with _locked(data_dir):
        (data_dir / APPS_FOLDER / str(pid)).unlink(missing_ok=True)
        started_here = data_dir / STARTED_FOR_APPS_FILE
        if _apps_alive(data_dir / APPS_FOLDER) or not started_here.exists():
            return False
        started_here.unlink()
        return _stop(data_dir, timeout)


def _apps_alive(apps: Path) -> bool:
    """Whether any recorded app process is alive (the records of dead ones are removed)."""
    alive = False
    for record in apps.glob("*") if apps.is_dir() else ():
        if record.name.isdigit() and _alive(int(record.name)):
            alive = True
        else:
            record.unlink(missing_ok=True)
    return alive


def _stop(data_dir: Path, timeout: float) -> bool:
    state = _read_state(data_dir)
    if not state:
        return False
    pid = state["pid"]
    (data_dir / STATE_FILE).unlink(missing_ok=True)
    if not _alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True


def _start(data_dir: Path) -> int:
    port = _free_port()
    log = (data_dir / LOG_FILE).open("ab")
    command = [sys.executable, "-m", "secantus", "--storage-path", str(data_dir / STORE_FOLDER),
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "WARNING"]
    process = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                               start_new_session=True, cwd=data_dir)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedError(f"the embedded database stopped at start (exit "
                                f"{process.returncode}); see {data_dir / LOG_FILE}")
        if _answers(port):
            _write_state(data_dir, {"pid": process.pid, "port": port})
            return port
        time.sleep(0.2)
    process.kill()
    raise EmbeddedError(f"the embedded database did not answer within {START_TIMEOUT_S:.0f} s; "
                        f"see {data_dir / LOG_FILE}")


def _answers(port: int) -> bool:
    client = MongoClient(uri_for(port), serverSelectionTimeoutMS=1500, connectTimeoutMS=1500)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _read_state(data_dir: Path) -> dict | None:
    try:
        return json.loads((data_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None


def _write_state(data_dir: Path, state: dict) -> None:
    temporary = data_dir / (STATE_FILE + ".tmp")
    temporary.write_text(json.dumps(state))
    temporary.replace(data_dir / STATE_FILE)


@contextmanager
def _locked(data_dir: Path):
    with (data_dir / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
