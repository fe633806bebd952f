#!/bin/bash
# tier0-redis.sh — `make bench-tier0` (and `make bench`): what seep's daemon
# costs the processes it watches, on redis-server built with glibc malloc
# (tools/bench/build-redis.sh) under redis-benchmark.
#
# Three configurations, interleaved in PAIRS rounds (the order within a
# round alternates, so a drift of the machine falls on both sides):
#   off     redis alone
#   tier0   redis with `seep daemon` running (its defaults but the interval,
#           store and port: rss_stat, sched_process_*, growth probes)
#   traced  tier0 plus a heap collection of redis itself, requested through
#           the API (POST /api/snapshot?pid=...: the request trigger, the
#           sampled heap tracer, its CPU budget collect.cpu)
# Each run: redis-server on a free port, then redis-benchmark (-n REQUESTS
# per test, -t set,get,incr,lpush,lpop,sadd,hset, 10 clients); the
# server's CPU (its threads' /proc/PID/task/*/schedstat) per command. Reported: the
# ratio of tier0 and traced to off, and of traced to tier0 (what the
# collection adds: its CPU budget's subject), per round, as median
# (min-max); for traced also the collection's own budget figures (its
# probes' traps and BPF run time over the target's CPU: traps_cpu_ratio,
# bpf_cpu_ratio), its budget actions and why it stopped. The tier-0 line
# must be <= LIMIT (1.02) and traced/tier0 <= TRACED_LIMIT (1 + collect.cpu,
# 1.05): the script exits 1 otherwise. Root.
# TRACED_SET="--set K=V ..." adds daemon settings to both daemon runs (a
# collect.cpu to validate the cost model against, say). BASE_SEEP=PATH adds
# a fourth configuration to each round, "base": traced with that build of
# seep (the baseline of a change), reported as base/tier0.
#   usage: tier0-redis.sh SEEP REDIS_SERVER [PAIRS] [OUT] [REQUESTS]
set -euo pipefail
seep=${1:?usage: tier0-redis.sh SEEP REDIS_SERVER [PAIRS] [OUT] [REQUESTS]}
server=${2:?usage: tier0-redis.sh SEEP REDIS_SERVER [PAIRS] [OUT] [REQUESTS]}
pairs=${3:-5}
out=${4:-build/bench/tier0-redis.md}
requests=${5:-50000}
limit=${LIMIT:-1.02}
budget=$("$seep" daemon ${TRACED_SET:-} --print-config | awk '/^\[/ { s = $0 } s == "[collect]" && $1 == "cpu" { print $3 }')
traced_limit=${TRACED_LIMIT:-$(awk -v b="$budget" 'BEGIN { printf "%.2f", 1 + b }')}
work=$(mktemp -d /tmp/seep-tier0.XXXXXX)
mkdir -p "$(dirname "$out")"
srv=
dmn=

stop_all() {
	[[ -n $dmn ]] && { kill -TERM "$dmn" 2>/dev/null; wait "$dmn" 2>/dev/null || true; }
	[[ -n $srv ]] && { kill -TERM "$srv" 2>/dev/null; wait "$srv" 2>/dev/null || true; }
	dmn=
	srv=
}
cleanup() {
	stop_all
	rm -rf "$work"
}
trap cleanup EXIT

# A port nothing listens on (another load's servers, the run's own redis).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
}
# the server's CPU, ms: its threads' scheduler nanoseconds (not the 10 ms
# ticks of /proc/PID/stat: a run is some 2 s of CPU)
cpu_ms() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.3f\n", s / 1e6 }'; }
cmds() { redis-cli -p "$1" info stats | sed -n 's/^total_commands_processed:\([0-9]*\).*/\1/p'; }

