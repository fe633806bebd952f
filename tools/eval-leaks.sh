#!/usr/bin/env bash
# The small-leak suite: programs that leak a few small blocks once and exit
# (tests/targets/sl_*.c; the leaking allocation is the line marked LEAK),
# beside still-reachable memory (stdio buffers, globals, caches). Each is
# built at -O0 and -O2 (gcc -g, frame pointers as the compiler chooses) and
# run RUNS times under
#   seep trace -c BIN -s 1 --format json   (the same binary)
#   valgrind --leak-check=full              (the same binary)
#   LeakSanitizer                           (clang -fsanitize=leak, same source and -O)
# and scored: rank 1 when the first stack reported (seep: the final
# report's first stack, which with --reach must be a lost one; valgrind:
# the first "definitely lost" record; LSan: the first "Direct leak") holds
# a frame at the LEAK line; false leaks: records (valgrind, LSan), lost
# stacks (seep --reach) or stacks ranked above the leak (seep -s 1) that
# are not the leaking allocation. tests/targets/reach_stale.c (the lost
# pointer's only copies in a dead part of the stack) runs beside the suite.
# seep --reach's pause (the process held at its exit) is given as a median
# with its range.
#   tools/eval-leaks.sh SEEP_BINARY [RUNS] [OUT.md]
# Needs root (seep), gcc, clang with libclang-rt-14-dev, valgrind, python3
# (tools/setup.sh bench).
set -euo pipefail

seep=${1:?usage: eval-leaks.sh SEEP_BINARY [RUNS] [OUT.md]}
runs=${2:-20}
out=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../tests/targets
work=$(mktemp -d /tmp/seep-eval-leaks-XXXXXX)
trap 'rm -rf "$work"' EXIT

for tool in gcc clang valgrind python3; do
  command -v "$tool" >/dev/null || { echo "eval-leaks: '$tool' is missing (tools/setup.sh bench)" >&2; exit 1; }
done

results=$work/results.tsv
: > "$results"
for c in "$src"/sl_*.c "$src"/reach_stale.c; do
  name=$(basename "$c" .c)
  line=$(grep -n 'LEAK \*/' "$c" | head -1 | cut -d: -f1)
  [[ -n "$line" ]] || { echo "eval-leaks: no LEAK line in $c" >&2; exit 1; }
  for opt in O0 O2; do
    bin=$work/$name-$opt lsan=$work/$name-$opt-lsan
    gcc -g -"$opt" -I"$src" -o "$bin" "$c"
    clang -g -"$opt" -fsanitize=leak -I"$src" -o "$lsan" "$c"
    # interleaved: one run of each seep mode in turn
    for ((i = 0; i < runs; i++)); do
      f=$work/seep-$name-$opt-$i.json
      "$seep" trace -c "$bin" --reach --format json 2>/dev/null | grep '^{' > "$f" || true
      printf '%s\t%s\t%s\t%s\tseep --reach\t%s\n' "$name" "$opt" "$(basename "$c")" "$line" "$f" >> "$results"
      f=$work/seep-live-$name-$opt-$i.json
      "$seep" trace -c "$bin" -s 1 --format json 2>/dev/null | grep '^{' > "$f" || true
      printf '%s\t%s\t%s\t%s\tseep -s 1\t%s\n' "$name" "$opt" "$(basename "$c")" "$line" "$f" >> "$results"
    done
    for ((i = 0; i < runs; i++)); do
      LSAN_OPTIONS=exitcode=0 "$lsan" > /dev/null 2> "$work/lsan-$name-$opt-$i.txt" || true
      printf '%s\t%s\t%s\t%s\tlsan\t%s\n' "$name" "$opt" "$(basename "$c")" "$line" "$work/lsan-$name-$opt-$i.txt" >> "$results"
    done
    # valgrind is deterministic here and slow: a third of the runs
    for ((i = 0; i < (runs + 2) / 3; i++)); do
      valgrind --leak-check=full --error-exitcode=0 "$bin" > /dev/null 2> "$work/vg-$name-$opt-$i.txt" || true
      printf '%s\t%s\t%s\t%s\tvalgrind\t%s\n' "$name" "$opt" "$(basename "$c")" "$line" "$work/vg-$name-$opt-$i.txt" >> "$results"
    done
  done
