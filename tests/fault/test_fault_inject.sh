#!/usr/bin/env bash
# tests/fault/test_fault_inject.sh - every write, fsync and allocation of a
# command failing in turn (libsilver_faultinj, LD_PRELOAD; faultinj.c):
#   - ENOSPC at each write-like call of add, import-bundle, export-bundle,
#     backup and init: exit 7 with "the disk is full", the store audits clean
#     (silver-audit) and holds the records of before or of after, nothing
#     between; no bundle, .part file, backup directory or half node is left,
#     and the retry succeeds
#   - EIO at each call of add: exit 7, "disk or system error"
#   - a short write (the disk filling up during it): "the disk is full"
#   - init on a disk with 4 KiB free: refused, nothing made
#   - each allocation of add and import-bundle failing in turn (not in a
#     sanitizer build, whose allocator the library would replace): no crash,
#     nothing half applied
# Bounded: a command with more calls than SILVER_FI_MAX (default 400) is
# tried at that many calls spread evenly over its range.
. "$(dirname "$0")/../integration/lib.sh"

AUD="$SILVER_BIN/silver-audit"
BUILD=${SILVER_BUILD:-$(cd "$SILVER_BIN/.." && pwd)}
LIB=$BUILD/tests/libsilver_faultinj.so
LIB_ALLOC=$BUILD/tests/libsilver_faultinj_alloc.so
MAX=${SILVER_FI_MAX:-400}
[[ -f $LIB ]] || die "no $LIB (build the tests)"
# A sanitizer build: its runtime must come first, unless told not to check.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
SANITIZED=0
if ldd "$SN" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	SANITIZED=1
fi
cd "$T" || exit 1

say "a county node, a bundle from a second office"
expect_exit 0 sn adm admin init
ADM=$(key_of adm)
expect_exit 0 sn n init --township xinan --admin "$ADM"
expect_exit 0 sn o init --township donghu --admin "$ADM"
expect_exit 0 sn adm admin certify "$(key_of n)" --role branch --write xinan
expect_exit 0 sn adm admin certify "$(key_of o)" --role branch --write donghu
expect_exit 0 sn adm export-bundle certs.bundle
expect_exit 0 sn n import-bundle certs.bundle
expect_exit 0 sn o import-bundle certs.bundle
for i in 1 2 3; do
	expect_exit 0 sn n add team "name=xinan $i"
	expect_exit 0 sn o add team "name=donghu $i"
done
expect_exit 0 sn o export-bundle other.bundle
expect_exit 0 "$AUD" --admin "$ADM" --store n
cp -r n pristine

# count_calls CMD...: run CMD (in a fresh copy of the node) with the library
# counting; sets NW (write-like calls) and NM (allocations).
count_calls() {
	local lib=$1
	shift
	rm -rf w bk nn out.bundle out.bundle.part
	cp -r pristine w
	rm -f "$T/count"
	SILVER_FI_COUNT="$T/count" LD_PRELOAD=$lib "$@" >/dev/null 2>&1
	read -r NW NM <"$T/count" || die "no count from $*"
}

# The records of node dir $1, one line each, sorted, without their ids (a
# record's id holds its creation clock): what "before" and "after" compare.
records_of() {
	"$SN" --dir "$1" list team 2>/dev/null | sed 's/^[^ ]* *//' | sort
}

# steps N: the call numbers to try, at most MAX of them spread over 1..N.
steps() {
	local n=$1 i
	if ((n <= MAX)); then
		seq 1 "$n"
	else
		for ((i = 0; i < MAX; i++)); do echo $((1 + i * n / MAX)); done | uniq
	fi
}

