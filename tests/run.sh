#!/usr/bin/env bash
# tests/run.sh - install, build and run every silversync test; what CI runs (.ci/run).
#
# usage: tests/run.sh [--no-install] [--no-package] [--no-asan] [--no-fuzz] [--help]
#
# Stages, each run even when an earlier one failed (a stage that needs a
# failed build is reported as failed, not run):
#   build       tools/bootstrap.sh: the Debian packages, then build/ (RelWithDebInfo)
#   test        ctest in build/ (tests labelled bench only with SILVER_BENCH=1)
#   package     tests/package.sh: build the Debian package, install it, smoke-test
#               it, purge it (as root only; SILVER_PACKAGE=0 or --no-package skips it)
#   build-asan  tools/bootstrap.sh --asan: build-asan/ (ASan + UBSan)
#   test-asan   ctest in build-asan/ with leak detection, never the bench tests
#   build-fuzz  tools/bootstrap.sh --fuzz: build-fuzz/ (clang, libFuzzer)
#   fuzz        tests/fuzz/run.sh build-fuzz SECONDS
#   (build-fuzz and fuzz only when tests/fuzz/run.sh exists)
# Exits 0 only when every stage passed, and ends with a summary.
#
# Environment:
#   SILVER_FUZZ_SECONDS    seconds per fuzz target (default 30)
#   SILVER_BENCH=1         also run the tests labelled bench (normal build only)
#   SILVER_PACKAGE=0       skip the package stage
#   SILVER_CTEST_TIMEOUT   timeout for a test that set none itself (default 300 s)
#   SILVER_STAGE_TIMEOUT   wall-clock cap on one ctest or fuzz run (default 1500 s)
#   SILVER_CTEST_JOBS      ctest -j (default 2)
#   SILVER_BUILD_PREFIX    build trees PREFIX, PREFIX-asan, PREFIX-fuzz (default <repo>/build)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROG=tests/run.sh

do_install=1
do_asan=1
do_fuzz=1
do_package=1
[[ ${SILVER_PACKAGE:-1} == 0 ]] && do_package=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--no-install) do_install=0 ;;
	--no-asan) do_asan=0 ;;
	--no-package) do_package=0 ;;
	--no-fuzz) do_fuzz=0 ;;
	-h|--help)
		sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "$PROG: unknown option: $1 (try --help)" >&2
		exit 2
		;;
	esac
	shift
done

prefix=${SILVER_BUILD_PREFIX:-$ROOT/build}
export SILVER_BUILD_PREFIX=$prefix
fuzz_seconds=${SILVER_FUZZ_SECONDS:-30}
ctest_timeout=${SILVER_CTEST_TIMEOUT:-300}
stage_timeout=${SILVER_STAGE_TIMEOUT:-1500}
ctest_jobs=${SILVER_CTEST_JOBS:-2}
for v in fuzz_seconds ctest_timeout stage_timeout ctest_jobs; do
	if ! [[ ${!v} =~ ^[0-9]+$ ]]; then
		echo "$PROG: $v must be a whole number, not '${!v}'" >&2
		exit 2
	fi
done

stages=()   # "name<TAB>PASS|FAIL|SKIP<TAB>detail"
failed=0
tests_passed=0
tests_failed=0

other_failures=0 # failed stages that are not failed tests: a build, the fuzzers, a killed ctest

# record NAME PASS|FAIL|SKIP [DETAIL [tests]]: "tests" when failed tests are
# already counted in tests_failed.
record()
{
	stages+=("$1"$'\t'"$2"$'\t'"${3:-}")
	if [[ $2 == FAIL ]]; then
		failed=$((failed + 1))
		if [[ ${4:-} != tests ]]; then
			other_failures=$((other_failures + 1))
		fi
	fi
}

banner()
{
	printf '\n======== %s ========\n' "$*"
}

# run_bootstrap NAME ARGS...: one build through tools/bootstrap.sh.
run_bootstrap()
{
	local name=$1
	shift
	banner "$name: tools/bootstrap.sh${*:+ $*}"
	if bash "$ROOT/tools/bootstrap.sh" "$@"; then
		record "$name" PASS
		return 0
	fi
	record "$name" FAIL "tools/bootstrap.sh $* failed"
	return 1
}

