#!/usr/bin/env bash
# The project's Python environment: `bash scripts/python-env.sh [DIR]` (default .venv) makes a venv
# with python/requirements.txt (the policy server, its tests, the training package's export tools).
# On the project's machines pip reaches a local mirror only: it becomes the main index so that pip
# never waits on one it cannot reach. Skipped when the venv already has these requirements.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
PYTHON=${PYTHON:-python3}
read -r -a mirrors <<<"$("$PYTHON" -m pip config get global.extra-index-url 2>/dev/null || true)"
if [[ -z "${PIP_INDEX_URL:-}" && ${#mirrors[@]} -gt 0 ]]; then
  export PIP_INDEX_URL=${mirrors[0]}
  export PIP_EXTRA_INDEX_URL=${PIP_EXTRA_INDEX_URL:-${mirrors[*]:1}}
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
stamp="$(cat python/requirements.txt) $("$PYTHON" -c 'import sys; print(sys.version)')"
if [[ -x "$VENV/bin/python" && "$(cat "$VENV/.rsd-stamp" 2>/dev/null)" == "$stamp" ]]; then
  echo "python env $VENV is up to date"
  exit 0
fi
[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q -r python/requirements.txt 2>&1 | { grep -v "is neither a file nor a directory" || true; }
"$VENV/bin/python" -c 'import torch, websockets, msgpack, transformers, onnx, onnxruntime, mujoco'  # fail loudly if pip failed
printf '%s' "$stamp" > "$VENV/.rsd-stamp"
echo "python env $VENV: $("$VENV/bin/python" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)')"
