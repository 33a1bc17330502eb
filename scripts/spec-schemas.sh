#!/usr/bin/env bash
# Regenerate the JSON Schemas that editors validate specs against (specs/schema/), from the
# spec's models. CI and the pre-commit hook run it and fail when it changed something.
set -euo pipefail
cd "$(dirname "$0")/.."

claimlab=${CLAIMLAB:-.venv/bin/claimlab}
"$claimlab" schema -o specs/schema/spec.schema.json >/dev/null
"$claimlab" schema --fragment -o specs/schema/fragment.schema.json >/dev/null
