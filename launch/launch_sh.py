"""`launch.sh`: a plan's runs, one torchrun each, for any machine with bash and the runtime."""

from __future__ import annotations

import json

from compiler.planning.plan import Plan

_HEADER = """\
#!/usr/bin/env bash
# Runs the {count} run(s) of spec {spec} one after another, each a single-process torchrun.
# Results go to $CLAIMLAB_RESULTS (default ./results, relative to where this is started).
# A run with a result (its summary says completed or diverged, which training again would
# only reproduce) is skipped, so running this again resumes the plan. A run that diverges
# is a result too, so the plan goes on; any other failure stops it. A run that another
# launcher is training is left to it (runtime/train.py takes each run's lease), so this can
# run beside `claimlab run` or another copy of itself.
set -euo pipefail

here="$(cd -- "$(dirname -- "${{BASH_SOURCE[0]}}")" && pwd)"
RESULTS="${{CLAIMLAB_RESULTS:-./results}}"

has_status() {{
  grep -Eqs '"status"[[:space:]]*:[[:space:]]*"'"$2"'"' "$RESULTS/runs/$1/summary.json"
}}

finished() {{
  local status
  for status in completed diverged; do
    if has_status "$1" "$status"; then
      echo "skip $1 ($status)" >&2
      return 0
    fi
  done
  return 1
}}

# Runs a run's command; a run that diverges is a result, not a failure of the plan
# (torchrun exits non-zero for both).
train() {{
  local id=$1
  shift
  "$@" || has_status "$id" diverged
}}

"""

# Run ids are hex digits (PlannedRun checks), so they need no quoting.
_RUN = ('finished {id} || train {id} torchrun --standalone --nproc_per_node=1 -m runtime.train '
        '"$here/jobs/{id}.json" --results "$RESULTS"\n')


def launch_script(plan: Plan) -> str:
    lines = [_HEADER.format(count=len(plan.runs), spec=json.dumps(plan.spec))]
    for run in plan.runs:
        lines.append(_RUN.format(id=run.id))
    return "".join(lines)
