#!/usr/bin/env bash
# Runs each libFuzzer harness for SECONDS on its seed corpus:
#   tools/run-fuzz.sh BUILD SECONDS tests/fuzz/fuzz_NAME.c ...
# The binary is BUILD/tests/fuzz/fuzz_NAME, the seeds tests/fuzz/corpus/NAME
# (read only); new inputs go to BUILD/corpus/NAME, crashes to BUILD/crashes.
# Closes with one line "N harnesses clean, N failed"; exits non-zero if any
# harness found a crash, a leak, a timeout or an out-of-memory.
set -uo pipefail

build=$1 seconds=$2; shift 2
clean=0 failed=()
mkdir -p "$build/crashes"
for src in "$@"; do
  base=$(basename "$src" .c); name=${base#fuzz_}
  bin=$build/tests/fuzz/$base
  mkdir -p "$build/corpus/$name"
  printf '== fuzz %s (%ss)\n' "$name" "$seconds"
  log=$build/corpus/$name.log
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=0 -artifact_prefix="$build/crashes/$name-" \
    "$build/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
  rc=$?
  if [[ $rc -eq 0 ]]; then
    clean=$((clean + 1))
    grep -E '^#[0-9]+.*DONE' "$log" | tail -n1 || true
  else
    failed+=("$name")
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20
  fi
done
echo "${clean} harnesses clean, ${#failed[@]} failed${failed:+: ${failed[*]}}"
[[ ${#failed[@]} -eq 0 ]]
