#!/usr/bin/env bash
# Runs Criterion test binaries group by group ("--" separates groups: unit,
# bpf, e2e) and closes with one line "N passed, N failed" over all of them.
# Exits non-zero if any test failed or crashed, or if a binary did not run.
set -uo pipefail

passed=0 failed=0 broken=()
for bin in "$@"; do
  [[ "$bin" == "--" ]] && continue
  name=${bin#*/tests/}
  printf '== %s\n' "$name"
  out=$("$bin" --jobs 1 2>&1); rc=$?
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
done
for b in "${broken[@]}"; do echo "broken: $b"; done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
