#!/usr/bin/env bash
# The CUDA path on a machine with a GPU, in under 10 minutes: the CUDA tests (bf16 autocast,
# flash attention, fused AdamW, torch.compile, nccl DDP when there are two GPUs), then MFU of
# a GPT-2-small-shaped model and a sweep's throughput (benchmarks/gpu_bench.py), as a table.
# On a machine without a GPU it says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x .venv/bin/python ]; then
  python=.venv/bin/python
else
  python=${PYTHON:-python3}
fi
if ! "$python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu_check: no CUDA GPU on this machine; nothing to check"
  exit 0
fi

"$python" -c "import torch; print('gpu_check:', torch.cuda.get_device_name(), 'x', torch.cuda.device_count(), '| torch', torch.__version__)"
status=0
timeout 300 "$python" -m pytest -q -p no:cacheprovider -m gpu tests/gpu || status=$?
timeout 360 "$python" benchmarks/gpu_bench.py || status=$?
exit "$status"
