#!/usr/bin/env bash
# make demo: start the bundled leaking server, trace it by pid for a few
# seconds with seep, and print the report naming the leaking function.
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
