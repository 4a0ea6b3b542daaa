"""``./run.sh`` as a user runs it: the app comes up on the embedded store, and Ctrl-C stops
the embedded server it started, but not one that was running before it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT

START_TIMEOUT_S = 180


@pytest.fixture
def embedded_env(tmp_path) -> dict:
    """An environment for ./run.sh and ./sla.sh with the embedded store on a fresh folder."""
    if os.environ.get("MONGO_URI"):
        pytest.skip("MONGO_URI is set: run.sh does not start the embedded server")
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    env.update({"SLA_DATA_DIR": str(tmp_path / "data"), "PYTHON": sys.executable})
    yield env
    subprocess.run([sys.executable, "-m", "sla", "server", "stop"], cwd=ROOT, env=env,
                   capture_output=True, timeout=60)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_status(env: dict) -> str:
    return subprocess.run([sys.executable, "-m", "sla", "server", "status"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60).stdout.strip()


def start_app(env: dict) -> tuple[subprocess.Popen, int]:
    """./run.sh in its own process group (as a terminal runs it), once its page answers."""
    port = free_port()
    app = subprocess.Popen([str(ROOT / "run.sh"), "--server.port", str(port)], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        assert app.poll() is None, app.stderr.read()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return app, port
        except OSError:
            assert time.monotonic() < deadline, "the app did not answer"
            time.sleep(0.5)


def press_ctrl_c(app: subprocess.Popen) -> None:
    """SIGINT to the whole process group, as Ctrl-C in the terminal sends it."""
    os.killpg(app.pid, signal.SIGINT)
    app.wait(timeout=90)


def server_pid(env: dict) -> int:
    return json.loads((ROOT / env["SLA_DATA_DIR"] / "embedded.json").read_text())["pid"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_ctrl_c_stops_the_embedded_server_run_sh_started(embedded_env):
    assert server_status(embedded_env).startswith("not running")
    app, _ = start_app(embedded_env)
    assert server_status(embedded_env).startswith("running on port")
    pid = server_pid(embedded_env)
    press_ctrl_c(app)
    assert server_status(embedded_env).startswith("not running")
    assert not alive(pid)


def test_the_server_stops_with_the_last_of_two_apps(embedded_env):
    first, _ = start_app(embedded_env)
    second, _ = start_app(embedded_env)
    press_ctrl_c(first)
    assert server_status(embedded_env).startswith("running on port")
    press_ctrl_c(second)
    assert server_status(embedded_env).startswith("not running")


def test_a_server_running_before_run_sh_keeps_running(embedded_env):
    subprocess.run([sys.executable, "-m", "sla", "server", "start"], cwd=ROOT, env=embedded_env,
                   check=True, capture_output=True, timeout=120)
    app, _ = start_app(embedded_env)
    press_ctrl_c(app)
    assert server_status(embedded_env).startswith("running on port")


def test_hold_without_a_pid_is_one_line(embedded_env):
    result = subprocess.run([sys.executable, "-m", "sla", "server", "hold"], cwd=ROOT,
                            env=embedded_env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: server hold needs --pid (the app process)"
