"""`claimlab report` as a user runs it: its output, its flags, and its errors (exit code 2,
a message naming the spec and claim, never a traceback, nothing built before lost)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from report_synthetic import make_experiment, mup_claim, transfer_spec, write_source

pytestmark = pytest.mark.slow        # each test starts the command in a new process

REPO = Path(__file__).resolve().parents[2]
SPEC = transfer_spec(grid={"model.width": [64, 256], "optimizer.lr": [1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
                           "parametrization.kind": ["mup"]})


def claimlab(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "claimlab.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """specs/mup-transfer.yaml and its results; the project's own site config."""
    make_experiment(tmp_path, SPEC)
    write_source(tmp_path, SPEC)
    (tmp_path / "mkdocs.yml").write_text(f"INHERIT: {REPO / 'mkdocs.yml'}\n"
                                         f"docs_dir: {REPO / 'site'}\n")
    return tmp_path


def test_report_prints_each_verdict_and_where_the_site_is(project):
    result = claimlab("report", cwd=project)
    assert result.returncode == 0, result.stderr
    first, last = result.stdout.strip().splitlines()
    assert first.startswith("supported  mup-transfer/lr-stable-under-mup: The best")
    assert last == f"report: {project / 'build' / 'site' / 'index.html'}"
    assert (project / "build" / "site" / "checks.html").is_file()


def test_a_metric_no_run_logs_is_a_located_error_and_keeps_the_old_site(project):
    assert claimlab("report", cwd=project).returncode == 0
    index = (project / "build" / "site" / "index.html").read_bytes()
    broken = transfer_spec(grid=SPEC.sweep.grid, claims=[mup_claim(metric="final.bpb")])
    write_source(project, broken)

    result = claimlab("report", cwd=project)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert re.match(r"specs/mup-transfer\.yaml:\d+:\d+: claims\[0\]\.check\.metric: no "
                    r"planned run logs a metric 'final\.bpb' \(did you mean 'final\.val_bpb'",
                    result.stderr), result.stderr
    assert (project / "build" / "site" / "index.html").read_bytes() == index


def test_a_missing_site_config_is_a_clear_error(project):
    result = claimlab("report", "--config", "nope.yml", cwd=project)
    assert result.returncode == 2
    assert result.stderr.strip() == "site config nope.yml does not exist"


def test_serving_on_a_port_in_use_is_a_clear_error(project):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = claimlab("report", "--serve", "--port", str(port), cwd=project)
    assert result.returncode == 2
    assert f"cannot serve on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "Traceback" not in result.stderr
