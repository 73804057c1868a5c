#!/usr/bin/env bash
# tests/bench/run.sh BUILD_DIR [BENCH...] - run the benchmarks at full size
# (SILVER_BENCH_SCALE=full) and print their figures as one table.
#
# BUILD_DIR is a configured and built tree (cmake --build BUILD_DIR builds
# the bench_* programs when the tests are on); BENCH names pick some of
# import, edit, show, web, bundle, sync, stats, audit (default: all).  After
# sync, peers/pouchdb.sh replicates the same number of records with PouchDB
# in the same run and prints the ratio (skipped without node and npm, or
# with SILVER_BENCH_POUCH=0).  Each benchmark's own output
# is kept in BUILD_DIR/bench/NAME.log.  Targets are shown, never enforced:
# the script exits non-zero only when a benchmark broke (exit status not 0).
#
# Environment: SILVER_BENCH_DIR  where bench_show (and bench_web) cache their 1,000,000-record
# store (default $TMPDIR/silver-bench-cache); SILVER_BENCH_SCALE is set to
# full unless already set.
set -uo pipefail

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
	sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
	[[ $# -lt 1 ]] && exit 2
	exit 0
fi
build=$(cd "$1" && pwd) || exit 2
shift
benches=("$@")
if [[ ${#benches[@]} -eq 0 ]]; then
	benches=(import edit show web bundle sync stats audit)
fi
export SILVER_BENCH_SCALE=${SILVER_BENCH_SCALE:-full}
export SILVER_BIN=$build/bin
export LC_ALL=C.UTF-8 LANG=C.UTF-8

broken=0
results=()
for b in "${benches[@]}"; do
	exe=$build/bench/bench_$b
	log=$build/bench/$b.log
	if [[ ! -x $exe ]]; then
		echo "run.sh: $exe not built (cmake --build $build --target bench_$b)" >&2
		broken=1
		continue
	fi
	printf '\n======== bench_%s (%s) ========\n' "$b" "$SILVER_BENCH_SCALE"
	"$exe" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	if [[ $rc -ne 0 ]]; then
		echo "run.sh: bench_$b broke (exit $rc); see $log" >&2
		broken=1
	fi
	if [[ $b == sync && ${SILVER_BENCH_POUCH:-1} != 0 ]]; then
		here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
		n=$(awk -F'\t' '$2 == "sync bulk entries/s" {found = 1} END {print found ? "" : "none"}' "$log")
		printf '\n======== PouchDB, the same records ========\n'
		if [[ -z $n ]]; then
			POUCH_N=${POUCH_N:-$([[ $SILVER_BENCH_SCALE == full ]] && echo 100000 || echo 2000)} \
				bash "$here/peers/pouchdb.sh" "$log" 2>&1 | tee -a "$log"
		fi
	fi
	while IFS= read -r line; do
		results+=("$line")
	done < <(grep '^RESULT' "$log" | cut -f2-)
done

printf '\n======== figures (%s, %s, %s cores) ========\n' "$(date -u +%Y-%m-%d)" "$SILVER_BENCH_SCALE" "$(nproc)"
printf '%-38s %12s %-6s %-10s %s\n' figure value unit target verdict
for r in "${results[@]}"; do
	IFS=$'\t' read -r name value unit target verdict <<<"$r"
	printf '%-38s %12s %-6s %-10s %s\n' "$name" "$value" "$unit" "$target" "$verdict"
done
exit $broken
