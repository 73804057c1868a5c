# tests/integration/lib.sh - what the shell tests share.  Source it first:
#
#   . "$(dirname "$0")/lib.sh"
#
# It finds the programs (SILVER_BIN, set by CTest; else build/bin beside the
# source tree), makes one temporary directory per test ($T) that is removed
# on exit, and gives helpers in the manner of git's t/test-lib.sh:
#
#   sn DIR ARGS...                   run silvernode --dir DIR ARGS...
#   expect_exit CODE CMD...          run CMD; its exit code must be CODE; its
#                                    output is kept in $T/out and $T/err
#   expect_stderr_contains TEXT      the last expect_exit's stderr holds TEXT
#   expect_stdout_contains TEXT      the last expect_exit's stdout holds TEXT
#   expect_stderr_empty / expect_stdout_empty
#   expect_json                      the last expect_exit's stdout is JSON
#   expect_eq WHAT GOT WANT          string equality
#   digest_of DIR                    the node's digest (log, state, counts)
#   fail MSG / die MSG               a failed check (the test goes on) / stop now
#   bg_start CMD... / bg_kill PID    background processes, killed on exit
#
# A test passes when no check failed; the exit code is 0 or 1.
# Messages are compared in English: LANGUAGE and LC_MESSAGES are pinned.

set -u

export LC_ALL=C.UTF-8 LANG=C.UTF-8 LANGUAGE=
unset SILVER_DIR

TEST_NAME=$(basename "$0" .sh)
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z ${SILVER_BIN:-} ]]; then
	SILVER_BIN=$(cd "$LIB_DIR/../.." && pwd)/build/bin
fi
SN="$SILVER_BIN/silvernode"
if [[ ! -x $SN ]]; then
	echo "$TEST_NAME: no silvernode in $SILVER_BIN (set SILVER_BIN to the build's bin directory)" >&2
	exit 1
