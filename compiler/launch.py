"""`launch.sh`: a plan's runs, one torchrun each, for any machine with bash and the runtime."""

from __future__ import annotations

import json

from compiler.plan import Plan

_HEADER = """\
#!/usr/bin/env bash
# Runs the {count} run(s) of spec {spec} one after another, each a single-process torchrun.
# Results go to $CLAIMLAB_RESULTS (default ./results, relative to where this is started).
# A run whose summary says it completed is skipped, so running this again resumes the plan.
set -euo pipefail

here="$(cd -- "$(dirname -- "${{BASH_SOURCE[0]}}")" && pwd)"
RESULTS="${{CLAIMLAB_RESULTS:-./results}}"

completed() {{
  if grep -Eqs '"status"[[:space:]]*:[[:space:]]*"completed"' "$RESULTS/runs/$1/summary.json"; then
    echo "skip $1 (completed)" >&2
  else
    return 1
  fi
}}

"""

# Run ids are hex digits (PlannedRun checks), so they need no quoting.
_RUN = ('completed {id} || torchrun --standalone --nproc_per_node=1 -m runtime.train '
        '"$here/jobs/{id}.json" --results "$RESULTS"\n')


def launch_script(plan: Plan) -> str:
    lines = [_HEADER.format(count=len(plan.runs), spec=json.dumps(plan.spec))]
    for run in plan.runs:
        lines.append(_RUN.format(id=run.id))
    return "".join(lines)
