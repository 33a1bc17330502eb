#!/usr/bin/env bash
# Print, as one Markdown comment, what a change does to the plan of every spec in specs/:
# runs added, removed, changed and unchanged against the base revision given (e.g. origin/main).
# The pull-request workflow posts it; run it by hand to preview the comment.
set -euo pipefail
cd "$(dirname "$0")/.."

base=${1:?usage: scripts/plan-diff-comment.sh BASE_REVISION}
claimlab=${CLAIMLAB:-.venv/bin/claimlab}

echo "<!-- claimlab-plan-diff -->"
echo "## Plans of the specs in this change, against \`$base\`"
shopt -s nullglob
specs=(specs/*.yaml)
if [ ${#specs[@]} -eq 0 ]; then
  echo
  echo "No specs in specs/."
fi
for spec in "${specs[@]}"; do
  echo
  "$claimlab" plan "$spec" --diff "$base" --format markdown
done
