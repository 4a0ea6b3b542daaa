"""The benchmark scripts still run (on tiny data): a bench that rots measures nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run_bench(*args: str, timeout: int = 300) -> str:
    env_free = {"PATH": "/usr/bin:/bin", "HOME": str(ROOT)}
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=timeout, env=env_free)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout


def test_design_bench_prints_both_designs():
    out = run_bench("bench/bench_designs.py", "--sizes", "3000")
    assert "| 3,000 | A snapshot |" in out and "| 3,000 | B $merge rollup |" in out


@pytest.mark.e2e
def test_load_generator_logs_in_and_reruns_the_dashboard():
    out = run_bench("bench/load.py", "--start-app", "--demo-tickets", "300", "warm",
                    "--reruns", "3")
    assert "warm: 3 reruns of the Dashboard" in out
