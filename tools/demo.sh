#!/usr/bin/env bash
# make demo: part 1 starts the bundled leaking server, traces it by pid for a
# few seconds with seep and prints the report naming the leaking function;
# part 2 (below) runs the service: daemon, suspects, snapshots, diagnosis.
set -euo pipefail
seep=${1:?usage: demo.sh SEEP LEAKY_SERVER}
server=${2:?usage: demo.sh SEEP LEAKY_SERVER}
secs=${DEMO_SECONDS:-5}

if [[ $(id -u) -ne 0 ]]; then
  echo "demo: seep needs root (CAP_SYS_ADMIN) to attach uprobes; run 'sudo make demo'" >&2
  exit 1
fi
"$server" 0 1000 &   # 1 request per ms, each leaking 1 KiB through xstrdup()
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
sleep 0.5
echo "demo: tracing leaky_server (pid $pid) for $secs s: seep trace -p $pid --duration $secs --top 3" >&2
"$seep" trace -p "$pid" --duration "$secs" --top 3

# Part 2: the service end to end on its embedded store. The daemon samples
# every process each second; a steady leaker and a bounded cache run among
# them; the detector names the leaker a suspect, the daemon attaches the heap
# tracer to it alone (snapshot-on-trigger), takes a snapshot series and
# detaches; `seep diagnose` gives the verdict per stack and writes the HTML
# report; mitigation runs in dry-run (it logs what it would do, and does
# nothing: the leaker is on no allowlist). Detector time is
# scaled (1 s of samples = 1 h) so this takes about a minute, not hours.
[[ ${DEMO_SERVICE:-1} == 0 ]] && exit 0
kill $pid 2>/dev/null || true
targets=$(dirname "$server")
work=$(mktemp -d /tmp/seep-demo.XXXXXX)
port=${DEMO_PORT:-19474}
"$targets/daemon_leaker" 250 512 & leaker=$!
"$targets/daemon_cache" & cache=$!
"$seep" daemon -i 1 --store "$work/seep.db" --listen "127.0.0.1:$port" \
  --set detect.scale=3600 --set detect.threshold=256MiB --set telemetry.fold=2s \
  --set collect.every=1s --set collect.snapshots=8 \
  --set collect.comms=daemon_leaker,daemon_cache \
  --set mitigation.enabled=yes --set mitigation.dry_run=yes 2> "$work/daemon.log" & daemon=$!
trap 'kill $pid $leaker $cache 2>/dev/null || true; kill -TERM $daemon 2>/dev/null || true; wait $daemon 2>/dev/null || true; rm -rf "$work"' EXIT
echo >&2
echo "demo: seep daemon (pid $daemon) watches every process; daemon_leaker (pid $leaker) leaks, daemon_cache (pid $cache) only caches" >&2
dir=
for ((i = 0; i < 120; i++)); do
  sleep 1
  out=$("$seep" status --listen "127.0.0.1:$port" 2>/dev/null) || continue
  # the series directory: the first path under a complete collection of
  # daemon_leaker (its cost line comes between)
  dir=$(awk '/daemon_leaker/ && / complete / { f = 1; next } f && $1 ~ /^\// { print $1; exit }' <<<"$out")
  [[ -n $dir ]] && break
done
if [[ -z $dir ]]; then
  echo "demo: no complete collection after 120 s; the daemon said:" >&2
  tail -20 "$work/daemon.log" >&2
  exit 1
fi
echo "demo: seep status --listen 127.0.0.1:$port" >&2
"$seep" status --listen "127.0.0.1:$port"
echo >&2
echo "demo: seep diagnose $dir --top 3" >&2
"$seep" diagnose "$dir" --top 3
html=${DEMO_HTML:-/tmp/seep-demo-report.html}
"$seep" diagnose "$dir" --html "$html" >/dev/null
echo >&2
echo "demo: the HTML report of that diagnosis: $html (open it in a browser)" >&2
echo "demo: mitigation ran in dry-run: its decisions are the 'mitigation:' lines of seep status above (nothing was done)" >&2
