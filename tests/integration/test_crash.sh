#!/usr/bin/env bash
# test_crash.sh - crash safety: silvernode killed with SIGKILL at random
# moments never leaves a store that is damaged, half-applied, or different
# from a replay of its own log.
#
# Each round kills, at a random moment, a long CSV import (ROWS retirees in
# one transaction), then an add, then a set.  After every kill:
#   - the store opens: digest exits 0;
#   - every committed change verifies: the whole node is exported to a bundle
#     and imported into a fresh node, which checks every seal and chain;
#   - the fresh node's log and state digests equal the crashed node's: the
#     stored state is the replay of the stored log;
#   - nothing is half-applied: the import added all ROWS rows or none, the add
#     one record or none, the set its value or not; a command that exited 0
#     before the kill must be there in full; the counts in the digest agree
#     with list and with the commands that committed.
#
# Environment: SILVER_CRASH_ROUNDS (50), SILVER_CRASH_ROWS (20000),
# SILVER_CRASH_MAX_MS (the longest wait before killing the import; default
# max(300, 1.3 x the time one import takes here)),
# SILVER_CRASH_SMALL_MAX_MS (the same for add and set; default max(30, 2 x the
# time one add takes here)),
# SILVER_CRASH_FRESH_EVERY (3: rounds on one node before starting a new one,
# which keeps each round's verification bounded), SILVER_TEST_SEED.
. "$(dirname "$0")/lib.sh"

ROUNDS=${SILVER_CRASH_ROUNDS:-50}
ROWS=${SILVER_CRASH_ROWS:-20000}
MAX_MS=${SILVER_CRASH_MAX_MS:-}
SMALL_MAX_MS=${SILVER_CRASH_SMALL_MAX_MS:-}
FRESH_EVERY=${SILVER_CRASH_FRESH_EVERY:-3}
SEED=${SILVER_TEST_SEED:-$$}
RANDOM=$SEED

python3 - "$T/big.csv" "$ROWS" <<'PY' || die "python3"
import sys
rows = int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    f.write("name,category,gender,birth_date,hardship,phone\n")
    for i in range(rows):
        f.write(f"Bulk {i},{'honorary' if i % 37 == 0 else 'retired'},{'mf'[i % 2]},"
                f"19{40 + i % 50}-{i % 12 + 1:02d}-{i % 28 + 1:02d},{'illness' if i % 5 == 0 else ''},1390000{i:04d}\n")
PY

# How long one whole import (and one add) takes here.  Unless
# SILVER_CRASH_MAX_MS says otherwise, kills fall anywhere in
# 0..max(300 ms, 1.3 x that), so that some land while rows are written, some
# during the commit, some after it (the same for add and set).
sn "$T/timing" init --township longhu >/dev/null 2>&1 || die "init timing"
t_ns=$(date +%s%N)
sn "$T/timing" import retiree "$T/big.csv" >/dev/null || die "the CSV does not import"
IMPORT_MS=$((($(date +%s%N) - t_ns) / 1000000))
t_ns=$(date +%s%N)
sn "$T/timing" add retiree name=Timing category=retired birth_date=1945-05-05 >/dev/null || die "add fails"
ADD_MS=$((($(date +%s%N) - t_ns) / 1000000))
rm -rf "$T/timing"
if [[ -z $MAX_MS ]]; then
	MAX_MS=$((IMPORT_MS * 13 / 10))
	((MAX_MS < 300)) && MAX_MS=300
fi
if [[ -z $SMALL_MAX_MS ]]; then
	SMALL_MAX_MS=$((ADD_MS * 2))
	((SMALL_MAX_MS < 30)) && SMALL_MAX_MS=30
fi
say "rounds $ROUNDS, rows $ROWS (one import: $IMPORT_MS ms, one add: $ADD_MS ms)"
say "kill the import within $MAX_MS ms, an add or set within $SMALL_MAX_MS ms; seed $SEED"

# A random wait of 0..$1 ms.
random_sleep() {
	local ms=$((RANDOM % ($1 + 1)))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
}

