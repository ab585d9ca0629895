#!/usr/bin/env bash
# swellfem: set up (first use) and run. Needs python3.12 or newer; creates .venv itself.
#   ./run.sh znse    the ZnSe double-carbon-confinement comparison (3 model variants) -> results/znse/
#   ./run.sh test    the test suite (what CI runs)
#   ./run.sh setup   only create/refresh .venv
set -euo pipefail
cd "$(dirname "$0")"

find_python() {
  local c
  for c in ${SWELLFEM_PYTHON:-} python3.14 python3.13 python3.12 python3 python \
           "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

setup() {
  local stamp=".venv/.swellfem-installed"
  local want
  want=$(cat pyproject.toml | sha256sum | cut -c1-16)
  if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  if [ ! -x .venv/bin/python ]; then
    local py
    py=$(find_python) || { echo "run.sh: needs python3.12 or newer on PATH (or SWELLFEM_PYTHON=/path/to/python3.12)" >&2; exit 2; }
    echo "run.sh: creating .venv with $py" >&2
    "$py" -m venv .venv || { echo "run.sh: '$py -m venv' failed; on Debian: apt-get install python3-venv" >&2; exit 2; }
  fi
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[solver,test]"
  echo "$want" > "$stamp"
}

cmd=${1:-}
shift || true
case "$cmd" in
  setup) setup ;;
  znse)
    setup
    # --overwrite: the main job replaces its own earlier result (never a folder swellfem did not write);
    # --jobs: the models (3 x 3 variants) are solved in one worker process per CPU (SWELLFEM_JOBS=N)
    exec .venv/bin/swellfem compare cases/znse/comparison.toml -o results/znse --overwrite \
      --jobs "${SWELLFEM_JOBS:-$(nproc 2>/dev/null || echo 1)}" "$@" ;;
  test)
    setup
    export MPLBACKEND=Agg
    set +e
    # one test process per CPU (SWELLFEM_TEST_WORKERS=N; 0: in this process); a test file stays
    # in one process, so its module fixtures are solved once
    .venv/bin/python -m pytest -rs -m "not slow" -n "${SWELLFEM_TEST_WORKERS:-auto}" --dist loadfile "$@"
    rc=$?
    [ $rc -eq 5 ] && { echo "run.sh: pytest collected no tests" >&2; exit 1; }
    exit $rc ;;
  *)
    sed -n '2,6p' "$0" >&2
    exit 2 ;;
esac
