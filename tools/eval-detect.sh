#!/usr/bin/env bash
# Evaluates (eval) or times (bench) seep's leak detectors on labelled series
# built from the real Alibaba memory series; see tools/eval_detect.c for the
# recipe. eval writes tools/eval-detect.md (committed) and prints it.
#   tools/eval-detect.sh eval|bench EVAL_BINARY DATA_DIR [SEED]
set -euo pipefail

mode=${1:?mode}; bin=${2:?binary}; data=${3:?data dir}; seed=${4:-${SEED:-20261122}}
here=$(cd "$(dirname "$0")" && pwd)

if [[ ! -d "$data" ]]; then
  echo "eval-detect: no data directory '$data' (set DETECT_DATA)" >&2
  exit 1
fi
case "$mode" in
  eval)
    start=$(date +%s)
    "$bin" eval "$data" "$seed" "$here/eval-detect.md"
    echo
    echo "wrote $here/eval-detect.md in $(( $(date +%s) - start ))s"
    ;;
  bench)
    "$bin" bench "$data"
    ;;
  *) echo "eval-detect: unknown mode '$mode'" >&2; exit 2 ;;
esac