done

python3 - "$results" "$runs" "$out" <<'EOF'
import json, re, sys
from collections import defaultdict

results, runs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]

pauses = []

def final_report(path):
    final = None
    for l in open(path):
        try:
            j = json.loads(l)
        except ValueError:
            continue
        if j.get("final"):
            final = j
    return final

def at_line(stack, file, line):
    return any((f.get("file") or "").endswith(file) and f.get("line") == line
               for f in stack.get("frames", []))

def seep_score(path, file, line):
    """(rank-1, stacks above the leak, whether the leak was listed)"""
    final = final_report(path)
    if not final:
        return False, 0, False
    for rank, s in enumerate(final.get("stacks", [])):
        if at_line(s, file, line):
            return rank == 0, rank, True
    return False, len(final.get("stacks", [])), False

def reach_score(path, file, line):
    """(rank-1 and lost, lost stacks that are not the leak, whether it was
    reported lost)"""
    final = final_report(path)
    if not final or not final.get("reach"):
        return False, 0, False
    pauses.append(final["reach"]["pause_ms"])
    lost = [s for s in final.get("stacks", []) if s.get("reach") == "lost"]
    hits = [at_line(s, file, line) for s in lost]
    return bool(hits and hits[0]), sum(1 for h in hits if not h), any(hits)

def records(text, head):
    """The stack text of each record that starts with a line matching HEAD."""
    recs, cur = [], None
    for l in text.splitlines():
        if re.search(head, l):
            cur = [l]
            recs.append(cur)
        elif cur is not None:
            if re.search(r"^(==\d+==)?\s*$", l):
                cur = None
            else:
                cur.append(l)
    return ["\n".join(r) for r in recs]

def tool_score(path, file, line, head):
    recs = records(open(path, errors="replace").read(), head)
    pat = re.compile(re.escape(file) + r":" + str(line) + r"\b")
    hits = [bool(pat.search(r)) for r in recs]
    return bool(hits and hits[0]), sum(1 for h in hits if not h), any(hits)

heads = {"lsan": r"(Direct|Indirect) leak of", "valgrind": r"definitely lost in loss record"}
agg = defaultdict(lambda: [0, 0, 0, 0])  # runs, rank1, false, found
for row in open(results):
    name, opt, file, line, tool, path = row.rstrip("\n").split("\t")
    if tool == "seep -s 1":
        r1, fp, found = seep_score(path, file, int(line))
    elif tool == "seep --reach":
        r1, fp, found = reach_score(path, file, int(line))
    else:
        r1, fp, found = tool_score(path, file, int(line), heads[tool])
    a = agg[(tool, name, opt)]
    a[0] += 1; a[1] += r1; a[2] += fp; a[3] += found
    if name.startswith("sl_"):   # the suite's total; reach_stale apart
        a = agg[(tool, "all sl_*", "")]
        a[0] += 1; a[1] += r1; a[2] += fp; a[3] += found

lines = ["| tool | program | -O | runs | leak named first | leak reported | not-leaks ranked above it (seep -s 1) / reported as leaks (per run) |",
         "| --- | --- | --- | --- | --- | --- | --- |"]
for key in sorted(agg, key=lambda k: (k[1] == "all sl_*", k[0], k[1], k[2])):
    n, r1, fp, found = agg[key]
    tool, name, opt = key
    lines.append(f"| {tool} | {name} | {opt} | {n} | {100 * r1 / n:.0f} % | {100 * found / n:.0f} % | {fp / n:.2f} |")
if pauses:
    pauses.sort()
    lines.append("")
    lines.append(f"seep --reach: the process held at its exit for {pauses[len(pauses) // 2]:.1f} ms "
                 f"(median of {len(pauses)} runs; {pauses[0]:.1f}-{pauses[-1]:.1f} ms)")
text = "\n".join(lines) + "\n"
print(text, end="")
if out:
    open(out, "w").write(text)
EOF
