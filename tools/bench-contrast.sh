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
# 50 rows x 5000 columns, every value unique to its row: all the columns are
# aliases, so the hierarchy relates each to every other and a pattern holds
# one AVP at most. The search's ADD once walked past all 125000 AVPs of the
# ruled-out columns at every step. SEEP_BEFORE=path/to/old/seep times an
# older build interleaved with this one (medians, min-max, of 5 runs).
echo "== meta-heuristic on 50 rows x 5000 alias columns (hierarchy of one chain)"
alias_csv=$out/contrast-alias.csv
awk 'BEGIN { printf "Status"; for (a = 0; a < 5000; a++) printf ",c%d", a; print "";
             for (r = 0; r < 50; r++) { printf "%s", (r % 2 ? "leak" : "ok");
               for (a = 0; a < 5000; a++) printf ",v%d_%d", a, r; print "" } }' >"$alias_csv"
bins=("$seep"); [[ -n ${SEEP_BEFORE:-} ]] && bins=("$SEEP_BEFORE" "$seep")
declare -A secs
for run in 1 2 3 4 5; do
  for b in "${bins[@]}"; do
    "$b" contrast "$alias_csv" --class-col Status --target leak --format json >"$out/alias.json"
    secs[$b]+="$(jq '.search.seconds' "$out/alias.json") "
    [[ $b == "$seep" ]] && cp "$out/alias.json" "$out/alias-new.json"
    [[ $b != "$seep" ]] && cp "$out/alias.json" "$out/alias-old.json"
  done
done
for b in "${bins[@]}"; do
  echo "${secs[$b]}" | tr ' ' '\n' | sort -g | awk -v b="$b" 'NF { v[n++] = $1 }
    END { printf "   %s: search %.3f s median (%.3f-%.3f) over %d runs\n", b, v[int(n / 2)], v[0], v[n - 1], n }'
done
if [[ -n ${SEEP_BEFORE:-} ]]; then
  if [[ $(jq -c '[.patterns, .search.steps, .search.evaluations]' "$out/alias-old.json") == \
        "$(jq -c '[.patterns, .search.steps, .search.evaluations]' "$out/alias-new.json")" ]]; then
    echo "   same patterns, steps and evaluations: yes"
  else
    echo "   FAIL: the builds disagree"; ok=0
  fi
fi
[[ $ok == 1 ]]
