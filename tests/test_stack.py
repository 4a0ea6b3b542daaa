"""The compose stack for real: docker-compose.yml started with docker-compose against podman,
two app replicas behind nginx, the database with authentication.

``mongo:7.0`` and ``nginx:1.27-alpine`` cannot be pulled where the tests run, so
``tests/stack/docker-compose.test.yml`` swaps those two images (and nothing else) for
stand-ins: SecantusDB with ``--auth`` in the app's own image, set up the way the official
mongo entrypoint and ``deploy/mongo-init/create-app-user.js`` would
(``tests/stack/mongo-standin.py``), and Debian's nginx with the project's nginx conf
(``tests/stack/nginx.Dockerfile``). The app service, its environment, MONGO_URI,
depends_on, the ports and the nginx conf are the real compose file's.

Skipped, saying why, without podman or docker-compose. The tests run in file order and share
one stack; the data they import builds up from one test to the next.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sla.service import demo
from tests import containers
from tests.conftest import stop_process
from tests.containers import podman

ROOT = containers.ROOT
STACK_DIR = ROOT / "tests" / "stack"
COMPOSE_FILES = [ROOT / "docker-compose.yml", STACK_DIR / "docker-compose.test.yml"]
FIRST, SECOND, THIRD = 200, 150, 50  # tickets in the three exports imported below
ADMIN = ("admin", "admin-pass-1234")
UP_TIMEOUT_S = 300
WAIT_PROBE_S = 3  # how long the test watches compose hold the app back

# Run inside a container: who the connection is logged in as, and what it may not do.
PRIVILEGES = """
import json, os
from pymongo import MongoClient
from pymongo.errors import OperationFailure
client = MongoClient(os.environ["MONGO_URI"], serverSelectionTimeoutMS=5000)
app_db = client[os.environ["SLA_DB"]]
info = app_db.command("connectionStatus")["authInfo"]
refused = {}
for name, attempt in (
        ("listDatabases", lambda: client.admin.command("listDatabases")),
        ("write to another database", lambda: client.other_db.probe.insert_one({})),
        ("createUser", lambda: app_db.command("createUser", "intruder", pwd="x", roles=[])),
        ("serverStatus", lambda: client.admin.command("serverStatus"))):
    try:
        attempt()
        refused[name] = None
    except OperationFailure as exc:
        refused[name] = exc.code
print(json.dumps({"users": info["authenticatedUsers"], "roles": info["authenticatedUserRoles"],
                  "refused": refused}))
"""

# Run in the database container with ROOT_URI and APP_URI_BAD_PASSWORD set.
DATABASE_SIDE = """
import json, os
from pymongo import MongoClient
from pymongo.errors import OperationFailure
def code(attempt):
    try:
        attempt()
        return None
    except OperationFailure as exc:
        return exc.code
root = MongoClient(os.environ["ROOT_URI"], serverSelectionTimeoutMS=5000)
users = root[os.environ["SLA_DB"]].command("usersInfo", os.environ["MONGO_APP_USER"])["users"]
anonymous = MongoClient("mongodb://127.0.0.1:27017/?directConnection=true",
                        serverSelectionTimeoutMS=5000)
