#!/usr/bin/env bash
# Installs every Debian package seep's build, tests, demo and benchmarks need.
# Idempotent: installs nothing (and needs no network) when all are present.
set -euo pipefail

PKGS=(
  make gcc g++ binutils clang llvm pkg-config bpftool
  libbpf-dev libelf-dev libdw-dev zlib1g-dev libjansson-dev
  libcriterion-dev libcairo2-dev
  libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0 redis-server redis-tools
  protobuf-c-compiler libprotobuf-c-dev golang-go
)
# extra package sets: tools/setup.sh bench|snapshot
case "${1:-}" in
  bench) PKGS+=(bpftrace heaptrack valgrind hyperfine) ;;
esac

missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$st" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