# run_ctest NAME BUILD_DIR [ctest args...]: run the tests of one build tree,
# add its counts to the totals.
run_ctest()
{
	local name=$1 dir=$2 log rc pass=0 fail=0 total line
	shift 2
	log=$dir/run-ctest.log
	banner "$name: ctest in ${dir#"$ROOT"/}"
	timeout --kill-after=30 "$stage_timeout" \
		ctest --test-dir "$dir" --output-on-failure -j "$ctest_jobs" \
		--timeout "$ctest_timeout" --no-tests=error "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	# "100% tests passed, 0 tests failed out of 12"
	line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n1)
	if [[ -n $line ]]; then
		fail=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")
		total=$(sed -E 's/.*failed out of ([0-9]+).*/\1/' <<<"$line")
		pass=$((total - fail))
	fi
	tests_passed=$((tests_passed + pass))
	tests_failed=$((tests_failed + fail))
	if [[ $rc -eq 0 ]]; then
		record "$name" PASS "$pass tests"
	elif [[ $rc -eq 124 || $rc -eq 137 ]]; then
		record "$name" FAIL "ctest killed after ${stage_timeout}s"
	elif [[ -z $line ]]; then
		record "$name" FAIL "ctest exit $rc, ran no test"
	else
		record "$name" FAIL "$fail of $total tests failed" tests
	fi
}

cd "$ROOT" || exit 2

# --- normal build -------------------------------------------------------------
install_arg=(--test-deps --package-deps)
if [[ $do_install -eq 0 ]]; then
	install_arg=(--no-install)
fi
if run_bootstrap build "${install_arg[@]}"; then
	bench_args=(-LE '^bench$')
	if [[ ${SILVER_BENCH:-0} == 1 ]]; then
		bench_args=()
	fi
	run_ctest test "$prefix" "${bench_args[@]}"
else
	record test FAIL "not run: the build failed"
fi

# --- the Debian package ----------------------------------------------------------------
if [[ $do_package -eq 0 ]]; then
	record package SKIP "--no-package or SILVER_PACKAGE=0"
elif [[ $(id -u) -ne 0 ]]; then
	record package SKIP "not root: tests/package.sh installs a package"
else
	banner "package: tests/package.sh"
	start=$SECONDS
	timeout --kill-after=30 "$stage_timeout" bash "$ROOT/tests/package.sh"
	rc=$?
	if [[ $rc -eq 0 ]]; then
		record package PASS "built, installed, smoke-tested, purged in $((SECONDS - start)) s"
	elif [[ $rc -eq 124 || $rc -eq 137 ]]; then
		record package FAIL "killed after ${stage_timeout}s"
	else
		record package FAIL "tests/package.sh exit $rc"
	fi
fi

# --- ASan + UBSan build -----------------------------------------------------------
if [[ $do_asan -eq 1 ]]; then
	if run_bootstrap build-asan --no-install --asan; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			run_ctest test-asan "$prefix-asan" -LE '^bench$'
	else
		record test-asan FAIL "not run: the ASan build failed"
	fi
else
	record test-asan SKIP "--no-asan"
fi

# --- fuzz targets -------------------------------------------------------------------
fuzz_script=$ROOT/tests/fuzz/run.sh
if [[ $do_fuzz -eq 0 ]]; then
	record fuzz SKIP "--no-fuzz"
elif [[ ! -f $fuzz_script ]]; then
	record fuzz SKIP "tests/fuzz/run.sh does not exist"
elif [[ $fuzz_seconds -eq 0 ]]; then
	record fuzz SKIP "SILVER_FUZZ_SECONDS=0"
elif run_bootstrap build-fuzz --no-install --fuzz; then
	banner "fuzz: tests/fuzz/run.sh ${prefix#"$ROOT"/}-fuzz $fuzz_seconds"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		timeout --kill-after=30 "$stage_timeout" bash "$fuzz_script" "$prefix-fuzz" "$fuzz_seconds"
	rc=$?
	if [[ $rc -eq 0 ]]; then
		record fuzz PASS "${fuzz_seconds}s per target"
	elif [[ $rc -eq 124 || $rc -eq 137 ]]; then
		record fuzz FAIL "killed after ${stage_timeout}s"
	else
		record fuzz FAIL "tests/fuzz/run.sh exit $rc"
	fi
else
	record fuzz FAIL "not run: the fuzz build failed"
fi

# --- summary ------------------------------------------------------------------------
banner "summary"
for s in "${stages[@]}"; do
	IFS=$'\t' read -r name status detail <<<"$s"
	printf '  %-12s %-4s  %s\n' "$name" "$status" "$detail"
done
if [[ $failed -eq 0 ]]; then
	echo "$PROG: PASS, every stage passed"
else
	echo "$PROG: FAIL, $failed stage(s) failed"
fi
# A stage that failed without failing tests (a build, the fuzzers) counts as
# one failure in the closing line, so a failed run never reads "0 failed".
tests_failed=$((tests_failed + other_failures))
echo "tests: $tests_passed passed, $tests_failed failed"
[[ $failed -eq 0 ]]
