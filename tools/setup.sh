#!/usr/bin/env bash
# Installs every Debian package seep's build, tests, demo and benchmarks need.
# Idempotent: installs nothing (and needs no network) when all are present.
set -euo pipefail

PKGS=(
  make gcc g++ binutils clang llvm pkg-config bpftool
  libbpf-dev libelf-dev libdw-dev zlib1g-dev libjansson-dev
  libdeflate-dev  # whole-buffer gzip for CSV reading (user/lib/csv.c)
  libcriterion-dev libcairo2-dev libzydis-dev
  libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0 redis-server redis-tools
  protobuf-c-compiler libprotobuf-c-dev golang-go
  libsqlite3-dev sqlite3 libinih-dev libmicrohttpd-dev libsystemd-dev prometheus curl
  strace  # mitigation e2e: the unconfigured daemon's signals and cgroup writes, traced
  libsnappy-dev libcurl4-openssl-dev victoria-metrics  # fleet: remote_write (snappy), TSDB client (libcurl), the e2e's VictoriaMetrics
  chromium  # the HTML report's browser test (tests/e2e/test_html_e2e.c), headless
  python3  # tools/readme-tables.py (make check-docs, in make test)
)
# extra package sets: tools/setup.sh bench|snapshot
case "${1:-}" in
  bench) PKGS+=(bpftrace heaptrack valgrind hyperfine
                redis-server redis-tools dpkg-dev
                libsystemd-dev libssl-dev tcl python3 clang libclang-rt-14-dev) ;;
esac

# The bench builds redis with glibc malloc from Debian's own source package:
# `apt-get source` needs a deb-src entry. Added once, for the mirrors the
# machine already uses: its deb822 entries (or sources.list lines) with the
# type changed to deb-src.
ensure_deb_src() {
  local dir=/etc/apt/sources.list.d src
  [[ -e $dir/seep-deb-src.sources || -e $dir/seep-deb-src.list ]] && return 0
  grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list $dir/ && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: no deb-src entry; run as root to add one" >&2
    return 1
  fi
  if [[ -f $dir/debian.sources ]]; then
    src=$dir/seep-deb-src.sources
    sed 's/^Types: *deb$/Types: deb-src/' $dir/debian.sources > "$src"
  elif grep -qs '^deb ' /etc/apt/sources.list; then
    src=$dir/seep-deb-src.list
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$src"
  else
    echo "setup: no Debian entry in /etc/apt to derive a deb-src entry from" >&2
    return 1
  fi
  echo "setup: added deb-src entry '$src'" >&2
  apt-get update -qq
}
[[ "${1:-}" == bench ]] && ensure_deb_src

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
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
