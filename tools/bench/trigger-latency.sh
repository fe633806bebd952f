#!/bin/bash
# trigger-latency.sh — `make bench-trigger` (and `make bench`): the time from
# the start of a leak to a completed heap collection of it.
#
# Test interval: `seep daemon -i 1s` with the e2e test's settings
# (detect.scale=3600, detect.threshold=256MiB, collect.every=2s,
# collect.snapshots=4) and tests/targets/daemon_leaker leaking 2 MiB/s:
# measured, leak start to the collection's `complete`.
# Default interval (60 s, detect.scale 300, collect.every 5 intervals,
# collect.snapshots 4): hours, so it is computed from what the rule counts,
# measured at a shorter interval: the detectors count samples, not
# seconds (sample i sits at i x scale detector seconds whatever the
# interval), so the daemon runs at -i 1s with the default scale and the
# number of samples from the leak's start to the verdict is measured; at
# the default interval that is SAMPLES x 60 s, and the steady rule then
# takes 4 snapshots 5 intervals apart (4 x 300 s). The CPU budget is
# lifted (budget.cpu=1) so that a busy host does not stretch the 1 s
# interval: what is counted is samples, but the run would take longer.
# Root.
#   usage: trigger-latency.sh SEEP LEAKER [OUT]
set -euo pipefail
seep=${1:?usage: trigger-latency.sh SEEP LEAKER [OUT]}
leaker=${2:?usage: trigger-latency.sh SEEP LEAKER [OUT]}
out=${3:-build/bench/trigger-latency.md}
work=$(mktemp -d /tmp/seep-trig.XXXXXX)
mkdir -p "$(dirname "$out")"
dmn=
lk=

cleanup() {
	[[ -n $lk ]] && kill "$lk" 2>/dev/null || true
	[[ -n $dmn ]] && { kill -TERM "$dmn" 2>/dev/null; wait "$dmn" 2>/dev/null || true; }
	rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }

# daemon ARGS...: started at 1 s, ready; its port in $port
start_daemon() {
	port=$((20000 + RANDOM % 30000))
	rm -rf "$work/run" && mkdir -p "$work/run"
	"$seep" daemon -i 1s --store "$work/run/seep.db" --listen "127.0.0.1:$port" \
		--set telemetry.fold=2s --set collect.comms=daemon_leaker --set trigger.psi= \
		--set trigger.cgroup=no --set reference.every=0 --set budget.cpu=1 "$@" \
		2> "$work/run/log" &
	dmn=$!
	for ((i = 0; i < 600; i++)); do
		grep -q "daemon ready" "$work/run/log" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$work/run/log" >&2
	exit 1
}
stop_daemon() {
	kill "$lk" 2>/dev/null || true
	wait "$lk" 2>/dev/null || true
	lk=
	kill -TERM "$dmn" 2>/dev/null
	wait "$dmn" 2>/dev/null || true
	dmn=
}

# 1. the test interval, measured
start_daemon --set detect.scale=3600 --set detect.threshold=256MiB --set collect.every=2s \
	--set collect.snapshots=4
"$leaker" 250 512 &
lk=$!
t0=$(now)
done_s=
for ((i = 0; i < 300; i++)); do
	sleep 0.5
	js=$(curl -sf "http://127.0.0.1:$port/api/collections" || echo '{}')
	if grep -q "\"pid\": *$lk" <<<"$js" && grep -q '"state": *"complete"' <<<"$js"; then
		done_s=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
		break
	fi
done
verdict_s=$(curl -sf "http://127.0.0.1:$port/api/suspects" |
	sed -n 's/.*"first_suspected": *\([0-9.e+]*\).*/\1/p' | head -1)
test_verdict=$(awk -v a="$t0" -v b="${verdict_s:-0}" 'BEGIN { if (b > 0) printf "%.1f", b - a; else print "?" }')
stop_daemon

# 2. the default scale at a 1 s interval: samples to the verdict
start_daemon --set detect.threshold=256MiB
"$leaker" 250 512 &
lk=$!
c0=$(curl -sf "http://127.0.0.1:$port/api/status" | sed -n 's/.*"samples": *\([0-9]*\).*/\1/p' | head -1)
samples=
for ((i = 0; i < 1200; i++)); do
	sleep 1
	if curl -sf "http://127.0.0.1:$port/api/suspects" | grep -q "\"pid\": *$lk"; then
		c1=$(curl -sf "http://127.0.0.1:$port/api/status" | sed -n 's/.*"samples": *\([0-9]*\).*/\1/p' | head -1)
		samples=$((c1 - c0))
		break
	fi
done
stop_daemon
{
	echo "# leak start to a completed collection: $(date -u +%FT%TZ)"
	echo
	echo "$(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); daemon_leaker at 2 MiB/s."
	echo
	echo "test interval (1 s, detect.scale 3600, 4 snapshots 2 s apart): verdict after" \
	     "${test_verdict} s, collection complete after ${done_s:-?} s (measured)."
	if [[ -n $samples ]]; then
		awk -v n="$samples" 'BEGIN {
			printf "default interval (60 s, detect.scale 300, 4 snapshots 5 intervals apart): verdict after %d samples (measured at -i 1s), so %.1f h; complete after %.1f h (computed: %d x 60 s + 4 x 300 s).\n", n, n * 60 / 3600, (n * 60 + 1200) / 3600, n }'
	else
		echo "default interval: no verdict within 1200 samples at -i 1s."
	fi
} | tee "$out"
[[ -n $done_s ]]
