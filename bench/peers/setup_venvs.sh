#!/usr/bin/env bash
# One venv per peer tracker under $BENCH_VENVS (default /tmp/bench/venvs), pinned to the versions
# ../shared/bench-peers/RESULTS.md was measured with, so bench_client.py compares like with like.
# Idempotent: an existing venv is reused and pip only fills what is missing.
set -euo pipefail
PY=${PYTHON:-python3.11}
VENVS=${BENCH_VENVS:-/tmp/bench/venvs}
PEERS=${*:-mlflow neptune wandb aim}
mkdir -p "$VENVS"
declare -A PKGS=(
  [mlflow]="mlflow==3.17.2"
  [neptune]="neptune==1.14.0.post2"
  [wandb]="wandb==0.31.0"
  [aim]="aim==3.29.1"
)
for v in $PEERS; do
  if [ ! -x "$VENVS/$v/bin/python" ]; then
    "$PY" -m venv "$VENVS/$v"
  fi
  if "$VENVS/$v/bin/python" -c "import $v" 2>/dev/null; then
    echo "== $v: present"
    continue
  fi
  echo "== $v: ${PKGS[$v]}"
  # shellcheck disable=SC2086
  "$VENVS/$v/bin/pip" install -q ${PKGS[$v]} psutil==7.2.2 || echo "!! install failed for $v"
done
