#!/usr/bin/env bash
# Create .venv and install claimlab into it. Idempotent: a second run installs nothing new.
# Where no NVIDIA GPU is present it installs torch's CPU build; an unpinned torch would pull
# several GB of CUDA wheels that a CPU machine never uses.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1

if ! python -c "import torch" 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    pip install --quiet torch
  else
    # The CPU build is published on PyTorch's own index; machines with a local wheel
    # mirror find it without that index, and trying it first spares them the network.
    pip install --quiet "torch==2.13.0+cpu" 2>/dev/null ||
      pip install --quiet "torch==2.13.0+cpu" --extra-index-url https://download.pytorch.org/whl/cpu
  fi
fi
pip install --quiet -e ".[test]"
# Reference implementations the runtime's tests compare against. Their declared dependencies
# (torchvision, bitsandbytes) would replace the CPU torch with a CUDA one; neither imports them
# on the code paths compared, so they go in without dependencies.
pip install --quiet --no-deps "mup==1.0.0" "apollo-torch==1.0.3" "galore-torch==1.0"
