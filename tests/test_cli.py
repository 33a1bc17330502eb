"""End to end through the `claimlab` command, as a user runs it: compile, run, report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from installed import PACKAGES, Installed, build_wheel, clean_env, install

ROOT = Path(__file__).resolve().parent.parent

TINY_SPEC = """\
name: tiny-transfer
paper: {title: "A tiny paper", url: "https://example.org/paper"}
base:
  model: {width: 16, depth: 1, head_dim: 8, seq_len: 32}
  parametrization: {kind: mup, base_width: 16, base_head_dim: 8}
  schedule: {kind: wsd, warmup: 0.1}
  data: {batch_size: 4}
  budget: {steps: 12}
  eval: {every: 6, batches: 2}
sweep:
  grid:
    model.width: [16, 32]
    optimizer.lr: {logspace: [1.0e-3, 1.0e-1, 3]}
claims:
  - id: optimum-stable
    statement: "The best learning rate <script>alert(1)</script> does not move with width."
    check: {kind: argmin_stable, metric: final.val_loss, over: optimizer.lr,
            across: model.width, tolerance: 0.5}
"""


def claimlab(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLAIMLAB_CACHE": str(cwd / "cache")}
    return subprocess.run([sys.executable, "-m", "claimlab", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def wheel_install(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """claimlab built as a wheel and installed (not editable) into a fresh environment."""
    return install(build_wheel(tmp_path_factory.mktemp("dist")),
                   tmp_path_factory.mktemp("fresh-env"))


@pytest.fixture(params=["checkout", "wheel"])
def cli(request: pytest.FixtureRequest) -> Callable[..., subprocess.CompletedProcess]:
    """The `claimlab` command, from the checkout or from its installed wheel; the wheel's runs
    from a folder outside the checkout, with nothing of the checkout on the path."""
    if request.param == "checkout":
        return claimlab
    installed = request.getfixturevalue("wheel_install")

    def from_wheel(*args: str, cwd: Path) -> subprocess.CompletedProcess:
        env = clean_env(CLAIMLAB_CACHE=str(cwd / "cache"))
        return subprocess.run([str(installed.claimlab), *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=600)

    return from_wheel


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "tiny.yaml").write_text(TINY_SPEC)
    return tmp_path


def test_every_subcommand_has_help(tmp_path: Path) -> None:
    top = claimlab("--help", cwd=tmp_path)
    assert top.returncode == 0
    for command in ("compile", "run", "report"):
        assert command in top.stdout
        sub = claimlab(command, "--help", cwd=tmp_path)
        assert sub.returncode == 0, sub.stderr
        assert f"usage: claimlab {command}" in sub.stdout


def test_spec_mistake_is_located_without_traceback(project: Path) -> None:
    bad = project / "specs" / "bad.yaml"
    bad.write_text(TINY_SPEC.replace("width: 16, depth: 1", "widht: 16, depth: 1"))
    result = claimlab("compile", str(bad), cwd=project)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}:4:11: base.model.widht: unknown key" in result.stderr
    assert "did you mean 'width'" in result.stderr
    assert not (project / "build").exists()


def test_missing_spec_file_is_a_clear_error(project: Path) -> None:
    result = claimlab("run", "specs/nope.yaml", cwd=project)
    assert result.returncode == 2
    assert "specs/nope.yaml: no such spec file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_compile_run_report(project: Path, cli: Callable[..., subprocess.CompletedProcess]) -> None:
    claimlab = cli
    spec = "specs/tiny.yaml"

    compiled = claimlab("compile", spec, cwd=project)
    assert compiled.returncode == 0, compiled.stderr
    assert "6 runs in plan, 0 already finished, 6 to run" in compiled.stdout
    plan_dir = project / "build" / "plans" / "tiny-transfer"
    plan = json.loads((plan_dir / "plan.json").read_text())
    ids = [run["id"] for run in plan["runs"]]
    assert len(ids) == 6 and ids == sorted(ids)
    assert sorted(p.stem for p in (plan_dir / "jobs").glob("*.json")) == ids
    launch = (plan_dir / "launch.sh").read_text()
    assert launch.count("torchrun --standalone --nproc_per_node=1 -m runtime.train") == 6

    ran = claimlab("run", spec, "--jobs", "2", cwd=project)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.count(" completed ") == 6
    for run_id in ids:
        summary = json.loads((project / "results" / "runs" / run_id / "summary.json").read_text())
        assert summary["status"] == "completed"
        assert summary["final"]["val_loss"] > 0

    again = claimlab("run", str(plan_dir), cwd=project)
    assert again.returncode == 0
    assert "nothing to run, all 6 runs have finished (6 completed)" in again.stdout
    assert "6 already finished, 0 to run" in claimlab("compile", spec, cwd=project).stdout

    reported = claimlab("report", cwd=project)
    assert reported.returncode == 0, reported.stdout + reported.stderr
    site = project / "build" / "site"
    index = (site / "index.html").read_text()
    assert "optimum-stable" in index
    assert any(v in index for v in ("supported", "inconclusive"))
    page = (site / "claims" / "tiny-transfer" / "optimum-stable.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page

    # Committed results: packed beside the spec, a clean clone (the specs folder alone)
    # reports the same verdict without training.
    packed = claimlab("pack", spec, cwd=project)
    assert packed.returncode == 0, packed.stderr
    assert "packed 6 runs of 6 planned into specs/results/tiny-transfer.tar.xz" in packed.stdout
    clone = project.parent / f"{project.name}-clone"
    shutil.copytree(project / "specs", clone / "specs")
    cloned = claimlab("report", cwd=clone)
    assert cloned.returncode == 0, cloned.stdout + cloned.stderr
    assert "6 committed runs added to results/runs/" in cloned.stdout
    assert verdict_line(cloned.stdout) == verdict_line(reported.stdout)
    assert not list((clone / "results" / "runs").rglob("*.pt"))


def verdict_line(report_output: str) -> str:
    return next(line for line in report_output.splitlines() if "optimum-stable" in line)


def test_commands_that_do_not_train_start_without_torch(tmp_path: Path) -> None:
    # compile, plan, validate and the pre-commit hook run on every spec edit: they must not pay
    # the seconds torch takes to import.
    # numpy too: 0.1 s of a 10,000-run compile that has a 2 s budget.
    probe = ("import sys, claimlab.main; "
             "heavy = {'torch', 'numpy', 'pandas', 'plotly'} & set(sys.modules); "
             "assert not heavy, f'claimlab.main imported {heavy}'")
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_wheel_holds_every_module_and_the_site_templates(wheel_install: Installed) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel_install.wheel).namelist())
    for package in PACKAGES:
        for module in (ROOT / package).rglob("*.py"):
            assert str(module.relative_to(ROOT)) in names
    templates = {p.relative_to(ROOT).as_posix() for p in (ROOT / "report" / "site").rglob("*")
                 if p.is_file() and p.suffix in {".j2", ".yml", ".css", ".js"}}
    assert templates and templates <= names
    assert not any(name.startswith(("tests/", "specs/", "benchmarks/")) for name in names)


@pytest.mark.slow
def test_the_installed_package_runs_as_a_module_from_anywhere(wheel_install: Installed,
                                                             tmp_path: Path) -> None:
    where = subprocess.run([str(wheel_install.python), "-c",
                            "import claimlab, compiler, launch, report, runtime; "
                            "print('\\n'.join(m.__file__ for m in "
                            "(claimlab, compiler, launch, report, runtime)))"],
                           cwd=tmp_path, env=clean_env(), capture_output=True, text=True)
    assert where.returncode == 0, where.stderr
    for path in where.stdout.split():
        assert not Path(path).is_relative_to(ROOT), path
    helped = subprocess.run([str(wheel_install.python), "-m", "claimlab", "--help"],
                            cwd=tmp_path, env=clean_env(), capture_output=True, text=True)
    assert helped.returncode == 0 and "usage: claimlab" in helped.stdout


def test_output_cut_short_by_its_reader_ends_quietly(project: Path) -> None:
    # `claimlab plan SPEC | head -1`: the reader closes the pipe after one line, long before
    # the 2,000 runs' table (far more than a pipe buffers) is written.
    big = TINY_SPEC.replace("{logspace: [1.0e-3, 1.0e-1, 3]}", "{logspace: [1.0e-3, 1.0e-1, 1000]}")
    (project / "specs" / "tiny.yaml").write_text(big)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLAIMLAB_CACHE": str(project / "cache")}
    command = f"{sys.executable} -m claimlab plan specs/tiny.yaml | head -1"
    result = subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], cwd=project, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.count("\n") == 1
    assert result.stderr == ""
