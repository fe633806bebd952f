#!/usr/bin/env bash
# make bench-unwind: what a recorded allocation costs with each way of
# taking stacks, and how deep DWARF unwinding reaches.
#
# Every allocation is recorded (-s 1). The target (nofp_helper, built
# without frame pointers) serves N requests,
# each recording 2 allocations (the leak and a malloc/free pair), and prints
# how long its loop took. Untraced, --unwind fp and --unwind dwarf runs are
# interleaved for ROUNDS rounds; the added time per recorded allocation is
# the traced loop time minus the untraced one of the same round, over 2N.
# seep's own CPU per copied stack (unwinding in user space) comes from its
# -v summary. Results go to stdout and tools/bench-unwind.md.
set -euo pipefail
seep=${1:?usage: bench-unwind.sh SEEP TARGETS_DIR}
targets=${2:?usage: bench-unwind.sh SEEP TARGETS_DIR}
N=${N:-50000}
ROUNDS=${ROUNDS:-5}
out=${OUT:-tools/bench-unwind.md}

loop_ns() { grep -o 'serve_ns [0-9]*' | awk '{print $2}'; }
seep_cpu() { grep -o 'used [0-9.]* s of CPU' | awk '{print $2}'; }

declare -A added seepcpu
for r in $(seq "$ROUNDS"); do
  base=$("$targets/nofp_helper" "$N" time | loop_ns)
  for mode in fp dwarf; do
    log=$("$seep" trace -v -s 1 --unwind "$mode" -c "$targets/nofp_helper $N time" -f json 2>&1)
    ns=$(loop_ns <<<"$log")
    added[$mode]+="$(awk -v a="$ns" -v b="$base" -v n="$N" 'BEGIN{printf "%.3f", (a-b)/(2*n)/1000}') "
    seepcpu[$mode]+="$(awk -v c="$(seep_cpu <<<"$log")" -v n="$N" 'BEGIN{printf "%.3f", c*1e6/(2*n)}') "
  done
  echo "round $r done" >&2
done

stats() {  # median (min-max) of the numbers in $1
  tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR]=$1} END{m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.2f (%.2f-%.2f)", m, v[1], v[NR]}'
}

# Depth: a 1000-deep recursion, default stack copy and depth limit raised.
depth_of() {
  "$seep" trace -s 1 -c "$targets/nofp_recursion $1" --max-depth 1024 $2 -n 1 -f json 2>/dev/null |
    python3 -c 'import json,sys; s=json.loads(sys.stdin.readline())["stacks"][0]; print(len(s["frames"]), "truncated" if s["truncated"] else "complete")'
}

{
  echo "# Unwinding cost (make bench-unwind)"
  echo
  echo "$(date -u +%F), $(uname -r), $(nproc) CPUs; N=$N requests (2N recorded allocations), $ROUNDS interleaved rounds; median (min-max)."
  echo
  echo "| unwind mode | added to the traced thread, µs per recorded allocation | seep's own CPU, µs per recorded allocation |"
  echo "| --- | --- | --- |"
  echo "| fp (frame pointers, in the kernel) | $(stats "${added[fp]}") | $(stats "${seepcpu[fp]}") |"
  echo "| dwarf (16 KiB stack copy, libdwfl in user space) | $(stats "${added[dwarf]}") | $(stats "${seepcpu[dwarf]}") |"
  echo
  echo "The fp row is the price of the probes themselves (uprobe + uretprobe on malloc, uprobe on free);"
  echo "dwarf minus fp is the price of copying the stack."
  echo
  echo "| stack depth reached (recursion, frames incl. allocator and libc start) | result |"
  echo "| --- | --- |"
  echo "| 1000 deep, --stack-bytes 16384 (default) | $(depth_of 1000 "") |"
  echo "| 1000 deep, --stack-bytes 32768 | $(depth_of 1000 "--stack-bytes 32768") |"
  echo "| 200 deep, default | $(depth_of 200 "") |"
} | tee "$out"
