#!/usr/bin/env bash
# test_hardening.sh - what a fault campaign found (issue: nothing lost,
# nothing crashes), each case as a user or a hostile machine would meet it:
#
#   init     a kill or a full disk at any write of `init --admin` leaves no
#            node or a whole one with the admin pinned, never a node that
#            accepts every key or an empty identity.key; a left .partial
#            directory is named, with what to do
#   names    one rule: `--township _x`, a --name with a line break, a
#            terminal escape or bytes that are not UTF-8, and an empty
#            township list in `admin certify` are refused
#   clock    a clock before 1970 or past the clock's range refuses to write
#            (exit 7); an import at the top of the range never merges rows
#   escape   user data in messages cannot forge a line or drive the terminal
#
# The init cases use strace(1) to kill the process, or to fail a call with
# ENOSPC, at the K-th call of each kind that writes (K = 1, 2, ... until the
# run finishes without meeting the fault; at most 12 per kind).
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || die "strace is needed (tools/bootstrap.sh installs it)"

ADMIN_DIR=$T/admin
expect_exit 0 sn "$ADMIN_DIR" admin init
ADMIN=$(key_of "$ADMIN_DIR")

# ---- init: whole or nothing -------------------------------------------------

# The node in $1 is whole: it opens, has its key file, and pins $ADMIN.
check_whole() {
	local d=$1 what=$2 got
	if ! "$SN" --dir "$d" --json id >"$T/id.json" 2>"$T/id.err"; then
		fail "$what: $d exists but does not open: $(head -1 "$T/id.err")"
		return
	fi
	got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$T/id.json")
	[[ $got == "$ADMIN" ]] || fail "$what: $d was left without the admin key pinned (admin: $got)"
	[[ $(stat -c %s "$d/identity.key") == 65 ]] || fail "$what: $d/identity.key is not 65 bytes"
}

# Run init under strace with one injection; check what is left.
# $1: syscall(s), $2: K, $3: the injection (signal=KILL or error=ENOSPC).
# Sets HIT to "hit" when the run met the fault, "clean" when it finished first.
init_fault() {
	local calls=$1 k=$2 how=$3 d=$T/n rc
	rm -rf "$d" "$d.partial"
	# In a subshell whose stderr is quiet: bash reports a killed child there.
	# LeakSanitizer cannot run under ptrace; the other sanitizers can.
	(
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
			strace -f -qq -o "$T/strace.out" -e trace="$calls" -e inject="$calls:$how:when=$k" \
			"$SN" --dir "$d" init --township longhu --admin "$ADMIN" >"$T/out" 2>"$T/err"
		echo $? >"$T/rc"
	) 2>/dev/null
	rc=$(cat "$T/rc")
	CHECKS=$((CHECKS + 1))
	if [[ -e $d ]]; then
		check_whole "$d" "init with $calls #$k $how (exit $rc)"
	elif [[ $how == error=* ]]; then
		# refused: a clear message and nothing left behind
		[[ $rc == 7 ]] || fail "init with $calls #$k $how: exit $rc, not 7"
		grep -q "disk is full" "$T/err" || fail "init with $calls #$k $how: no 'disk is full' in: $(head -1 "$T/err")"
		[[ ! -e $d.partial ]] || fail "init with $calls #$k $how: left $d.partial after failing"
	elif [[ -e $d.partial ]]; then
		# killed half way: the retry names the half-made directory
		expect_exit 3 sn "$d" init --township longhu --admin "$ADMIN"
		expect_stderr_contains "n.partial was left by an init that did not finish"
		rm -rf "$d.partial"
	fi
	if grep -q "INJECTED\|killed by SIGKILL" "$T/strace.out"; then HIT=hit; else HIT=clean; fi
}

for how in signal=KILL error=ENOSPC; do
	for calls in mkdir write writev pwrite64 fsync fdatasync ftruncate rename; do
		[[ $how == error=* && $calls == rename ]] && continue
		hits=0
		for k in $(seq 1 12); do
			init_fault "$calls" "$k" "$how"
			[[ $HIT == clean ]] && break
			hits=$((hits + 1))
		done
		say "init: $calls $how: $hits faults, each left no node or a whole one"
	done
