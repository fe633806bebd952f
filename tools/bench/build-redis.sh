#!/usr/bin/env bash
# Builds redis-server with glibc malloc (`make MALLOC=libc`) from Debian's own
# source package (the same version and patches as Debian's redis-server, which
# uses jemalloc): tools/bench/build-redis.sh OUTDIR -> OUTDIR/redis-server-glibc.
# Needs a deb-src entry (tools/setup.sh bench adds one). Sources are fetched
# once into OUTDIR/redis-src.
set -euo pipefail

out=${1:?usage: build-redis.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/redis-src

if [[ ! -f $src/src/Makefile ]]; then
  tmp=$out/redis-src.tmp
  rm -rf "$tmp" "$src"
  mkdir -p "$tmp"
  echo "build-redis: fetching Debian's redis source package" >&2
  (cd "$tmp" && apt-get source -qq redis >/dev/null)
  mv "$tmp"/redis-*/ "$src"
  rm -rf "$tmp"
fi

echo "build-redis: building redis-server with MALLOC=libc" >&2
make -C "$src/src" -j"$(nproc)" MALLOC=libc USE_SYSTEMD=no BUILD_TLS=no redis-server >"$out/redis-build.log" 2>&1 ||
  { tail -20 "$out/redis-build.log" >&2; exit 1; }
"$src/src/redis-server" --version | grep -q 'malloc=libc' ||
  { echo "build-redis: '$src/src/redis-server' is not a glibc-malloc build" >&2; exit 1; }
cp "$src/src/redis-server" "$out/redis-server-glibc"
