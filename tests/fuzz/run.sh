#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS - run every fuzz target for SECONDS each.
#
# BUILD_DIR is a build configured with -DSILVER_FUZZ=ON -DCMAKE_C_COMPILER=clang.
# The seed corpus is made from tests/vectors/*.hex in a temporary directory
# (the source tree is never written).  Exits non-zero if a target crashes;
# the crashing input is kept and its path printed.
set -u
if [ $# -ne 2 ]; then
	echo "usage: $0 BUILD_DIR SECONDS" >&2
	exit 2
fi
build=$1
secs=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/silver-fuzz.XXXXXX")
status=0

unhex() { # hex text on stdin -> bytes on stdout
	if command -v xxd >/dev/null 2>&1; then
		tr -d ' \n\r\t' | xxd -r -p
	else
		python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))'
	fi
}

# sync_seeds DIR: one message of each type (docs/PROTOCOL.md, section 2),
# written out byte by byte; the BATCH carries the first entry vector.
sync_seeds() {
	local m='\xaasilversync\x01' z16 z32
	z16=$(printf '\\x%02x' {1..16})
	z32=$(printf '\\x%02x' {1..32})
	printf "\x98${m}\x01\xc4\x20${z32}\xa6longhu\x01\x04\x91\x93\xc4\x10${z16}\x01\xc4\x20${z32}" >"$1/hello"
	printf "\x99${m}\x03\x07\x00\xa0\x01\x01\x01" >"$1/ack"
	printf "\x99${m}\x03\x08\xf3\xa4late\x00\x00\x00" >"$1/ack-refused"
	printf "\x95${m}\x04\x02\x10" >"$1/done"
	printf "\x97${m}\x05\xc4\x10${z16}\x02\xc4\x20${z32}\xc4\x20${z32}" >"$1/fork"
	printf "\x95${m}\x06\xfa\xa3bad" >"$1/error"
	for v in "$src"/tests/vectors/*.hex; do
		[ -e "$v" ] || continue
		local body
		body=$(unhex <"$v" | od -An -v -tx1 | tr -d ' \n' | sed 's/../\\x&/g')
		local n=$(( ${#body} / 4 )) len
		if [ $n -lt 256 ]; then # bin 8, else bin 16: the shortest form
			len=$(printf '\\xc4\\x%02x' $n)
		else
			len=$(printf '\\xc5\\x%02x\\x%02x' $((n >> 8)) $((n & 255)))
		fi
		printf "\x95${m}\x02\x07\x91${len}${body}" >"$1/batch-$(basename "$v" .hex)"
	done
}

for target in fuzz_entry fuzz_msgcheck fuzz_bundle fuzz_admin fuzz_sync_msg; do
	bin=$build/fuzz/$target
	if [ ! -x "$bin" ]; then
		echo "$0: $bin not built (configure with -DSILVER_FUZZ=ON)" >&2
		exit 2
	fi
	corpus=$work/$target/corpus
	mkdir -p "$corpus" "$work/$target/crash"
	for v in "$src"/tests/vectors/*.hex; do
		[ -e "$v" ] || continue
		name=$(basename "$v" .hex)
		if [ "$target" = fuzz_bundle ]; then
			# a bundle header (count 1) then the entry
			{ printf '\225\261silversync-bundle\001\001\000\001'; unhex <"$v"; } >"$corpus/$name"
		elif [ "$target" = fuzz_sync_msg ]; then
			continue # its seeds are messages: sync_seeds below
		elif [ "$target" = fuzz_admin ]; then
			{ printf '\002'; unhex <"$v"; } >"$corpus/$name"
		elif [ "$target" = fuzz_msgcheck ]; then
			# two parameter bytes first: max_items 0xf0 (4096), depth 6
			{ printf '\360\006'; unhex <"$v"; } >"$corpus/$name"
		else
			unhex <"$v" >"$corpus/$name"
		fi
	done
	[ "$target" = fuzz_sync_msg ] && sync_seeds "$corpus"
	echo "== $target for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -max_len=70000 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/$target/crash/" -print_final_stats=1 "$corpus" \
		>"$work/$target/log" 2>&1; then
		echo "$target: FAILED; log and crash input kept in $work/$target" >&2
		tail -n 40 "$work/$target/log" >&2
		status=1
	else
		grep -E '^stat::(number_of_executed_units|new_units_added)|Done [0-9]+ runs' "$work/$target/log"
	fi
done
if [ $status -eq 0 ]; then
	rm -rf "$work"
fi
exit $status