bad = MongoClient(os.environ["APP_URI_BAD_PASSWORD"], serverSelectionTimeoutMS=5000)
print(json.dumps({
    "app_user_roles": [u["roles"] for u in users],
    "root_lists_databases": code(lambda: root.admin.command("listDatabases")),
    "anonymous_find": code(lambda: anonymous[os.environ["SLA_DB"]].tickets.find_one()),
    "wrong_password": code(lambda: bad[os.environ["SLA_DB"]].command("ping")),
}))
"""

COUNTS = ("from sla.storage import connection, versions; import json; db = connection.connect(); print(json.dumps("
          "{'data_version': versions.data_version(db), **{name: db[name].count_documents({}) "
          "for name in sorted(db.list_collection_names())}}))")


@dataclass
class Stack:
    """A started project: run docker-compose in it, reach its containers and ports."""

    project: str
    env_file: Path
    values: dict
    process_env: dict
    tmp: Path
    observed: dict = field(default_factory=dict)

    def compose(self, *args: str, stdin: bytes | str | None = None, check: bool = True,
                timeout: float = 300) -> subprocess.CompletedProcess:
        command = ["docker-compose", "-p", self.project, "--env-file", str(self.env_file),
                   *[a for f in COMPOSE_FILES for a in ("-f", str(f))], "--profile", "tls", *args]
        result = subprocess.run(command, cwd=ROOT, env=self.process_env, input=stdin,
                                capture_output=True, timeout=timeout,
                                text=not isinstance(stdin, bytes))
        if check:
            assert result.returncode == 0, (f"docker-compose {' '.join(args[:4])} … exited "
                                            f"{result.returncode}: {result.stderr!s}"[-3000:])
        return result

    def app(self, index: int, *command: str, stdin: bytes | str | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
        """``docker-compose exec`` in replica ``index`` (1 or 2) of the app service."""
        return self.compose("exec", "-T", f"--index={index}", "app", *command, stdin=stdin,
                            check=check)

    def sla(self, index: int, *args: str, stdin: str | None = None) -> str:
        return self.app(index, "python", "-m", "sla", *args, stdin=stdin).stdout

    def containers(self, service: str) -> list[str]:
        """Names of the service's containers, running or not, by replica number."""
        listed = podman("ps", "-a", "--filter", f"label=com.docker.compose.project={self.project}",
                        "--filter", f"label=com.docker.compose.service={service}",
                        "--format", "{{.Names}}").stdout.split()
        return sorted(listed)

    def port(self, container: str, target: int) -> int:
        return int(podman("port", container, str(target)).stdout.split()[0].rsplit(":", 1)[1])

    def summary(self, index: int) -> dict:
        return json.loads(self.sla(index, "summary", "--json"))

    def counts(self, index: int) -> dict:
        return json.loads(self.app(index, "python", "-c", COUNTS).stdout)

    def put_file(self, index: int, data: bytes, path: str) -> None:
        self.app(index, "sh", "-c", f"cat > {path}", stdin=data)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_podman_service(socket_path: Path) -> subprocess.Popen:
    """``podman system service`` on a socket of its own: the Docker API docker-compose needs."""
    process = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{socket_path}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"podman system service exited with {process.returncode}")
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(socket_path))
                probe.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
                if b"OK" in probe.recv(4096):
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("podman system service did not answer within 30 s")


def _make_certs(folder: Path) -> None:
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl not installed (needed for nginx's throw-away certificate)")
    folder.mkdir()
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                    "/CN=localhost", "-days", "1", "-keyout", str(folder / "privkey.pem"),
                    "-out", str(folder / "fullchain.pem")], check=True, capture_output=True,
                   timeout=60)
    for pem in folder.iterdir():
        pem.chmod(0o644)  # read by nginx in its container


def _env_values(tmp: Path, image: str, nginx_image: str) -> dict:
    """What an operator's .env holds, with fresh secrets and free loopback ports."""
    (tmp / "backups").mkdir()
    return {
        "MONGO_ROOT_USER": "root",
        "MONGO_ROOT_PASSWORD": secrets.token_hex(16),
        "MONGO_APP_USER": "sla_app",
        "MONGO_APP_PASSWORD": secrets.token_hex(16),
        "SLA_DB": "sla_tracker",
        "SLA_COOKIE_KEY": secrets.token_urlsafe(32),
        "SLA_MAX_UPLOAD_MB": "200",
        # "127.0.0.1:" + ":8501" = a free loopback port for each of the two replicas
        "APP_PORT": "127.0.0.1:",
        "HTTP_PORT": f"127.0.0.1:{_free_port()}",
        "HTTPS_PORT": f"127.0.0.1:{_free_port()}",
        "BACKUP_DIR": str(tmp / "backups"),
        "SLA_TEST_IMAGE": image,
        "SLA_TEST_NGINX_IMAGE": nginx_image,
        "SLA_TEST_CERTS": str(tmp / "certs"),
    }