# run_killed MAXMS CMD...: start CMD in the background, kill it with SIGKILL
# after a random wait, reap it.  $KILL_STATUS: 0 when it had finished, 137
# when the kill stopped it.
run_killed() {
	local max=$1 pid
	shift
	"$@" >"$T/bg.out" 2>"$T/bg.err" &
	pid=$!
	BG_PIDS+=("$pid")
	random_sleep "$max"
	bg_kill "$pid"
	KILL_STATUS=$BG_STATUS
}

# The node's digest as "log state entries records conflicts"; empty when
# digest fails.  (Parsed from the text output: a python3 per call would
# cost more than the rest of the round.)
digest_fields() {
	local out
	out=$("$SN" --dir "$1" digest 2>"$T/digest.err") || return 0
	sed -n -e 's/^log digest: *\([0-9a-f]*\)$/\1/p' -e 's/^state digest: *\([0-9a-f]*\)$/\1/p' \
		-e 's/^\([0-9]*\) entries in [0-9]* feeds, \([0-9]*\) records, \([0-9]*\) open conflicts$/\1 \2 \3/p' \
		<<<"$out" | tr '\n' ' ' | sed 's/ $//'
}

# Expected after the last check: bulk rows, single adds, entries.
BULK=0
SINGLES=0
ENTRIES=0
PHONE=
N=
node_no=0

new_node() {
	node_no=$((node_no + 1))
	[[ -n $N ]] && rm -rf "$N"
	N=$T/node$node_no
	sn "$N" init --township longhu >/dev/null 2>&1 || die "init $N"
	TARGET=$(sn "$N" add retiree name=Target category=retired birth_date=1945-05-05 phone=start) || die "add target"
	BULK=0
	SINGLES=0
	ENTRIES=1
	PHONE=start
}

# verify WHAT: the checks listed at the top, after one kill.
verify() {
	local what=$1 d v lines bulk singles phone e_entries e_records e_conf
	CHECKS=$((CHECKS + 1))
	d=$(digest_fields "$N")
	if [[ -z $d ]]; then
		fail "$what: the store does not open after the kill: $(head -3 "$T/digest.err")"
		return 1
	fi
	read -r _ _ e_entries e_records e_conf <<<"$d"
	# Counts, against list and against what committed.
	if ! sn "$N" list retiree >"$T/list" 2>"$T/list.err"; then
		fail "$what: list fails: $(head -3 "$T/list.err")"
		return 1
	fi
	lines=$(wc -l <"$T/list")
	bulk=$(grep -c '  Name Bulk ' "$T/list")
	singles=$(grep -c '  Name Single-' "$T/list")
	expect_eq "$what: records in digest and in list" "$e_records" "$lines"
	expect_eq "$what: records" "$lines" "$((1 + bulk + singles))"
	((bulk % ROWS == 0)) || fail "$what: $bulk imported rows: not a whole number of $ROWS-row imports"
	expect_eq "$what: conflicts" "$e_conf" 0
	if ! sn "$N" --json show "$TARGET" >"$T/target" 2>"$T/target.err"; then
		fail "$what: show target: $(head -3 "$T/target.err")"
		return 1
	fi
	phone=$(sed -n 's/^    "phone": "\(.*\)",\{0,1\}$/\1/p' "$T/target")
	# Whole imports, whole adds, whole sets; committed ones kept.
	case $what in
	import*)
		if ((bulk != BULK && bulk != BULK + ROWS)); then
			fail "$what: $bulk imported rows, expected $BULK or $((BULK + ROWS))"
		elif [[ $KILL_STATUS == 0 && $bulk != $((BULK + ROWS)) ]]; then
			fail "$what: the import reported success, but its rows are gone"
		fi
		((bulk > BULK)) && ENTRIES=$((ENTRIES + ROWS))
		BULK=$bulk
		;;
	add*)
		if ((singles != SINGLES && singles != SINGLES + 1)); then
			fail "$what: $singles single adds, expected $SINGLES or $((SINGLES + 1))"
		elif [[ $KILL_STATUS == 0 && $singles != $((SINGLES + 1)) ]]; then
			fail "$what: add printed $(cat "$T/bg.out") and exited 0, but the record is gone"
		fi
		((singles > SINGLES)) && ENTRIES=$((ENTRIES + 1))
		SINGLES=$singles
		;;
	set*)
		local want=${what#set }
		if [[ $phone != "$PHONE" && $phone != "$want" ]]; then
			fail "$what: phone is '$phone', expected '$PHONE' or '$want'"
		elif [[ $KILL_STATUS == 0 && $phone != "$want" ]]; then
			fail "$what: set exited 0, but the phone is '$phone'"
		fi
		[[ $phone != "$PHONE" ]] && ENTRIES=$((ENTRIES + 1))
		PHONE=$phone
		;;
	esac
	((bulk == BULK && singles == SINGLES)) || fail "$what: other records appeared or vanished"
	[[ $phone == "$PHONE" ]] || fail "$what: the phone changed to '$phone' without a set"
	expect_eq "$what: entries in the log" "$e_entries" "$ENTRIES"
	# Every committed entry verifies and replays to the same state.
	rm -rf "$T/check" "$T/all.bundle"
	if ! sn "$N" export-bundle "$T/all.bundle" >"$T/exp.out" 2>"$T/exp.err"; then
		fail "$what: export-bundle: $(head -3 "$T/exp.err")"
		return 1
	fi
	sn "$T/check" init --township longhu >/dev/null 2>&1 || die "init check"
	if ! sn "$T/check" import-bundle "$T/all.bundle" >"$T/imp.out" 2>"$T/imp.err"; then
		fail "$what: the crashed node's entries do not verify: $(head -3 "$T/imp.err")"
		return 1
	fi
	v=$(digest_fields "$T/check")
	CHECKS=$((CHECKS + 1))
	if [[ $v != "$d" ]]; then
		fail "$what: a replay of the log differs from the stored state"
		echo "    crashed node: $d" >&2
		echo "    replayed:     $v" >&2
	fi
}

