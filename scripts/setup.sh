#!/usr/bin/env bash
# Create .venv (Python 3.11+), install the pinned requirements given as $1 and the project
# itself (editable: `import geo` and the `rollout-mapper` command work from anywhere), then
# prepare the boundaries and join indexes, so that no visitor and no test waits for them.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "${1:-requirements.txt}"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
.venv/bin/python -m geo prepare
