"""Podman helpers shared by tests/test_container.py and tests/test_stack.py: whether this
machine can run containers at all, one build of the app image per test session (timed,
removed when the session ends), health checks run by hand, and the measured figures.

Health timers need systemd, which these machines lack, so a container's HEALTHCHECK only
runs when ``podman healthcheck run`` is called: ``wait_healthy`` does that until it passes.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE_IMAGE = "docker.io/library/python:3.11-slim"
APP_USER = "10001:10001"
HEALTHY_TIMEOUT_S = 120
FIGURES_FILE = "container-figures.json"


@dataclass(frozen=True)
class Image:
    tag: str
    build_s: float
    size_mb: float  # megabytes of 10**6 bytes, as podman and docker print them


def podman(*args: str, timeout: float = 300, check: bool = True,
           stdin: bytes | str | None = None) -> subprocess.CompletedProcess:
    """Run ``podman ARGS``; text output unless ``stdin`` is bytes. Fails with its stderr."""
    result = subprocess.run(["podman", *args], capture_output=True, timeout=timeout,
                            input=stdin, text=not isinstance(stdin, bytes))
    if check and result.returncode != 0:
        pytest.fail(f"podman {' '.join(args[:3])} … exited {result.returncode}: "
                    f"{_text(result.stderr).strip()[-2000:]}")
    return result


def _text(output: bytes | str) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output


@functools.cache
def unusable_reason() -> str | None:
    """Why podman cannot build and run containers here, or None when it can."""
    if not shutil.which("podman"):
        return "podman is not installed (see docs/deploy.md, Container tests)"
    if podman("image", "exists", BASE_IMAGE, check=False).returncode != 0:
        return (f"the base image {BASE_IMAGE} is not in podman's store and no registry may be "
                "reachable (see docs/deploy.md, Container tests)")
    probe = podman("run", "--rm", "--pull=never", BASE_IMAGE, "true", check=False, timeout=120)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return f"podman cannot start a container here: {last[:300]}"
    return None


def require_podman() -> None:
    reason = unusable_reason()
    if reason:
        pytest.skip(reason)


def build(tag: str, context: Path, dockerfile: Path | None = None) -> Image:
    """``podman build --format docker`` (the docker format keeps HEALTHCHECK), timed; the
    image is removed when the test session ends. ``--no-cache``: the time is that of a
    first build (pip downloads included), not of a cache hit."""
    file_args = ["-f", str(dockerfile)] if dockerfile else []
    started = time.monotonic()
    podman("build", "--format", "docker", "--pull=never", "--no-cache", "-t", tag, *file_args,
           str(context), timeout=1200)
    seconds = time.monotonic() - started
    atexit.register(subprocess.run, ["podman", "rmi", "-f", tag], capture_output=True)
    size = int(podman("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip())
    return Image(tag=tag, build_s=seconds, size_mb=size / 1e6)


@functools.cache
def app_image() -> Image:
    """The project's Dockerfile built once per session, under a tag of its own."""
    return build(f"localhost/sla-tracker:test-{uuid.uuid4().hex[:8]}", ROOT)


def wait_healthy(container: str, timeout_s: float = HEALTHY_TIMEOUT_S) -> None:
    """Run the container's HEALTHCHECK until it passes (podman says "healthy")."""
    deadline = time.monotonic() + timeout_s
    while True:
        check = podman("healthcheck", "run", container, check=False, timeout=60)
        if check.returncode == 0:
            return
        state = podman("inspect", "--format", "{{.State.Status}}", container, check=False)
        if state.stdout.strip() not in ("running", "created", "") or time.monotonic() > deadline:
            logs = podman("logs", "--tail", "40", container, check=False)
            pytest.fail(f"{container} not healthy (state {state.stdout.strip()!r}, check: "
                        f"{(check.stdout + check.stderr).strip()[-300:]}); its log:\n"
                        f"{(logs.stdout + logs.stderr)[-3000:]}")
        time.sleep(0.5)


def record_figures(basetemp: Path, **figures: float) -> Path:
    """Add measured figures to ``container-figures.json`` in pytest's base temp folder and
    print them (shown with ``pytest -rA``)."""
    path = basetemp / FIGURES_FILE
    known = json.loads(path.read_text()) if path.exists() else {}
    known.update({name: round(value, 1) for name, value in figures.items()})
    path.write_text(json.dumps(known, indent=2) + "\n")
    print("container figures: " + ", ".join(f"{k} = {v:.1f}" for k, v in figures.items())
          + f" (in {path})")
    return path
