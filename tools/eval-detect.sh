#!/usr/bin/env bash
# Evaluates (eval) or times (bench) seep's leak detectors on labelled series
# built from the real Alibaba memory series (see tools/eval_detect.c for the
# recipe) and on the real-program corpus (data/corpus, recorded by
# tools/record-corpus.sh). eval writes tools/eval-detect.md (committed) and
# prints it: the tuning seeds, then held-out seeds never looked at while
# tuning, then the corpus.
#   tools/eval-detect.sh eval|bench EVAL_BINARY DATA_DIR [SEED] [CORPUS_DIR] [SEEP]
set -euo pipefail

mode=${1:?mode}; bin=${2:?binary}; data=${3:?data dir}; seed=${4:-${SEED:-20261122}}
here=$(cd "$(dirname "$0")" && pwd)
corpus=${5:-$here/../data/corpus}; seep=${6:-$here/../build/seep}
heldout=${HELDOUT_SEED:-7001}
md=$here/eval-detect.md

if [[ ! -d "$data" ]]; then
  echo "eval-detect: no data directory '$data' (set DETECT_DATA)" >&2
  exit 1
fi
case "$mode" in
  eval)
    start=$(date +%s)
    "$bin" eval "$data" "$seed" "$md" >/dev/null
    "$bin" eval "$data" "$heldout" "$md" \
      "Held-out seeds ($heldout..$((heldout + 2)): not used while tuning)" >/dev/null
    if [[ -f "$corpus/labels.tsv" ]]; then
      "$bin" corpus "$corpus" rss "$md"
    else
      echo "eval-detect: no corpus in '$corpus' (tools/record-corpus.sh records one)" >&2
    fi
    cat "$md"
    echo
    echo "wrote $md in $(( $(date +%s) - start ))s"
    ;;
  bench)
    "$bin" bench "$data" "$seep"
    ;;
  *) echo "eval-detect: unknown mode '$mode'" >&2; exit 2 ;;
esac