fi
command -v python3 >/dev/null || { echo "$TEST_NAME: python3 is needed" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/silver-$TEST_NAME.XXXXXX") || exit 1
FAILS=0
CHECKS=0
BG_PIDS=()

_cleanup() {
	local rc=$? pid
	# Only our own children that are still running (jobs -p), by PID.
	for pid in "${BG_PIDS[@]}"; do
		if jobs -p | grep -qx "$pid"; then
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		fi
	done
	if [[ -n ${SILVER_KEEP_TMP:-} ]]; then
		echo "$TEST_NAME: kept $T" >&2
	else
		rm -rf "$T"
	fi
	if ((FAILS > 0)); then
		echo "$TEST_NAME: FAILED: $FAILS of $CHECKS checks" >&2
		exit 1
	fi
	if ((rc == 0)); then
		echo "$TEST_NAME: ok ($CHECKS checks)"
	fi
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# Where a check failed: the line of the test script's top level that led to
# it (through any helper functions the script defines).
_where() {
	local i where='?'
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		if [[ ${BASH_SOURCE[$i]} != "${BASH_SOURCE[0]}" ]]; then
			where="$(basename "${BASH_SOURCE[$i]}"):${BASH_LINENO[$((i - 1))]}"
		fi
	done
	echo "$where"
}

fail() {
	FAILS=$((FAILS + 1))
	echo "FAIL [$(_where)]: $*" >&2
}

die() {
	FAILS=$((FAILS + 1))
	echo "FATAL [$(_where)]: $*" >&2
	exit 1
}

pass() {
	CHECKS=$((CHECKS + 1))
}

say() {
	echo "# $*"
}

sn() {
	local d=$1
	shift
	"$SN" --dir "$d" "$@"
}

# expect_exit CODE CMD...: stdout in $T/out, stderr in $T/err, $LAST_CMD.
expect_exit() {
	local want=$1 got
	shift
	LAST_CMD="$*"
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	CHECKS=$((CHECKS + 1))
	if [[ $got != "$want" ]]; then
		fail "exit $got, expected $want: $LAST_CMD"
		sed 's/^/    stderr: /' "$T/err" | head -20 >&2
		sed 's/^/    stdout: /' "$T/out" | head -10 >&2
		return 1
	fi
	return 0
}

expect_stderr_contains() {
	CHECKS=$((CHECKS + 1))
	if ! grep -qF -- "$1" "$T/err"; then
		fail "stderr of '$LAST_CMD' lacks '$1'"
		sed 's/^/    stderr: /' "$T/err" | head -10 >&2
		return 1
	fi
}

expect_stdout_contains() {
	CHECKS=$((CHECKS + 1))
	if ! grep -qF -- "$1" "$T/out"; then
		fail "stdout of '$LAST_CMD' lacks '$1'"
		sed 's/^/    stdout: /' "$T/out" | head -20 >&2
		return 1
	fi
}

expect_stderr_empty() {
	CHECKS=$((CHECKS + 1))
	if [[ -s $T/err ]]; then
		fail "stderr of '$LAST_CMD' is not empty"
		sed 's/^/    stderr: /' "$T/err" | head -10 >&2
		return 1
	fi
}

expect_stdout_empty() {
	CHECKS=$((CHECKS + 1))
	if [[ -s $T/out ]]; then
		fail "stdout of '$LAST_CMD' is not empty"
		sed 's/^/    stdout: /' "$T/out" | head -10 >&2
		return 1
	fi
}

expect_json() {
	CHECKS=$((CHECKS + 1))
	if ! python3 -c 'import json,sys; json.load(sys.stdin)' <"$T/out" 2>"$T/json.err"; then
		fail "stdout of '$LAST_CMD' is not JSON: $(tail -1 "$T/json.err")"
		sed 's/^/    stdout: /' "$T/out" | head -10 >&2
		return 1
	fi
}

# json_get EXPR: evaluate a Python expression on j = the last stdout's JSON.
json_get() {
	python3 -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" <"$T/out"
}

expect_eq() {
	CHECKS=$((CHECKS + 1))
	if [[ $2 != "$3" ]]; then
		fail "$1: got '$2', expected '$3'"
		return 1
	fi
}

# expect_log WHAT FILE REGEX: a running server's log gets a line matching
# REGEX within 5 s (servers log from their loop, a poll period later).
expect_log() {
	local i
	CHECKS=$((CHECKS + 1))
	for ((i = 0; i < 50; i++)); do
		grep -q -- "$3" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$1: no line matching '$3' in $2"
	return 1
}

# The digest output (log and state digests and counts); empty on failure.
digest_of() {
	"$SN" --dir "$1" digest 2>&1 || echo "digest failed: exit $?"
}

# refused_in DIR QUIET CODE TEXT... -- CMD...: CMD exits CODE, its stderr
# holds every TEXT, with QUIET 1 its stdout is empty, and the digest of the
# node in DIR does not move (a refusal changes nothing).
refused_in() {
	local dir=$1 quiet=$2 code=$3 before texts=()
	shift 3
	while [[ $1 != -- ]]; do
		texts+=("$1")
		shift
	done
	shift
	before=$(digest_of "$dir")
	if expect_exit "$code" "$@"; then
		local t
		for t in "${texts[@]}"; do
			expect_stderr_contains "$t"
		done
		((quiet)) && expect_stdout_empty
	fi
	expect_same_digest "$*" "$before" "$dir"
}

expect_same_digest() {
	local what=$1 before=$2 after
	after=$(digest_of "$3")
	CHECKS=$((CHECKS + 1))
	if [[ $before != "$after" ]]; then
		fail "$what: the digest changed"
		echo "    before: $before" | head -3 >&2
		echo "    after:  $after" | head -3 >&2
		return 1
	fi
}

bg_start() {
	"$@" &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# Kill a background process by its PID and reap it; $BG_STATUS = its status.
bg_kill() {
	local i
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	# shellcheck disable=SC2034 # read by the caller
	BG_STATUS=$?
	for i in "${!BG_PIDS[@]}"; do
		[[ ${BG_PIDS[$i]} == "$1" ]] && unset 'BG_PIDS[i]'
	done
}

# A node's public key, hex.
key_of() {
	"$SN" --dir "$1" --json id | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'
}

# A TCP port of 127.0.0.1 free at the moment.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Wait until something listens on 127.0.0.1:PORT (bounded: 10 s).
wait_port() {
	local i
	for ((i = 0; i < 200; i++)); do
		python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2)' "$1" \
			2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
