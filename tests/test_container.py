"""The image for real: the project's Dockerfile built with podman, started on a named volume
with the embedded store, checked the way an operator would, restarted and recreated.

Skipped, saying why, where podman is missing or cannot start containers (see
docs/deploy.md, Container tests). The build time, the image size and the time to healthy are
printed (``pytest -rA``) and kept in ``container-figures.json`` in pytest's base temp folder.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
import uuid

import pytest

from sla.service import demo
from tests import containers
from tests.containers import podman

TICKETS = 300


@pytest.fixture(scope="module")
def image():
    """The app image, built once per session (tests/containers.py)."""
    containers.require_podman()
    return containers.app_image()


@pytest.fixture(scope="module")
def volume(image):
    """A named volume for /app/data, removed at the end."""
    name = f"sla-test-data-{uuid.uuid4().hex[:8]}"
    podman("volume", "create", name)
    yield name
    podman("volume", "rm", "-f", name, check=False)


class Running:
    """One container of the image on the volume; ``start`` again makes a new one."""

    def __init__(self, image: containers.Image, volume: str) -> None:
        self.image, self.volume = image, volume
        self.cookie_key = secrets.token_urlsafe(32)
        self.name = ""
        self.port = 0

    def start(self) -> float:
        """Run a new container; seconds from ``podman run`` to its HEALTHCHECK passing."""
        self.name = f"sla-test-{uuid.uuid4().hex[:8]}"
        started = time.monotonic()
        podman("run", "-d", "--init", "--name", self.name, "-v", f"{self.volume}:/app/data",
               "-p", "127.0.0.1::8501", "-e", f"SLA_COOKIE_KEY={self.cookie_key}", self.image.tag)
        containers.wait_healthy(self.name)
        seconds = time.monotonic() - started
        self.port = int(podman("port", self.name, "8501").stdout.strip().rsplit(":", 1)[1])
        return seconds

    def sla(self, *args: str, stdin: str | None = None, check: bool = True):
        """``python -m sla ARGS`` inside the container."""
        result = podman("exec", "-i", self.name, "python", "-m", "sla", *args, stdin=stdin,
                        check=False, timeout=300)
        if check:
            assert result.returncode == 0, (f"python -m sla {' '.join(args)} exited "
                                            f"{result.returncode}: {result.stdout}{result.stderr}")
        return result

    def summary(self) -> dict:
        return json.loads(self.sla("summary", "--json").stdout)

    def remove(self) -> None:
        if self.name:
            podman("rm", "-f", "-t", "10", self.name, check=False, timeout=120)


@pytest.fixture(scope="module")
def container(image, volume, tmp_path_factory):
    """The image started on the volume; the time to healthy recorded; removed at the end."""
    running = Running(image, volume)
    try:
        healthy_s = running.start()
        containers.record_figures(tmp_path_factory.getbasetemp(), build_s=image.build_s,
                                  image_mb=image.size_mb, healthy_s=healthy_s)
        yield running
    finally:
        running.remove()


def test_image_keeps_healthcheck_and_a_non_root_user(image):
    inspected = json.loads(podman("image", "inspect", image.tag).stdout)[0]
    config = inspected["Config"]
    assert config["User"] == containers.APP_USER
    assert "/_stcore/health" in " ".join(inspected["Healthcheck"]["Test"])
    assert config["ExposedPorts"] == {"8501/tcp": {}}
    env = dict(item.split("=", 1) for item in config["Env"])
    assert not {"MONGO_URI", "SLA_COOKIE_KEY"} & set(env), "no connection string or secret baked in"
    assert 0 < image.size_mb < 2000, image


def test_container_becomes_healthy_and_serves_pages(container):
    base = f"http://127.0.0.1:{container.port}"
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as answer:
        assert answer.read() == b"ok"
    with urllib.request.urlopen(f"{base}/", timeout=10) as answer:
        assert answer.status == 200 and b"<noscript>" in answer.read()
    health = podman("inspect", "--format", "{{.State.Health.Status}}", container.name).stdout
    assert health.strip() == "healthy"


def test_check_and_import_inside_the_container(container):
    before = container.sla("check", check=False)
    assert before.returncode == 1 and "no admin" in before.stdout, before.stdout
    assert "added admin" in container.sla("user", "add", "admin", "--role", "admin",
                                          stdin="admin-pass-1234\n").stdout
    report = container.sla("check")
    assert "embedded SecantusDB on /app/data" in report.stdout and "FAIL" not in report.stdout

    export = demo.to_xlsx_bytes(demo.generate_export(TICKETS, seed=11))
    podman("exec", "-i", container.name, "sh", "-c", "cat > /tmp/export.xlsx", stdin=export)
    imported = json.loads(container.sla("import", "/tmp/export.xlsx", "--json").stdout)
    assert (imported["inserted"], imported["rejected"]) == (TICKETS, 0), imported
    assert container.summary()["total_tickets"] == TICKETS


def test_every_process_runs_as_the_image_user(container):
    """init, Streamlit, the embedded server and anything else in the container."""
    top = podman("top", container.name, "huser", "user", "args").stdout.splitlines()[1:]
    assert any("-m secantus" in line for line in top), top  # started by the import above
    for line in top:
        host_user, user, *_ = line.split()
        assert (host_user, user) == ("10001", "sla"), line
    read_only = podman("exec", container.name, "touch", "/app/Home.py", check=False)
    assert read_only.returncode != 0, "the application code must not be writable by the app user"


COUNTS = ("from sla.storage import connection, versions; import json; db = connection.connect(); print(json.dumps("
          "{'data_version': versions.data_version(db), **{name: db[name].count_documents({}) "
          "for name in sorted(db.list_collection_names())}}))")


def _state(running: Running) -> tuple[dict, dict, str]:
    """Figures, documents per collection (and the data version), users: what must persist."""
    counts = podman("exec", running.name, "python", "-c", COUNTS).stdout
    return running.summary(), json.loads(counts), running.sla("user", "list").stdout


def test_data_survives_a_restart_and_a_new_container(container, tmp_path_factory):
    before = _state(container)
    assert before[0]["total_tickets"] == TICKETS
    assert before[1]["tickets"] == TICKETS and before[1]["data_version"] >= 1, before[1]

    started = time.monotonic()
    podman("restart", "-t", "30", container.name, timeout=180)
    containers.wait_healthy(container.name)
    restarted_s = time.monotonic() - started
    assert _state(container) == before

    container.remove()  # an upgrade: a new container of the image on the same volume
    recreated_s = container.start()
    assert _state(container) == before
    assert "FAIL" not in container.sla("check").stdout
    containers.record_figures(tmp_path_factory.getbasetemp(), restart_healthy_s=restarted_s,
                              new_container_healthy_s=recreated_s)
