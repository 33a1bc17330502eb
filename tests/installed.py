"""claimlab installed from its wheel into a fresh environment, as a research group installs it
into its own spec repository: nothing of the checkout is importable there.

The fresh environment gets claimlab's dependencies by adding the test environment's
site-packages as a plain path (a .pth line): Python then imports torch, pydantic and the rest
from there, but runs none of that folder's own .pth files, so the editable install of the
checkout stays invisible and every claimlab module comes from the wheel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("claimlab", "compiler", "launch", "report", "runtime")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    python: Path          # the fresh environment's interpreter
    claimlab: Path        # its `claimlab` console script


def build_wheel(out: Path) -> Path:
    """`pip wheel .` without build isolation (the test environment has setuptools; CI has no
    reason to fetch it again)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "--wheel-dir", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=300,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    (wheel,) = out.glob("claimlab-*.whl")
    return wheel


def install(wheel: Path, env_dir: Path) -> Installed:
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    dependencies = sysconfig.get_paths()["purelib"]
    Path(purelib, "claimlab-test-dependencies.pth").write_text(dependencies + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
                    str(wheel)], check=True, capture_output=True, text=True, timeout=300,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    return Installed(wheel, python, env_dir / "bin" / "claimlab")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment with nothing that points back at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    return {**env, **extra}
