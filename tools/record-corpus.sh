#!/usr/bin/env bash
# Records the real-program corpus of seep detect's evaluation: the memory of
# real programs run on this machine, leaking and not, sampled every second
# from /proc/PID/status (VmRSS and RssAnon, in bytes), one gzip'd CSV per
# run (timestamp,rss,anon) and one line per run in labels.tsv.
#   tools/record-corpus.sh [-d SECONDS] [-o DIR] [-b BUILD] [NAME...]
# Without NAMEs every scenario runs, all at once (they sleep most of the
# time; the redis load comes in bursts). -d is the length of the short runs
# (900 s); the long_* runs last 3 times that. Needs the test targets built
# (make tests) and, for redis_*, redis-server and redis-benchmark.
#
# labels.tsv: name, leak (1/0), kind, pattern, onset and end (epoch seconds;
# the leak's labelled window, "-" for a non-leak), threshold (bytes: the
# host's MemTotal) and what ran.
set -euo pipefail

dur=900; out=data/corpus; build=build
while getopts "d:o:b:" opt; do
	case "$opt" in
	d) dur=$OPTARG ;;
	o) out=$OPTARG ;;
	b) build=$OPTARG ;;
	*) echo "usage: $0 [-d SECONDS] [-o DIR] [-b BUILD] [NAME...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
T=$build/tests/targets
mkdir -p "$out"
work=$(mktemp -d /tmp/seep-corpus.XXXXXX)
memtotal=$(( $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024 ))
declare -a started=()

cleanup() {
	local p
	for p in "${started[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

now() { printf '%s' "${EPOCHREALTIME%.*}"; }

# record NAME SECONDS: samples the pid in $work/NAME.pid (re-read every
# second, so a restarted program is followed) into $work/NAME.csv.
record() {
	local name=$1 secs=$2 pid rss anon t end
	end=$(( $(now) + secs ))
	echo "timestamp,rss,anon" >"$work/$name.csv"
	while (( $(now) < end )); do
		t=$EPOCHREALTIME
		pid=$(cat "$work/$name.pid" 2>/dev/null || true)
		rss=""; anon=""
		if [[ -n "$pid" && -r /proc/$pid/status ]]; then
			while read -r key val _; do
				case "$key" in
				VmRSS:) rss=$((val * 1024)) ;;
				RssAnon:) anon=$((val * 1024)) ;;
				esac
			done </proc/"$pid"/status
		fi
		[[ -n "$rss" ]] && printf '%s,%s,%s\n' "${t:0:14}" "$rss" "$anon" >>"$work/$name.csv"
		sleep 1
	done
}

# label NAME LEAK KIND PATTERN ONSET END WHAT
label() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$memtotal" "$7" \
		>"$work/$1.label"
}

finish() {
	gzip -9n <"$work/$1.csv" >"$out/$1.csv.gz"
	echo "record-corpus: $1: $(( $(wc -l <"$work/$1.csv") - 1 )) samples" >&2
}

# start NAME CMD...: starts CMD held at SEEP_WAIT_FD until release NAME.
start() {
	local name=$1
	shift
	mkfifo "$work/$name.go"
	SEEP_WAIT_FD=9 "$@" 9<"$work/$name.go" >/dev/null 2>&1 &
	echo $! >"$work/$name.pid"
	started+=("$!")
	exec {fd}>"$work/$name.go"
	eval "go_$name=$fd"
}
release() {
	local fd_var="go_$1"
	printf 'g' >&"${!fd_var}"
}
stop() {
	kill "$(cat "$work/$1.pid")" 2>/dev/null || true
	wait "$(cat "$work/$1.pid")" 2>/dev/null || true
}

# A target that is held for HOLD seconds (flat), then runs to the end.
held_target() {
	local name=$1 secs=$2 hold=$3 leak=$4 kind=$5 pattern=$6 what=$7 t0 on
	shift 7
	start "$name" "$@"
	t0=$(now)
	record "$name" "$secs" &
	local rec=$!
	sleep "$hold"
	on=$(now)
	release "$name"
	wait "$rec"
	stop "$name"
	if (( leak )); then
		label "$name" 1 "$kind" "$pattern" "$on" "$(( t0 + secs ))" "$what"
	else
		label "$name" 0 "$kind" "$pattern" - - "$what"
	fi
	finish "$name"
}

