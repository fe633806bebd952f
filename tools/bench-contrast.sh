#!/usr/bin/env bash
# bench-contrast: `seep contrast` on a generated data set of ~10^8 instances
# (aggregated: ~10^6 rows with counts), then the meta-heuristic against the
# exhaustive search up to length 3 on a smaller set.
#   usage: tools/bench-contrast.sh SEEP CONTRAST_GEN OUTDIR
# Prints wall time, the program's own load/search times and its peak RSS
# (getrusage ru_maxrss). Exits 1 if a best pattern is not the planted one or
# the two searches disagree. Needs jq.
set -euo pipefail

seep=${1:?usage: bench-contrast.sh SEEP CONTRAST_GEN OUTDIR}
gen=${2:?}
out=${3:?}
command -v jq >/dev/null || { echo "bench-contrast: needs jq (apt-get install jq)" >&2; exit 1; }
mkdir -p "$out"

plant=(--plant App=APP1 --plant APIVersion=V1)
want='{"App":"APP1","APIVersion":"V1"}'
opts=(--class-col Status --target leak --count-col Count --format json)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
best() { jq -c '.patterns[0].items' "$1"; }

echo "== generating: 500000 combinations x mean count 200, 17 attributes"
big=$out/contrast-1e8.csv
t0=$(now)
"$gen" "$big" --combos 500000 --mean-count 200 --nodes 1000 --noise 12 --seed 1 "${plant[@]}"
printf '   %s: %s rows, %.1f MB, %.1f s\n' "$big" "$(($(wc -l <"$big") - 1))" \
  "$(awk -v b="$(stat -c %s "$big")" 'BEGIN { print b / 1e6 }')" "$(elapsed "$t0")"

echo "== seep contrast (meta-heuristic, max-len 4) on ~10^8 instances"
t0=$(now)
"$seep" contrast "$big" "${opts[@]}" >"$out/heuristic-1e8.json"
wall=$(elapsed "$t0")
jq -r --arg wall "$wall" '
  "   instances: \(.target_instances + .background_instances) (target \(.target_instances)), rows: \(.rows)",
  "   hierarchy: \([.hierarchy[] | join(" -> ")] | join("; "))",
  "   best: \(.patterns[0].items | tojson) score \(.patterns[0].score)",
  "   time: \($wall | tonumber * 100 | round / 100) s wall (load \(.load_seconds * 100 | round / 100) s, search \(.search.seconds * 100 | round / 100) s: \(.search.steps) steps, \(.search.evaluations) evaluations)",
  "   peak RSS: \(.peak_rss_kib / 1024 | round) MiB"' "$out/heuristic-1e8.json"
ok=1
[[ $(best "$out/heuristic-1e8.json") == "$want" ]] || { echo "   FAIL: best is not the planted pattern"; ok=0; }

same() {
  [[ $(best "$1") == "$(best "$2")" && $(jq '.patterns[0].score' "$1") == $(jq '.patterns[0].score' "$2") ]]
}

compare() {   # compare CSV TAG: meta-heuristic vs exhaustive, both max-len 3
  local csv=$1 tag=$2 method extra wall
  for method in heuristic exhaustive; do
    extra=(--max-len 3)
    [[ $method == exhaustive ]] && extra+=(--exhaustive)
    t0=$(now)
    "$seep" contrast "$csv" "${opts[@]}" "${extra[@]}" >"$out/$method-$tag.json"
    wall=$(elapsed "$t0")
    jq -r --arg m "$method" --arg wall "$wall" '
      "   \($m): \(.patterns[0].items | tojson) score \(.patterns[0].score); \(.search.evaluations) patterns scored; \($wall | tonumber * 100 | round / 100) s wall, search \(.search.seconds * 1000 | round) ms; peak RSS \(.peak_rss_kib / 1024 | round) MiB"' \
      "$out/$method-$tag.json"
  done
  if same "$out/heuristic-$tag.json" "$out/exhaustive-$tag.json"; then
    echo "   same best pattern: yes"
  else
    echo "   FAIL: the searches disagree"; ok=0
  fi
}

echo "== exhaustive vs meta-heuristic, both max-len 3, on ~10^7 instances"
small=$out/contrast-1e7.csv
"$gen" "$small" --combos 50000 --mean-count 200 --nodes 1000 --noise 12 --seed 2 "${plant[@]}"
compare "$small" 1e7

echo "== exhaustive vs meta-heuristic, both max-len 3, on the ~10^8 instances"
compare "$big" 1e8-len3
[[ $ok == 1 ]]
