#!/usr/bin/env bash
# Runs Criterion test binaries group by group ("--" separates groups: unit,
# bpf, e2e) and closes with one line "N passed, N failed" over all of them.
# Exits non-zero if any test failed or crashed, or if a binary did not run,
# or if a sanitizer (SANITIZE=1 builds) reported anything: on the binary's
# output, or, with SEEP_SAN_LOGS=DIR (the sanitizers' log_path there, as
# `make e2e-sanitized` sets), in a report file any process it ran left in
# DIR (each file is shown, counted as a failure and removed).
set -uo pipefail

passed=0 failed=0 broken=()
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for bin in "$@"; do
  [[ "$bin" == "--" ]] && continue
  name=${bin#*/tests/}
  printf '== %s\n' "$name"
  # Output through a file, not $(...): a process a test leaked that still
  # holds the pipe would hang the suite; this waits for the binary only.
  "$bin" --jobs 1 > "$tmp" 2>&1; rc=$?
  out=$(cat "$tmp")
  printf '%s\n' "$out" | grep -Ev '^\[RUN \]|^\[PASS\]' || true
  syn=$(printf '%s\n' "$out" | grep -E 'Synthesis: Tested: [0-9]+' | tail -n1)
  if [[ -z "$syn" ]]; then
    broken+=("$name (exit $rc, no synthesis)"); failed=$((failed + 1)); continue
  fi
  p=$(sed -E 's/.*Passing: ([0-9]+).*/\1/' <<<"$syn")
  f=$(sed -E 's/.*Failing: ([0-9]+).*/\1/' <<<"$syn")
  c=$(sed -E 's/.*Crashing: ([0-9]+).*/\1/' <<<"$syn")
  passed=$((passed + p)); failed=$((failed + f + c))
  [[ $rc -ne 0 && $((f + c)) -eq 0 ]] && { broken+=("$name (exit $rc)"); failed=$((failed + 1)); }
  # Criterion does not see a sanitizer report from a test's process (a leak
  # is reported at its exit): each report counts as a failure.
  san=$(grep -cE '^==[0-9]+==ERROR: (Address|Leak)Sanitizer|: runtime error: ' <<<"$out")
  [[ $san -gt 0 ]] && { broken+=("$name ($san sanitizer reports)"); failed=$((failed + san)); }
  if [[ -n "${SEEP_SAN_LOGS:-}" ]]; then
    logs=("$SEEP_SAN_LOGS"/*)
    [[ -e "${logs[0]}" ]] || logs=()
    for log in "${logs[@]}"; do
      printf -- '-- sanitizer report %s\n' "${log##*/}"
      head -n 60 "$log"
      rm -f "$log"
    done
    [[ ${#logs[@]} -gt 0 ]] && { broken+=("$name (${#logs[@]} sanitizer report files)"); failed=$((failed + ${#logs[@]})); }
  fi
done
for b in "${broken[@]}"; do echo "broken: $b"; done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
