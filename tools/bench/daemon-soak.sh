#!/bin/bash
# daemon-soak.sh — `make bench-daemon`: the daemon's own cost under process
# churn. Starts LIVE long-lived processes and STARTS short-lived ones a
# minute (each lives 2 s), then `seep daemon` at INTERVAL, and every 5 s
# samples the daemon's CPU (utime + stime from /proc/PID/stat) and RSS
# (VmRSS) and its effective interval and back-off level (/api/status).
# Writes a Markdown table and a summary to OUT (and stdout). Root.
# RSS must be flat: the least-squares slope of RSS over the second half of
# the run (MiB/min) times that half's length must stay within the noise,
# max(FLAT_MIB (1 MiB), 3 x the residual standard deviation); if not, the
# summary says NOT FLAT and the script exits 1. Then, with LEAKER set (a
# steady leaker, tests/targets/daemon_leaker), a heap collection of it is
# requested (POST /api/snapshot) and the daemon's RSS sampled every 0.5 s
# until it completes: the peak during a collection is reported.
#   usage: daemon-soak.sh SEEP [DURATION_S] [LIVE] [STARTS_PER_MIN] [INTERVAL] [OUT] [LEAKER]
set -euo pipefail
seep=${1:?usage: daemon-soak.sh SEEP [DURATION_S] [LIVE] [STARTS_PER_MIN] [INTERVAL] [OUT]}
duration=${2:-600}
live=${3:-500}
starts=${4:-1000}
interval=${5:-5s}
out=${6:-build/bench/daemon-soak.md}
leaker=${7:-}
flat_mib=${FLAT_MIB:-1}
port=$((20000 + RANDOM % 20000))
work=$(mktemp -d /tmp/seep-soak.XXXXXX)
mkdir -p "$(dirname "$out")"
hz=$(getconf CLK_TCK)
pids=()
churn=