# One run of configuration $1: prints "CPU_MS_PER_MILLION_COMMANDS
# [BPF_RATIO TRAPS_RATIO ACTIONS REASON MODEL]", MODEL the collection's
# modelled cost (hits x trap_ns + BPF ns) over the server's CPU in the run.
run() {
	local mode=$1 port dport c0 c1 t0 t1 extra="" bin=$seep
	[[ $mode == base ]] && { bin=$BASE_SEEP; mode=traced; }
	port=$(free_port)
	"$server" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
		--logfile "$work/redis.log" &
	srv=$!
	for ((i = 0; i < 100; i++)); do
		redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
		sleep 0.1
	done
	if [[ $mode != off ]]; then
		dport=$(free_port)
		rm -f "$work"/seep.db* "$work/daemon.log"	# no earlier run's "daemon ready"
		# no trigger but the request: another load's cgroup events or memory
		# pressure must not take the collection slots
		"$bin" daemon -i 5s --store "$work/seep.db" --listen "127.0.0.1:$dport" \
			--set collect.top_k=0 --set collect.snapshots=1000 --set collect.every=5s \
			--set reference.every=0 --set trigger.cgroup=no --set trigger.psi= \
			${TRACED_SET:-} 2> "$work/daemon.log" &
		dmn=$!
		for ((i = 0; i < 600; i++)); do
			grep -q "daemon ready" "$work/daemon.log" 2>/dev/null && break
			sleep 0.1
		done
		grep -q "daemon ready" "$work/daemon.log" || { cat "$work/daemon.log" >&2; stop_all; exit 1; }
		if [[ $mode == traced ]]; then
			curl -sf -X POST "http://127.0.0.1:$dport/api/snapshot?pid=$srv" > /dev/null ||
				{ echo "tier0-redis: cannot collect pid $srv" >&2; cat "$work/daemon.log" >&2
				  stop_all; exit 1; }
			sleep 1	# the uprobes attached
		fi
	fi
	c0=$(cmds "$port")
	t0=$(cpu_ms "$srv")
	redis-benchmark -h 127.0.0.1 -p "$port" -q -c 10 -n "$requests" -r 100000 -d 64 \
		-t set,get,incr,lpush,lpop,sadd,hset > /dev/null 2>&1
	t1=$(cpu_ms "$srv")
	c1=$(cmds "$port")
	if [[ $mode == traced ]]; then
		local js
		js=$(curl -sf "http://127.0.0.1:$dport/api/collections" || echo '{}')
		extra=" $(grep -o '"bpf_cpu_ratio": *[0-9.e+-]*' <<<"$js" | head -1 | sed 's/.*: *//')"
		extra+=" $(grep -o '"traps_cpu_ratio": *[0-9.e+-]*' <<<"$js" | head -1 | sed 's/.*: *//')"
		extra+=" $(grep -o '"budget_actions": *[0-9]*' <<<"$js" | head -1 | sed 's/.*: *//')"
		extra+=" $(grep -o '"reason": *"[a-z_]*"' <<<"$js" | head -1 | sed 's/.*: *"//; s/"//')"
		[[ $extra == *" " ]] && extra+="running"
		local hits bns tns
		hits=$(grep -o '"hits": *[0-9]*' <<<"$js" | head -1 | sed 's/.*: *//')
		bns=$(grep -o '"bpf_ns": *[0-9]*' <<<"$js" | head -1 | sed 's/.*: *//')
		tns=$(grep -o '"trap_ns": *[0-9.e+-]*' <<<"$js" | head -1 | sed 's/.*: *//')
		extra+=" $(awk -v h="${hits:-0}" -v b="${bns:-0}" -v t="${tns:-0}" -v a="$t0" -v z="$t1" \
			'BEGIN { printf "%.4f", (h * t + b) / ((z - a) * 1e6) }')"
	fi
	stop_all
	awk -v a="$t0" -v b="$t1" -v n="$((c1 - c0))" -v e="$extra" \
		'BEGIN { printf "%.1f%s\n", (b - a) / n * 1e6, e }'
}

stat() {	# median (min-max) of the numbers on stdin
	sort -g | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.3f (%.3f-%.3f)", m, v[1], v[NR] }'
}