sc_leaker() {          # a steady leak, 64 KiB a second from a tenth in
	held_target leaker "$dur" $((dur / 10)) 1 steady steady "daemon_leaker 1000 64" \
		"$T/daemon_leaker" 1000 64
}
sc_leaker_late() {     # the same leak starting 60 % in
	held_target leaker_late "$dur" $((dur * 6 / 10)) 1 late steady "daemon_leaker 1000 64, late" \
		"$T/daemon_leaker" 1000 64
}
sc_server() {          # leaky_server: 1 KiB per request, 200 requests a second
	held_target server "$dur" $((dur / 5)) 1 steady steady "leaky_server 0 5000" \
		"$T/leaky_server" 0 5000
}
sc_stair() {           # 8 MiB every 60 s
	held_target stair "$dur" $((dur / 10)) 1 stair stair "daemon_stair 60000 8" \
		"$T/daemon_stair" 60000 8
}
sc_cache() {           # a 64 MiB cache filled at 1 MiB every 2 s, then turning over
	held_target cache "$dur" $((dur / 5)) 0 bounded plateau "daemon_cache 64 2000" \
		"$T/daemon_cache" 64 2000
}
sc_lru() {             # an LRU of 100k entries of 1 KiB, one miss every 2 ms
	held_target lru "$dur" $((dur / 10)) 0 bounded plateau "lru_cache 100000 2000" \
		"$T/lru_cache" 100000 2000
}
sc_spiky() {           # a batch of 96 MiB held 20 s every 4 minutes
	held_target spiky "$dur" $((dur / 10)) 0 spike none "daemon_spiky 240000 96 20000" \
		"$T/daemon_spiky" 240000 96 20000
}
sc_churn() {           # malloc/free churn, nothing kept
	held_target churn "$dur" 5 0 flat none "daemon_churn 500" "$T/daemon_churn" 500
}
sc_leaker_restart() {  # the leak, restarted once half-way: one tooth, then the next
	local name=leaker_restart t0 on
	start "$name" "$T/daemon_leaker" 1000 96
	t0=$(now)
	record "$name" "$dur" &
	local rec=$!
	sleep $((dur / 10))
	on=$(now)
	release "$name"
	sleep $((dur * 5 / 10))
	stop "$name"
	exec {go_leaker_restart}>&-
	rm -f "$work/$name.go"
	start "$name" "$T/daemon_leaker" 1000 96
	sleep 5
	release "$name"
	wait "$rec"
	stop "$name"
	label "$name" 1 saw1 sawtooth "$on" "$(( t0 + dur ))" "daemon_leaker 1000 96, restarted at 60 %"
	finish "$name"
}

# redis_NAME SECONDS KEYSPACE LEAK KIND PATTERN WHAT [redis-server options]:
# redis-server under redis-benchmark SETs of 256 bytes, 2000 per second in
# bursts, on keys drawn from KEYSPACE.
redis_run() {
	local name=$1 secs=$2 keys=$3 leak=$4 kind=$5 pattern=$6 what=$7 t0 on port end
	shift 7
	port=$(( 20000 + RANDOM % 20000 ))
	redis-server --port "$port" --save "" --appendonly no --daemonize no "$@" >/dev/null 2>&1 &
	echo $! >"$work/$name.pid"
	started+=("$!")
	sleep 1
	t0=$(now)
	record "$name" "$secs" &
	local rec=$!
	sleep $((secs / 10))
	on=$(now)
	end=$(( t0 + secs ))
	while (( $(now) < end - 1 )); do
		redis-benchmark -p "$port" -q -t set -d 256 -r "$keys" -n 2000 -c 4 >/dev/null 2>&1 || true
		sleep 1
	done
	wait "$rec"
	stop "$name"
	if (( leak )); then
		label "$name" 1 "$kind" "$pattern" "$on" "$end" "$what"
	else
		label "$name" 0 "$kind" "$pattern" - - "$what"
	fi
	finish "$name"
}
sc_redis_growing() {   # every SET a new key, no eviction: grows without bound
	redis_run redis_growing "$dur" 1000000000 1 steady steady "redis-server, SET on new keys"
}
sc_redis_lru() {       # the same load, maxmemory 48 MB allkeys-lru: bounded
	redis_run redis_lru "$dur" 1000000000 0 bounded plateau "redis-server maxmemory 48mb allkeys-lru" \
		--maxmemory 48mb --maxmemory-policy allkeys-lru
}
sc_redis_fixed() {     # SETs on 20k keys: warms up to its working set, then flat
	redis_run redis_fixed "$dur" 20000 0 bounded plateau "redis-server, SET on 20k keys"
}
sc_long_leaker() {     # a slower leak over a longer run, from a third in
	held_target long_leaker $((dur * 3)) $((dur)) 1 late steady "daemon_leaker 2000 96, long" \
		"$T/daemon_leaker" 2000 96
}
sc_long_cache() {      # a slowly filled cache over a longer run
	held_target long_cache $((dur * 3)) $((dur / 5)) 0 bounded plateau "daemon_cache 128 8000, long" \
		"$T/daemon_cache" 128 8000
}

all=(leaker leaker_late server stair cache lru spiky churn leaker_restart
     redis_growing redis_lru redis_fixed long_leaker long_cache)
names=("$@")
(( ${#names[@]} )) || names=("${all[@]}")
declare -a jobs=()
for n in "${names[@]}"; do
	if ! declare -F "sc_$n" >/dev/null; then
		echo "record-corpus: unknown scenario '$n'" >&2
		exit 2
	fi
	"sc_$n" &
	jobs+=("$!")
done
rc=0
for j in "${jobs[@]}"; do
	wait "$j" || rc=1
done
# merge the new labels into labels.tsv (a re-recorded run replaces its line)
lab="$out/labels.tsv"
touch "$lab"
for f in "$work"/*.label; do
	[[ -e "$f" ]] || continue
	n=$(basename "$f" .label)
	grep -v "^$n	" "$lab" >"$work/labels.tmp" || true
	cat "$f" >>"$work/labels.tmp"
	sort "$work/labels.tmp" >"$lab"
done
exit "$rc"