# inject_writes NAME ERRNO WANT_MSG CHECK CMD...: for each write-like call
# of CMD, run CMD with that call failing; CHECK (a function) then judges.
inject_writes() {
	local name=$1 err=$2 msg=$3 check=$4 k rc
	shift 4
	count_calls "$LIB" "$@"
	((NW > 0)) || fail "$name: no write-like call counted"
	say "$name: $NW write-like calls, each failing with $err in turn"
	for k in $(steps "$NW"); do
		rm -rf w bk nn out.bundle out.bundle.part
		cp -r pristine w
		SILVER_FI_WRITE=$k SILVER_FI_ERRNO=$err LD_PRELOAD=$LIB timeout 60 "$@" >"$T/out" 2>"$T/err"
		rc=$?
		CHECKS=$((CHECKS + 1))
		if ((rc != 7)); then
			fail "$name: call $k failing ($err): exit $rc, want 7: $(head -c 300 "$T/err")"
			continue
		fi
		grep -qF "$msg" "$T/err" || fail "$name: call $k failing ($err): no \"$msg\" in: $(head -c 300 "$T/err")"
		"$check" "$name call $k"
	done
}

BEFORE=$(records_of pristine)
"$SN" --dir pristine add team "name=probe" >/dev/null
AFTER_ADD=$(records_of pristine)
rm -rf pristine
cp -r n pristine

# The node w audits clean and holds the records of before or of after ($2).
store_whole() {
	local what=$1 after=${2:-$BEFORE} got
	got=$(records_of w)
	if [[ $got != "$BEFORE" && $got != "$after" ]]; then
		fail "$what: the node holds neither the records of before nor of after"
	fi
	if ! "$AUD" --admin "$ADM" --store w >"$T/aud" 2>&1; then
		fail "$what: the node does not audit clean: $(head -c 400 "$T/aud")"
	fi
}
check_add() { store_whole "$1" "$AFTER_ADD"; }
check_import() { store_whole "$1" "$AFTER_IMPORT"; }
check_export() {
	[[ ! -e out.bundle ]] || fail "$1: a bundle was left"
	[[ ! -e out.bundle.part ]] || fail "$1: a .part file was left"
}
check_backup() {
	[[ ! -e bk ]] || fail "$1: a half backup was left in bk"
	if ! "$SN" --dir w backup bk >/dev/null 2>"$T/err2"; then
		fail "$1: the retry of the backup fails: $(cat "$T/err2")"
	fi
}
check_init() {
	[[ ! -e nn/identity.key && ! -e nn/data.mdb ]] || fail "$1: init left half a node"
	if ! "$SN" --dir nn init --township xinan >/dev/null 2>"$T/err2"; then
		fail "$1: the retry of init fails: $(cat "$T/err2")"
	fi
}

cp -r pristine probe
"$SN" --dir probe import-bundle other.bundle >/dev/null
AFTER_IMPORT=$(records_of probe)
rm -rf probe

inject_writes "add" ENOSPC "the disk is full" check_add "$SN" --dir w add team "name=probe"
inject_writes "add" EIO "disk or system error" check_add "$SN" --dir w add team "name=probe"
inject_writes "import-bundle" ENOSPC "the disk is full" check_import "$SN" --dir w import-bundle other.bundle
inject_writes "export-bundle" ENOSPC "the disk is full" check_export "$SN" --dir w export-bundle out.bundle
inject_writes "backup" ENOSPC "the disk is full" check_backup "$SN" --dir w backup bk
inject_writes "init" ENOSPC "the disk is full" check_init "$SN" --dir nn init --township xinan

say "a short write: the disk is full"
rm -rf w out.bundle
cp -r pristine w
SILVER_FI_WRITE=1 SILVER_FI_SHORT=1 LD_PRELOAD=$LIB "$SN" --dir w export-bundle out.bundle >"$T/out" 2>"$T/err"
expect_eq "short write exit" "$?" 7
grep -qF "the disk is full" "$T/err" || fail "short write: no \"the disk is full\" in: $(cat "$T/err")"

# LMDB reports a short write as EIO; on a disk with no room left that is the
# disk filling up.
rm -rf w
cp -r pristine w
SILVER_FI_WRITE=1 SILVER_FI_SHORT=1 SILVER_FI_FREE=4096 LD_PRELOAD=$LIB "$SN" --dir w add team name=probe >"$T/out" 2>"$T/err"
expect_eq "short write in a commit exit" "$?" 7
grep -qF "the disk is full" "$T/err" || fail "short write in a commit: no \"the disk is full\" in: $(cat "$T/err")"
check_add "short write in a commit"