killed_mid=0
finished=0
small_killed=0
small_finished=0
t_start=$SECONDS
t_lap=$SECONDS
for ((r = 0; r < ROUNDS; r++)); do
	((r % FRESH_EVERY == 0)) && new_node
	run_killed "$MAX_MS" "$SN" --dir "$N" import retiree "$T/big.csv"
	case $KILL_STATUS in
	0) finished=$((finished + 1)) ;;
	137) killed_mid=$((killed_mid + 1)) ;;
	*) fail "round $r: import exited $KILL_STATUS: $(head -3 "$T/bg.err")" ;;
	esac
	verify "import (round $r)"

	run_killed "$SMALL_MAX_MS" "$SN" --dir "$N" add retiree name="Single-$r" category=honorary \
		birth_date=1935-01-01 hardship=old_age
	[[ $KILL_STATUS == 0 || $KILL_STATUS == 137 ]] || fail "round $r: add exited $KILL_STATUS: $(head -3 "$T/bg.err")"
	[[ $KILL_STATUS == 0 ]] && small_finished=$((small_finished + 1)) || small_killed=$((small_killed + 1))
	verify "add (round $r)"

	run_killed "$SMALL_MAX_MS" "$SN" --dir "$N" set "$TARGET" phone="p$r"
	[[ $KILL_STATUS == 0 || $KILL_STATUS == 137 ]] || fail "round $r: set exited $KILL_STATUS: $(head -3 "$T/bg.err")"
	[[ $KILL_STATUS == 0 ]] && small_finished=$((small_finished + 1)) || small_killed=$((small_killed + 1))
	verify "set p$r"

	if (((r + 1) % 10 == 0)); then
		say "round $((r + 1))/$ROUNDS: $((SECONDS - t_lap)) s; node $node_no holds $BULK imported rows, $SINGLES adds"
		t_lap=$SECONDS
	fi
	((FAILS > 20)) && die "too many failures; stopping"
done
say "imports killed while running: $killed_mid, finished before the kill: $finished"
say "adds and sets killed while running: $small_killed, finished before the kill: $small_finished"
say "$((SECONDS - t_start)) s in all"
((killed_mid > 0)) || say "warning: no import was killed while running (raise SILVER_CRASH_MAX_MS?)"
