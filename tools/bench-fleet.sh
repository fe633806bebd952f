#!/usr/bin/env bash
# bench-fleet: `seep fleet --input` on a generated VictoriaMetrics export
# (tools/fleet-gen.c): HOSTS x COMPONENTS x PROCS process series of POINTS
# samples (default 400 x 50 x 5 = 100,000 series of 72 samples: 6 h at 5
# min, 188 MB), the first component leaking on a tenth of the hosts.
#   usage: tools/bench-fleet.sh SEEP FLEET_GEN OUTDIR [RUNS]
# Runs --threads 1 and --threads 2 interleaved RUNS times (default 5) and
# prints, per setting, the median and min-max of: wall time, process series
# a minute of wall time, series a minute of CPU time (user + system: what
# the machine's other load does not change), peak RSS. Exits 1 if a run's
# suspects are not exactly the planted ones (component 0 on hosts 0..39).
set -euo pipefail

seep=${1:?usage: bench-fleet.sh SEEP FLEET_GEN OUTDIR [RUNS]}
gen=${2:?}
out=${3:?}
runs=${4:-5}
hosts=${FLEET_HOSTS:-400} comps=${FLEET_COMPONENTS:-50} procs=${FLEET_PROCS:-5} points=${FLEET_POINTS:-72}
series=$((hosts * comps * procs))
leaky=$((hosts / 10))
mkdir -p "$out"
file=$out/fleet-$hosts-$comps-$procs-$points.jsonl
if [[ ! -s $file ]]; then
  echo "== generating $series series x $points samples"
  "$gen" "$hosts" "$comps" "$procs" "$points" 300 "$leaky" >"$file.tmp"
  mv "$file.tmp" "$file"
fi
printf '== %s: %s series, %.0f MB; %s runs per setting, interleaved; load %s\n' "$file" "$series" \
  "$(awk -v b="$(stat -c %s "$file")" 'BEGIN { print b / 1e6 }')" "$runs" "$(cut -d' ' -f1-3 /proc/loadavg)"

# one run: wall user sys maxrss_kib, checked
one() {
  local t=$1 res=$out/fleet-run.json tf=$out/fleet-time
  /usr/bin/time -o "$tf" -f '%e %U %S %M' "$seep" fleet --input "$file" --threads "$t" --top 0 \
    --format json >"$res"
  local want=$((leaky * procs))
  python3 - "$res" "$want" "$leaky" <<'PY' || { echo "bench-fleet: wrong suspects" >&2; exit 1; }
import json, sys
r = json.load(open(sys.argv[1]))
want, leaky = int(sys.argv[2]), int(sys.argv[3])
hosts = {s["host"] for s in r["suspects"]}
ok = (len(r["suspects"]) == want and all(s["component"].startswith("svc000|") for s in r["suspects"])
      and hosts == {"host%05d" % h for h in range(leaky)} and len(r["anomalous_components"]) == 1)
sys.exit(0 if ok else 1)
PY
  cat "$tf"
}

declare -A rows
for ((i = 0; i < runs; i++)); do
  for t in 1 2; do
    rows[$t]+="$(one "$t")"$'\n'
  done
done

for t in 1 2; do
  printf '%s' "${rows[$t]}" | python3 -c '
import statistics, sys
n, t = int(sys.argv[1]), int(sys.argv[2])
rows = [list(map(float, l.split())) for l in sys.stdin if len(l.split()) == 4]
def f(xs, scale=1.0):
    xs = [x * scale for x in xs]
    return "%.2f (%.2f-%.2f)" % (statistics.median(xs), min(xs), max(xs))
wall = [r[0] for r in rows]
print("   --threads %d: %s s wall; %s M series/min wall; %s M series/CPU-min; peak RSS %s MiB"
      % (t, f(wall), f([n / w * 60 for w in wall], 1e-6),
         f([n / (r[1] + r[2]) * 60 for r in rows], 1e-6), f([r[3] / 1024 for r in rows])))
' "$series" "$t"
done