done
# every kind of call above was met at least once by some init (else strace
# or init changed and this test tests nothing)
for calls in mkdir write pwrite64 fdatasync rename; do
	init_fault "$calls" 1 signal=KILL
	expect_eq "init meets a $calls" "$HIT" hit
done
rm -rf "$T/n" "$T/n.partial"

say "init: a directory that is not empty, or a file"
mkdir "$T/busy" && echo x >"$T/busy/notes.txt"
expect_exit 3 sn "$T/busy" init --township longhu
expect_stderr_contains "is not an empty directory"
[[ -f $T/busy/notes.txt && ! -e $T/busy/data.mdb ]] || fail "init touched a directory that was not empty"
mkdir "$T/empty"
expect_exit 0 sn "$T/empty/" init --township longhu --admin "$ADMIN"
check_whole "$T/empty" "init in an empty directory"

# ---- names: one rule --------------------------------------------------------

say "names"
expect_exit 3 sn "$T/u1" init --township _x
expect_stderr_contains "is not a township code"
expect_exit 3 sn "$T/u1" init --township abcdefghijklmnopqrstuvwxyz0123456
for bad in $'two\nlines' $'\e[31mred' $'bad \xff byte' $'rtl \u202e' $'tab\there'; do
	expect_exit 3 sn "$T/u1" init --township longhu --name "$bad"
	expect_stderr_contains "--name must be text"
done
[[ ! -e $T/u1 && ! -e $T/u1.partial ]] || fail "a refused init left $T/u1"
expect_exit 0 sn "$T/u1" init --township longhu --name "龙湖镇 1号机" --admin "$ADMIN"
NODE_KEY=$(key_of "$T/u1")
for list in ",," "," "longhu,,xinyan" "_x" ""; do
	expect_exit 3 sn "$ADMIN_DIR" admin certify "$NODE_KEY" --write "$list"
	expect_stderr_contains "townships are codes"
done
expect_exit 3 sn "$ADMIN_DIR" admin certify "$NODE_KEY" --write longhu --name $'a\nb'
expect_exit 0 "$SN" --dir "$ADMIN_DIR" --json admin list
expect_eq "certificates signed after refusals" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/out")" 0

# ---- clock ------------------------------------------------------------------

say "clock out of range"
N=$T/u1
ADD=(add retiree name=张三 category=honorary gender=m birth_date=1930-01-01)
expect_exit 7 env SILVER_FAKE_TIME_MS=-5 "$SN" --dir "$N" "${ADD[@]}"
expect_stderr_contains "clock is set before 1970"
expect_exit 7 env SILVER_FAKE_TIME_MS=281474976710656 "$SN" --dir "$N" "${ADD[@]}"
# At the last millisecond the clock can hold, 65,536 stamps are left: an
# import of 70,000 rows must not merge the rest into them.
python3 -c '
print("name,category,gender,birth_date")
for i in range(70000): print(f"n{i},retired,m,1940-01-01")' >"$T/70k.csv"
expect_exit 7 env SILVER_FAKE_TIME_MS=281474976710655 "$SN" --dir "$N" import retiree "$T/70k.csv"
expect_stderr_contains "nothing imported"
expect_exit 0 sn "$N" list retiree
expect_stdout_empty
expect_exit 0 sn "$N" "${ADD[@]}"

# ---- messages ---------------------------------------------------------------

say "user data in messages is escaped"
expect_exit 3 sn "$N" show $'\e[31mX\ny\xff\u202e'
expect_stderr_contains '\x1b[31mX\ny\xff\u202e'
if LC_ALL=C grep -q $'\e\|\xff' "$T/err"; then fail "a raw escape or invalid byte reached stderr"; fi
[[ $(wc -l <"$T/err") == 1 ]] || fail "a line break in user data made more than one line of message"

