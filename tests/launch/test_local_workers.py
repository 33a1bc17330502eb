"""`claimlab run` when its worker processes cannot train: a clear message and exit code,
never a silent "0 completed" or a hang."""

import os
import subprocess
import sys
from pathlib import Path

from runtime.results import read_summary

ROOT = Path(__file__).resolve().parents[2]

SPEC = """\
name: tiny
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 32}
  data: {batch_size: 8}
  budget: {steps: 5}
sweep:
  grid: {optimizer.lr: [0.001, 0.002, 0.003, 0.004]}
"""


def test_workers_that_die_as_they_start_stop_the_command_with_the_reason(tmp_path):
    # A torch that cannot be imported, ahead of the real one for this command only: the
    # command itself never imports torch, its workers die importing it.
    broken = tmp_path / "broken" / "torch"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('this torch is broken')\n")
    (tmp_path / "spec.yaml").write_text(SPEC)
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": f"{tmp_path / 'broken'}{os.pathsep}{ROOT}"}
    done = subprocess.run([sys.executable, "-m", "claimlab", "run", "spec.yaml"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "ImportError: this torch is broken" in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "the worker processes died twice before finishing a run, so 2 runs were not " \
           "started" in last
    assert sys.executable in last
    assert "Traceback" not in last
    # Nothing was lost: with a torch that works, the same command trains all four.
    env["PYTHONPATH"] = str(ROOT)
    again = subprocess.run([sys.executable, "-m", "claimlab", "run", "spec.yaml"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == "tiny: 4 completed, 0 diverged, 0 failed"
    assert all(read_summary(tmp_path / "results", run.name)["status"] == "completed"
               for run in (tmp_path / "results" / "runs").iterdir())


def test_a_python_without_torch_is_refused_before_anything_starts(tmp_path):
    (tmp_path / "spec.yaml").write_text(SPEC)
    hidden = tmp_path / "hide" / "sitecustomize.py"
    hidden.parent.mkdir()
    # Makes torch unfindable in this Python, as in an environment without it.
    hidden.write_text("import sys\n"
                      "class _NoTorch:\n"
                      "    def find_spec(self, name, path=None, target=None):\n"
                      "        if name == 'torch' or name.startswith('torch.'):\n"
                      "            raise ModuleNotFoundError(name)\n"
                      "sys.meta_path.insert(0, _NoTorch())\n")
    env = {**os.environ, "PYTHONPATH": f"{hidden.parent}{os.pathsep}{ROOT}"}
    done = subprocess.run([sys.executable, "-m", "claimlab", "run", "spec.yaml"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "claimlab run trains with PyTorch, which this Python" in done.stderr
    assert not (tmp_path / "results").exists()