: > "$work/tier0"
: > "$work/traced"
: > "$work/added"
: > "$work/traps"
: > "$work/base"
: > "$work/model"
: > "$work/bmodel"
: > "$work/off"
{
	echo "# tier-0 cost on redis: $(date -u +%FT%TZ)"
	echo
	echo "$(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg);" \
	     "$("$server" --version | grep -o 'malloc=[a-z]*'), redis-benchmark -n $requests" \
	     "x 7 tests, 10 clients; $pairs rounds."
	echo
	echo "| round | order | off (CPU ms/Mcmd) | tier0 | traced | tier0/off | traced/off | traced/tier0 | collection traps, BPF / target CPU (first window) | modelled cost / run CPU |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} > "$out"
for ((p = 0; p < pairs; p++)); do
	if ((p % 2)); then order="traced tier0 off"; else order="off tier0 traced"; fi
	[[ -n ${BASE_SEEP:-} ]] && { ((p % 2)) && order="base $order" || order+=" base"; }
	declare -A r=()
	for m in $order; do r[$m]=$(run "$m"); done
	off=${r[off]}
	t0=${r[tier0]}
	read -r tr bpf traps act reason model <<<"${r[traced]}"
	echo "$model" >> "$work/model"
	if [[ -n ${BASE_SEEP:-} ]]; then
		read -r bt _ _ _ _ bmodel <<<"${r[base]}"
		awk -v a="$bt" -v b="$t0" 'BEGIN { printf "%.3f\n", a / b }' >> "$work/base"
		echo "$bmodel" >> "$work/bmodel"
		reason+=", base ${bt}"
		model+=", base $bmodel"
	fi
	rt=$(awk -v a="$t0" -v b="$off" 'BEGIN { printf "%.3f", a / b }')
	rr=$(awk -v a="$tr" -v b="$off" 'BEGIN { printf "%.3f", a / b }')
	ra=$(awk -v a="$tr" -v b="$t0" 'BEGIN { printf "%.3f", a / b }')
	echo "$rt" >> "$work/tier0"
	echo "$rr" >> "$work/traced"
	echo "$ra" >> "$work/added"
	bpf=$(awk -v b="${bpf:-0}" 'BEGIN { printf "%.3f", b }')
	traps=$(awk -v b="${traps:-0}" 'BEGIN { printf "%.3f", b }')
	echo "$bpf" >> "$work/bpf"
	echo "$traps" >> "$work/traps"
	printf '| %d | %s | %s | %s | %s | %s | %s | %s | %s, %s%s | %s |\n' "$p" "${order// /,}" "$off" \
		"$t0" "$tr" "$rt" "$rr" "$ra" "$traps" "$bpf" \
		"${act:+, $act budget actions}${reason:+, $reason}" "$model" | tee -a "$out"
	unset r
done
t0line=$(stat < "$work/tier0")
trline=$(stat < "$work/traced")
addline=$(stat < "$work/added")
bpfline=$(stat < "$work/bpf")
trapsline=$(stat < "$work/traps")
med=${t0line%% *}
ok=$(awk -v m="$med" -v l="$limit" 'BEGIN { print (m <= l) }')
tok=$(awk -v m="${addline%% *}" -v l="$traced_limit" 'BEGIN { print (m <= l) }')
{
	echo
	echo "tier 0 (seep daemon, defaults): redis server CPU per command ${t0line}x of off;" \
	     "limit ${limit}x: $([[ $ok == 1 ]] && echo within || echo OVER)."
	echo "traced suspect (tier 0 + a heap collection of redis, collect.cpu budget $budget):" \
	     "${trline}x of off, ${addline}x of tier 0; limit ${traced_limit}x:" \
	     "$([[ $tok == 1 ]] && echo within || echo OVER); the collection's own figures" \
	     "over the target's CPU: traps ${trapsline}, BPF ${bpfline}."
	echo "the collection's modelled cost (probe hits x trap_ns + BPF run time) over redis's" \
	     "CPU in the whole run: $(stat < "$work/model")."
	[[ -s $work/base ]] && echo "base ($BASE_SEEP), traced: $(stat < "$work/base")x of tier 0;" \
		"modelled cost over the run $(stat < "$work/bmodel")."
} | tee -a "$out"
[[ $ok == 1 && $tok == 1 ]]