say "init with 4 KiB free: refused, nothing made"
rm -rf nn
SILVER_FI_FREE=4096 LD_PRELOAD=$LIB "$SN" --dir nn init --township xinan >"$T/out" 2>"$T/err"
expect_eq "init on a full disk exit" "$?" 7
grep -qF "the disk is full" "$T/err" || fail "init on a full disk: no \"the disk is full\" in: $(cat "$T/err")"
[[ ! -e nn/identity.key && ! -e nn/data.mdb ]] || fail "init on a full disk left files"

# inject_allocs NAME CHECK CMD...: each allocation of CMD failing in turn.
inject_allocs() {
	local name=$1 check=$2 k rc n=0
	shift 2
	count_calls "$LIB_ALLOC" "$@"
	((NM > 0)) || fail "$name: no allocation counted"
	say "$name: $NM allocations, each failing in turn"
	for k in $(steps "$NM"); do
		rm -rf w
		cp -r pristine w
		SILVER_FI_MALLOC=$k LD_PRELOAD=$LIB_ALLOC timeout 60 "$@" >"$T/out" 2>"$T/err"
		rc=$?
		CHECKS=$((CHECKS + 1))
		if ((rc >= 124)); then
			fail "$name: allocation $k failing: ended by signal or timeout (exit $rc): $(head -c 300 "$T/err")"
			continue
		fi
		if ((rc != 0)) && [[ ! -s $T/err ]]; then
			fail "$name: allocation $k failing: exit $rc without a message"
		fi
		# Auditing every run would take minutes: every 10th, and every
		# records comparison.
		n=$((n + 1))
		if ((n % 10 == 0)); then
			"$check" "$name allocation $k"
		elif [[ $(records_of w) != "$BEFORE" && $(records_of w) != "$AFTER" ]]; then
			fail "$name allocation $k: the node holds neither the records of before nor of after"
		fi
	done
}
if ((SANITIZED)); then
	say "allocation failures: not in a sanitizer build (its allocator is not glibc's); the normal build runs them"
else
	AFTER=$AFTER_ADD
	inject_allocs "add" check_add "$SN" --dir w add team "name=probe"
	AFTER=$AFTER_IMPORT
	inject_allocs "import-bundle" check_import "$SN" --dir w import-bundle other.bundle
fi

say "the hub's disk fills during a sync: the client gets a peer failure (exit 8), its own store intact"
expect_exit 0 sn hub init --township county --admin "$ADM"
expect_exit 0 sn adm admin certify "$(key_of hub)" --role hub --write county
expect_exit 0 sn adm export-bundle certs2.bundle
expect_exit 0 sn hub import-bundle certs2.bundle
HUBKEY=$(key_of hub)
hub_tried=0
hub_refused=0
# The hub's write-like calls from its first on, failing in turn, until a
# client's entries meet a failed one (at most 12 hubs).
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
	rm -rf hubw w
	cp -r hub hubw
	cp -r pristine w
	PORT=$(free_port)
	SILVER_FI_WRITE=$k LD_PRELOAD=$LIB "$SN" --dir hubw hub --listen "tcp://127.0.0.1:$PORT" 2>"$T/hub.log" &
	HP=$!
	BG_PIDS+=("$HP")
	wait_port "$PORT" || { fail "the hub does not listen"; bg_kill "$HP"; break; }
	"$SN" --dir w sync "tcp://127.0.0.1:$PORT" --server-key "$HUBKEY" --timeout 10 >"$T/out" 2>"$T/err"
	rc=$?
	bg_kill "$HP"
	hub_tried=$((hub_tried + 1))
	CHECKS=$((CHECKS + 1))
	if ((rc == 0)); then
		continue # that call was not one of the sync's
	fi
	hub_refused=$((hub_refused + 1))
	((rc == 8)) || fail "sync to a hub whose disk is full (call $k): exit $rc, want 8: $(cat "$T/err")"
	grep -qF "disk is full" "$T/err" || fail "sync to a hub whose disk is full: the reason is not given: $(cat "$T/err")"
	store_whole "sync to a full hub (call $k)"
	break
done
((hub_refused > 0)) || fail "no hub write failed during a sync ($hub_tried hubs tried)"
