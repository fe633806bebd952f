#!/usr/bin/env bash
# Checks the include rule of user/LAYERS over user/ (and tests/unit, whose
# folders mirror user/'s): every quoted include names a folder, a file
# includes its own folder and the folders its layer lists, and only
# [libbpf] layers include <bpf/...>. Prints each violation as
# FILE:LINE: message and exits 1 if there is any.
#   tools/check-layers.sh [ROOT]     check ROOT (default: this checkout)
#   tools/check-layers.sh --self-test plant a wrong include in a copy of the
#                                     tree and fail unless the check catches it
set -euo pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
if [[ ${1:-} == --self-test ]]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	for d in user include bpf tests/unit; do
		mkdir -p "$tmp/$(dirname "$d")"
		cp -r "$(dirname "$self")/../$d" "$tmp/$d"
	done
	"$self" "$tmp" >/dev/null || { echo "check-layers: self-test: the copy fails before any change" >&2; exit 1; }
	# lib is the lowest layer: it may include nothing above it.
	sed -i '0,/^#include "lib\/log.h"/s//#include "lib\/log.h"\n#include "cli\/cli.h"/' "$tmp/user/lib/log.c"
	grep -q '"cli/cli.h"' "$tmp/user/lib/log.c" || { echo "check-layers: self-test could not plant its include" >&2; exit 1; }
	if out=$("$self" "$tmp" 2>&1); then
		echo "check-layers: self-test FAILED: a wrong include in lib/log.c was not caught" >&2
		exit 1
	fi
	grep -q "lib/log.c:.*layer 'lib' may not include 'cli'" <<<"$out" ||
		{ echo "check-layers: self-test FAILED: $out" >&2; exit 1; }
	echo "check-layers: self-test passed (a wrong include is caught)"
	exit 0
fi
cd "${1:-$(dirname "$0")/..}"

declare -A allowed libbpf
while IFS= read -r line; do
	line=${line%%#*}
	[[ $line =~ ^([a-z_]+):(.*)$ ]] || continue
	dir=${BASH_REMATCH[1]} rest=${BASH_REMATCH[2]}
	[[ $rest == *"[libbpf]"* ]] && libbpf[$dir]=1
	allowed[$dir]=" $dir ${rest//\[libbpf\]/} "
done < user/LAYERS

# Headers shared with BPF (include/) and BPF skeletons (generated from
# bpf/NAME.bpf.c as NAME.skel.h), found through -I outside user/.
shared_header() {
	[[ -f include/$1 ]] && return 0
	[[ $1 == *.skel.h && -f bpf/${1%.skel.h}.bpf.c ]]
}
bad=0
fail() { echo "$1: $2"; bad=1; }

check_file() {    # FILE LAYER
	local f=$1 layer=$2 n=0 line inc top
	while IFS= read -r line; do
		n=$((n + 1))
		if [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
			inc=${BASH_REMATCH[1]}
			if [[ $inc != */* ]]; then
				shared_header "$inc" && continue
				[[ $f == tests/* ]] && continue    # tests' own helpers (tests/lib)
				fail "$f:$n" "include \"$inc\" names no folder (write \"<folder>/$inc\")"
				continue
			fi
			top=${inc%%/*}
			if [[ -z ${allowed[$top]+x} ]]; then
				fail "$f:$n" "include \"$inc\": '$top' is not a layer of user/LAYERS"
			elif [[ ${allowed[$layer]} != *" $top "* ]]; then
				fail "$f:$n" "include \"$inc\": layer '$layer' may not include '$top' (user/LAYERS)"
			fi
		elif [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<bpf/ ]]; then
			[[ -n ${libbpf[$layer]+x} ]] ||
				fail "$f:$n" "layer '$layer' may not include libbpf (user/LAYERS: [libbpf] layers only)"
		fi
	done < "$f"
}

for f in user/*; do
	[[ -d $f || $f == user/LAYERS ]] && continue
	fail "$f" "user/ holds only layer folders and LAYERS"
done
for d in user/*/; do
	d=${d%/}; layer=${d#user/}
	if [[ -z ${allowed[$layer]+x} ]]; then
		fail "$d" "folder '$layer' is not a layer of user/LAYERS"
		continue
	fi
	while IFS= read -r f; do check_file "$f" "$layer"; done < <(find "$d" -name '*.[ch]' | sort)
done
# Unit tests are held to the layer they test: tests/unit/<layer>/.
for d in tests/unit/*/; do
	d=${d%/}; layer=${d#tests/unit/}
	[[ -n ${allowed[$layer]+x} ]] || continue
	while IFS= read -r f; do check_file "$f" "$layer"; done < <(find "$d" -name '*.c' | sort)
done
if [[ $bad -ne 0 ]]; then
	echo "check-layers: include rule violated (see user/LAYERS)" >&2
	exit 1
fi
echo "check-layers: $(find user -name '*.[ch]' | wc -l) files obey user/LAYERS"