cleanup() {
	[[ -n $churn ]] && kill "$churn" 2>/dev/null || true
	[[ -n ${leak_pid:-} ]] && kill "$leak_pid" 2>/dev/null || true
	[[ -n ${daemon:-} ]] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# the load: LIVE sleepers, then a loop starting STARTS a minute
for ((i = 0; i < live; i++)); do
	sleep 100000 &
	pids+=($!)
done
if ((starts > 0)); then
	gap=$(awk -v s="$starts" 'BEGIN { printf "%.4f", 60 / s }')
	( while :; do sleep 2 & sleep "$gap"; done ) &
	churn=$!
fi
nprocs=$(ls /proc | grep -c '^[0-9]')
"$seep" daemon -i "$interval" --store "$work/seep.db" --listen "127.0.0.1:$port" \
	--set collect.top_k=0 --set collect.every=2s --set collect.snapshots=4 \
	2> "$work/daemon.log" &
daemon=$!
for ((i = 0; i < 100; i++)); do
	grep -q "daemon ready" "$work/daemon.log" 2>/dev/null && break
	sleep 0.1
done
grep -q "daemon ready" "$work/daemon.log" || { cat "$work/daemon.log" >&2; exit 1; }

ticks() { awk '{ print $14 + $15 }' "/proc/$daemon/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$daemon/status"; }
field() { sed -n "s/.*\"$1\": *\([0-9.e+-]*\).*/\1/p" <<<"$2" | head -1; }

{
	echo "# seep daemon soak: $(date -u +%FT%TZ)"
	echo
	echo "$(nproc) CPUs, kernel $(uname -r); $live live processes, $starts starts a minute" \
	     "(2 s each), $nprocs processes at the start; interval $interval; ${duration} s."
	echo
	echo "| t (s) | CPU (% of a core, last 5 s) | RSS (MiB) | heap in use (MiB) | SQLite (MiB) | processes | effective interval (s) | back-off |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
} > "$out"
t0=$(date +%s.%N)
c0=$(ticks)
cprev=$c0
tprev=$t0
cpus=()
rsss=()
times=()
while :; do
	sleep 5
	now=$(date +%s.%N)
	c=$(ticks)
	r=$(rss_kib)
	st=$(curl -sf "http://127.0.0.1:$port/api/status" || echo '{}')
	cpu=$(awk -v a="$cprev" -v b="$c" -v t="$tprev" -v u="$now" -v hz="$hz" \
		'BEGIN { printf "%.2f", 100 * (b - a) / hz / (u - t) }')
	el=$(awk -v t="$t0" -v u="$now" 'BEGIN { printf "%.0f", u - t }')
	np=$(field processes "$st")
	ei=$(field effective_interval_s "$st")
	bl=$(field backoff_level "$st")
	hp=$(field heap_bytes "$st")
	sq=$(sed -n 's/.*"memory": *{[^}]*"store_bytes": *\([0-9]*\).*/\1/p' <<<"$st")
	mib() { awk -v b="${1:-0}" 'BEGIN { printf "%.1f", b / 1048576 }'; }
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$el" "$cpu" "$(mib $((r * 1024)))" \
		"$(mib "$hp")" "$(mib "$sq")" "${np:-?}" "${ei:-?}" "${bl:-?}" | tee -a "$out"
	cpus+=("$cpu")
	rsss+=("$r")
	times+=("$el")
	cprev=$c
	tprev=$now
	(( $(awk -v e="$el" -v d="$duration" 'BEGIN { print (e >= d) }') )) && break
done
total=$(awk -v a="$c0" -v b="$(ticks)" -v t="$t0" -v u="$(date +%s.%N)" -v hz="$hz" \
	'BEGIN { printf "%.2f", 100 * (b - a) / hz / (u - t) }')
summary=$(printf '%s\n' "${rsss[@]}" | sort -n | awk -v cpu="$total" '
	{ v[NR] = $1 } END {
		printf "CPU %.2f %% of a core over the run; RSS min %.1f, median %.1f, max %.1f MiB", \
			cpu, v[1] / 1024, v[int((NR + 1) / 2)] / 1024, v[NR] / 1024 }')
cmax=$(printf '%s\n' "${cpus[@]}" | sort -n | tail -1)
n=${#rsss[@]}
q=$((n / 4 > 0 ? n / 4 : 1))
growth=$(printf '%s\n' "${rsss[@]}" | awk -v q="$q" -v n="$n" '
	NR <= q { a += $1 } NR > n - q { b += $1 } END { printf "%+.1f", (b - a) / q / 1024 }')
# the slope of RSS over the second half, and whether it is flat: the
# growth the (Theil-Sen) slope makes over the half against the noise, 3
# robust standard deviations (1.4826 x the median absolute residual, so one
# outlying sample does not widen it), at least FLAT_MIB
for ((i = n / 2; i < n; i++)); do echo "${times[i]} ${rsss[i]}"; done > "$work/half"
# Theil-Sen: the median of the pairwise slopes, robust to a few spikes
b=$(awk '{ x[NR] = $1 / 60; y[NR] = $2 / 1024 } END {
	for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++)
		if (x[j] > x[i]) print (y[j] - y[i]) / (x[j] - x[i]) }' "$work/half" |
	sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }')
read -r a span < <(awk -v b="$b" '{ r = $2 / 1024 - b * $1 / 60; print r, $1 / 60 }' "$work/half" |
	sort -g | awk '{ v[NR] = $1; t[NR] = $2; if (NR == 1 || $2 < lo) lo = $2; if ($2 > hi) hi = $2 }
		END { print (NR ? v[int((NR + 1) / 2)] : 0), hi - lo }')
mad=$(awk -v a="$a" -v b="$b" '{ e = $2 / 1024 - a - b * $1 / 60; print (e < 0 ? -e : e) }' \
	"$work/half" | sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }')
half=$(awk -v b="$b" -v s="$span" -v m="$mad" -v flat="$flat_mib" 'BEGIN {
	noise = 3 * 1.4826 * m; if (noise < flat) noise = flat
	g = b * s
	printf "%+.3f %.2f %.2f %d\n", b, g, noise, (g <= noise && g >= -noise) }')
read -r slope hgrowth noise flat <<<"$half"
verdict=$([[ $flat == 1 ]] && echo "flat" || echo "NOT FLAT")
# a heap collection of a leaker: the daemon's RSS while it runs
coll=""
if [[ -n $leaker ]]; then
	"$leaker" 100 256 &
	leak_pid=$!
	sleep 1
	base=$(rss_kib)
	curl -sf -X POST "http://127.0.0.1:$port/api/snapshot?pid=$leak_pid" > /dev/null ||
		echo "cannot request a collection of pid $leak_pid" >&2
	peak=$base
	for ((i = 0; i < 240; i++)); do
		sleep 0.5
		r=$(rss_kib)
		((r > peak)) && peak=$r
		cs=$(curl -sf "http://127.0.0.1:$port/api/collections" || echo '')
		grep -q '"state": *"running"' <<<"$cs" || break
	done
	after=$(rss_kib)
	coll=$(awk -v b="$base" -v p="$peak" -v a="$after" -v s="$((i / 2))" 'BEGIN {
		printf "during a heap collection (sampled, %d s): RSS %.1f MiB before, peak %.1f MiB, %.1f MiB after", s, b / 1024, p / 1024, a / 1024 }')
	kill "$leak_pid" 2>/dev/null || true
	leak_pid=
fi
{
	echo
	echo "$summary; CPU max $cmax % in a 5 s window; RSS last quarter vs first quarter $growth MiB."
	echo
	echo "RSS slope over the second half: $slope MiB/min ($hgrowth MiB over it, noise $noise MiB): $verdict."
	[[ -n $coll ]] && { echo; echo "RSS $coll."; }
	echo
	echo "Daemon warnings:"
	grep -E "budget|suspect|over|pressure|collection|prun" "$work/daemon.log" | sed 's/^/    /' | head -20 || true
} | tee -a "$out"
[[ $flat == 1 ]]
