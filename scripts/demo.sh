#!/usr/bin/env bash
# Set up, then compile and run the demo spec on this machine and build the report site.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate

spec=specs/mup-lr-transfer.yaml
jobs=${CLAIMLAB_JOBS:-$(python -c "import os; print(min(2, os.cpu_count() or 1))")}
claimlab compile "$spec"
claimlab run "$spec" --jobs "$jobs"
claimlab report "$spec"
echo
echo "Open the report: $(pwd)/build/site/index.html"