def _wait_for_log(container: str, text: str, up: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        logs = podman("logs", container, check=False)
        if text in logs.stdout + logs.stderr:
            return
        if up.poll() is not None:
            break
        time.sleep(0.3)
    pytest.fail(f"{container} never logged {text!r}: {(logs.stdout + logs.stderr)[-2000:]}")


def _wait_for_container(stack: Stack, service: str, up: subprocess.Popen) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and up.poll() is None:
        names = stack.containers(service)
        if names:
            return names[0]
        time.sleep(0.3)
    pytest.fail(f"docker-compose up made no {service} container (exit {up.poll()})")


def _bring_up(stack: Stack) -> None:
    """``up -d --scale app=2``, watching that the app is held back until the database is
    healthy; the database's health check is run by hand (no systemd timers here)."""
    log = stack.tmp / "compose-up.log"
    started = time.monotonic()
    with log.open("w") as out:
        up = subprocess.Popen(
            ["docker-compose", "-p", stack.project, "--env-file", str(stack.env_file),
             *[a for f in COMPOSE_FILES for a in ("-f", str(f))], "--profile", "tls",
             "up", "-d", "--no-build", "--scale", "app=2"],
            cwd=ROOT, env=stack.process_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        mongo = _wait_for_container(stack, "mongo", up)
        _wait_for_log(mongo, "create-app-user: created user", up)
        time.sleep(WAIT_PROBE_S)  # the database answers by now, but is not "healthy" yet
        stack.observed["apps_before_healthy"] = stack.containers("app")
        stack.observed["up_waiting"] = up.poll() is None
        containers.wait_healthy(mongo)
        stack.observed["db_healthy_s"] = time.monotonic() - started
        up.wait(timeout=UP_TIMEOUT_S)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    stack.observed["up_log"] = log.read_text()
    assert up.returncode == 0, stack.observed["up_log"][-3000:]
    for name in stack.containers("app"):
        containers.wait_healthy(name)
    stack.observed["stack_healthy_s"] = time.monotonic() - started


def _tear_down(stack: Stack) -> None:
    """``down -v``, then whatever of the project is left (a failed ``up`` leaves some)."""
    stack.compose("down", "-v", "--remove-orphans", "-t", "10", check=False)
    label = f"label=com.docker.compose.project={stack.project}"
    left = podman("ps", "-aq", "--filter", label, check=False).stdout.split()
    if left:
        podman("rm", "-f", "-t", "5", *left, check=False)
    volumes = podman("volume", "ls", "-q", "--filter", label, check=False).stdout.split()
    if volumes:
        podman("volume", "rm", "-f", *volumes, check=False)
    podman("network", "rm", "-f", f"{stack.project}_default", check=False)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The stack up (database healthy, both app replicas healthy, nginx), with an admin made
    through replica 1. Everything is removed at the end, even after a failure: containers,
    the named volume, the network, the podman service and the temporary folder."""
    containers.require_podman()
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    image = containers.app_image()
    nginx = containers.build(f"localhost/sla-stack-nginx:test-{uuid.uuid4().hex[:8]}",
                             STACK_DIR, STACK_DIR / "nginx.Dockerfile")
    # A short path: a unix socket path must stay under 108 bytes.
    tmp = Path(tempfile.mkdtemp(prefix="sla-stack-"))
    service = None
    stack = None
    try:
        _make_certs(tmp / "certs")
        values = _env_values(tmp, image.tag, nginx.tag)
        env_file = tmp / "stack.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        socket_path = tmp / "podman.sock"
        service = _start_podman_service(socket_path)
        process_env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        process_env["DOCKER_HOST"] = f"unix://{socket_path}"
        stack = Stack(project=f"slastack{uuid.uuid4().hex[:8]}", env_file=env_file,
                      values=values, process_env=process_env, tmp=tmp)
        _bring_up(stack)
        stack.sla(1, "user", "add", ADMIN[0], "--role", "admin", stdin=ADMIN[1] + "\n")
        containers.record_figures(tmp_path_factory.getbasetemp(),
                                  stack_db_healthy_s=stack.observed["db_healthy_s"],
                                  stack_healthy_s=stack.observed["stack_healthy_s"])
        yield stack
    finally:
        if stack is not None:
            _tear_down(stack)
        if service is not None:
            stop_process(service, timeout_s=30)
        shutil.rmtree(tmp, ignore_errors=True)


def test_app_waits_for_a_healthy_database(stack):
    assert stack.observed["up_waiting"], "docker-compose up ended before the database was healthy"
    assert stack.observed["apps_before_healthy"] == [], (
        "app containers were created while the database was not yet healthy: "
        f"{stack.observed['apps_before_healthy']}")
    assert len(stack.containers("app")) == 2


def test_database_requires_a_login_and_holds_a_least_privilege_app_user(stack):
    v = stack.values
    mongo = stack.containers("mongo")[0]
    uid = podman("exec", mongo, "grep", "^Uid:", "/proc/1/status").stdout.split()[1]
    assert uid == "10001", "the database server must not run as root"
    result = podman(
        "exec", "-i",
        "-e", f"ROOT_URI=mongodb://{v['MONGO_ROOT_USER']}:{v['MONGO_ROOT_PASSWORD']}"
              "@127.0.0.1:27017/?authSource=admin&directConnection=true",
        "-e", f"APP_URI_BAD_PASSWORD=mongodb://{v['MONGO_APP_USER']}:wrong@127.0.0.1:27017/"
              f"{v['SLA_DB']}?authSource={v['SLA_DB']}&directConnection=true",
        mongo, "python", "-", stdin=DATABASE_SIDE)
    found = json.loads(result.stdout)
    assert found["app_user_roles"] == [[{"role": "readWrite", "db": v["SLA_DB"]}]]
    assert found["root_lists_databases"] is None  # root may; the app user may not (below)
    assert found["anonymous_find"] == 13  # Unauthorized
    assert found["wrong_password"] == 18  # AuthenticationFailed


def test_app_connects_as_the_app_user_not_root(stack):
    v = stack.values
    for index in (1, 2):
        uri = urlsplit(stack.app(index, "printenv", "MONGO_URI").stdout.strip())
        assert (uri.username, uri.hostname, uri.port) == (v["MONGO_APP_USER"], "mongo", 27017)
        assert uri.username != v["MONGO_ROOT_USER"]
        assert f"authSource={v['SLA_DB']}" in uri.query
        found = json.loads(stack.app(index, "python", "-", stdin=PRIVILEGES).stdout)
        assert found["users"] == [{"user": v["MONGO_APP_USER"], "db": v["SLA_DB"]}]
        assert found["roles"] == [{"role": "readWrite", "db": v["SLA_DB"]}]
        assert set(found["refused"].values()) == {13}, found["refused"]
        report = stack.sla(index, "check")
        assert "FAIL" not in report and "reachable and authorised" in report, report


def _https_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own throw-away certificate
    return context


def test_pages_through_nginx_and_from_each_replica(stack):
    https, tls = f"https://{stack.values['HTTPS_PORT']}", _https_context()
    with urllib.request.urlopen(f"{https}/_stcore/health", context=tls, timeout=10) as r:
        assert r.read() == b"ok"
    with urllib.request.urlopen(f"{https}/", context=tls, timeout=10) as r:
        assert r.status == 200 and b"<noscript>" in r.read()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(NoRedirect).open(f"http://{stack.values['HTTP_PORT']}/x",
                                                     timeout=10)
    assert redirect.value.code == 301 and redirect.value.headers["Location"].startswith("https://")

    replicas = stack.containers("app")
    for name in replicas:
        url = f"http://127.0.0.1:{stack.port(name, 8501)}/_stcore/health"
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.read() == b"ok"
    # nginx's upstream "app:8501" resolves to both replicas
    nginx = stack.containers("nginx")[0]
    resolved = {line.split()[0] for line in
                podman("exec", nginx, "getent", "ahostsv4", "app").stdout.splitlines()}
    address = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
    addresses = {podman("inspect", "--format", address, name).stdout.strip() for name in replicas}
    assert resolved == addresses and len(addresses) == 2, (resolved, addresses)


def _export(count: int, seed: int, prefix: str) -> bytes:
    frame = demo.generate_export(count, seed=seed)
    frame["SR Number"] = prefix + frame["SR Number"].astype(str)
    return demo.to_xlsx_bytes(frame)


def _import_through(stack: Stack, index: int, data: bytes, name: str) -> dict:
    stack.put_file(index, data, f"/tmp/{name}")
    return json.loads(stack.sla(index, "import", f"/tmp/{name}", "--json"))


def test_replicas_share_the_data_after_an_import_through_one(stack):
    before = stack.counts(2)
    report = _import_through(stack, 1, _export(FIRST, 1, "A-"), "first.xlsx")
    assert (report["inserted"], report["rejected"]) == (FIRST, 0), report
    one, two = stack.counts(1), stack.counts(2)
    assert one == two and two["data_version"] > before["data_version"], (before, one, two)
    assert stack.summary(2) == stack.summary(1)
    assert stack.summary(2)["total_tickets"] == FIRST


class Dashboard:
    """One logged-in browser session in a process of its own (tests/stack/dashboard.py):
    ``total()`` is the Dashboard's "Total tickets" now, ``again()`` after a reload."""

    def __init__(self, url: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen([sys.executable, str(STACK_DIR / "dashboard.py"), url,
                                         ADMIN[0]], cwd=ROOT, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.process.stdin.write(ADMIN[1] + "\n")
        self.process.stdin.flush()

    def total(self) -> str:
        line = self.process.stdout.readline()
        answer = json.loads(line) if line else {"error": f"exited {self.process.wait()}"}
        if "skip" in answer:
            pytest.skip(answer["skip"])
        assert "total" in answer, answer.get("error")
        return answer["total"]

    def again(self) -> str:
        self.process.stdin.write("again\n")
        self.process.stdin.flush()
        return self.total()

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def test_second_replica_page_shows_an_import_through_the_first(stack):
    """Replica 2's Streamlit process caches per data version: after an import through replica
    1 its page must show the new total. Then a session through nginx (its WebSocket proxy)."""
    replica_two = Dashboard(f"http://127.0.0.1:{stack.port(stack.containers('app')[1], 8501)}")
    try:
        assert replica_two.total() == f"{FIRST:,}"
        report = _import_through(stack, 1, _export(SECOND, 2, "B-"), "second.xlsx")
        assert report["inserted"] == SECOND, report
        assert replica_two.again() == f"{FIRST + SECOND:,}"
    finally:
        replica_two.close()
    through_nginx = Dashboard(f"https://{stack.values['HTTPS_PORT']}")
    try:
        assert through_nginx.total() == f"{FIRST + SECOND:,}"
    finally:
        through_nginx.close()


def test_backup_and_restore_through_the_stack(stack):
    """``python -m sla backup`` through replica 1 as the app user, a third import, then
    ``restore`` through replica 2: the figures and every collection are as they were."""
    summary, counts = stack.summary(1), stack.counts(1)
    assert "backed up" in stack.sla(1, "backup", "/tmp/stack.backup")
    archive = stack.app(1, "cat", "/tmp/stack.backup", stdin=b"").stdout
    stack.put_file(2, archive, "/tmp/stack.backup")

    _import_through(stack, 1, _export(THIRD, 3, "C-"), "third.xlsx")
    assert stack.summary(2)["total_tickets"] == summary["total_tickets"] + THIRD

    assert "restored" in stack.sla(2, "restore", "/tmp/stack.backup")
    assert stack.summary(1) == summary and stack.summary(2) == summary
    restored = stack.counts(1)
    assert restored.pop("data_version") > counts.pop("data_version")
    assert restored == counts


def _api(url: str, token: str | None = None, context: ssl.SSLContext | None = None) -> tuple:
    """(status, JSON body) of a GET, with the bearer token when given."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"}
                                     if token else {})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_the_api_through_nginx_and_from_each_replica(stack):
    """A token made in replica 1 works through nginx and on replica 2 (one store), with the
    figures the CLI prints; without it the answer is a JSON 401."""
    token = stack.sla(1, "token", "add", ADMIN[0], "--label", "stack test").strip()
    expected = stack.summary(2)["total_tickets"]
    https = f"https://{stack.values['HTTPS_PORT']}/api/v1"
    status, body = _api(f"{https}/summary", token, _https_context())
    assert status == 200 and body["total_tickets"] == expected, body
    status, body = _api(f"{https}/summary", None, _https_context())
    assert status == 401 and "error" in body
    status, document = _api(f"{https}/openapi.json", None, _https_context())
    assert status == 200 and "/api/v1/summary" in document["paths"]
    for name in stack.containers("app"):
        url = f"http://127.0.0.1:{stack.port(name, 8501)}/api/v1/summary?status=pending"
        status, body = _api(url, token)
        assert status == 200 and body["total_tickets"] == stack.summary(1)["pending"], body


def test_the_scheduler_serves_alerts_beside_the_app(stack):
    """The scheduler service runs its loop against the authenticated database: it says it is
    sending, and no pass fails."""
    (name,) = stack.containers("scheduler")
    deadline, said = time.monotonic() + 90, ""
    while time.monotonic() < deadline and "a pass every" not in said:
        logs = podman("logs", name, check=False)
        said = logs.stdout + logs.stderr
        time.sleep(1)
    assert "sending alerts: a pass every 60 s" in said, said[-2000:]
    assert "error" not in said.lower(), said[-2000:]
