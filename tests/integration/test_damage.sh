#!/usr/bin/env bash
# tests/integration/test_damage.sh - damaged stores and odd files never crash
# a program (docs/STORE.md, "Damage"; docs/EXIT.md):
#   - a data.mdb cut short: every command says "damaged", exit 7; silver-audit
#     reports the finding `damaged`, exit 1
#   - a page of garbage, every page in turn (seeded, so the run repeats):
#     no program dies by a signal or hangs
#   - import-bundle of a FIFO, a directory, a device: refused (exit 5), never
#     blocking
#   - export-bundle onto a FIFO, a directory, a link to a device: refused
#     (exit 3), the path left as it was
. "$(dirname "$0")/lib.sh"

AUD="$SILVER_BIN/silver-audit"
export SILVER_AUDIT_STALL_SECONDS=10 # a walk stuck in liblmdb ends sooner than the default
cd "$T" || exit 1

# run_bounded SECONDS CMD...: CMD's exit code in $T/rc; 124 when it hung.
run_bounded() {
	local secs=$1
	shift
	timeout --kill-after=5 "$secs" "$@" >"$T/out" 2>"$T/err"
	echo $? >"$T/rc"
}

say "a county node with a few hundred records"
expect_exit 0 sn adm admin init
ADM=$(key_of adm)
expect_exit 0 sn n init --township xinan --admin "$ADM"
expect_exit 0 sn adm admin certify "$(key_of n)" --role branch --write xinan
expect_exit 0 sn adm export-bundle "$T/certs.bundle"
expect_exit 0 sn n import-bundle "$T/certs.bundle"
{
	echo name
	for i in $(seq 1 400); do echo "team $i"; done
} >"$T/teams.csv"
expect_exit 0 sn n import team "$T/teams.csv"
expect_exit 0 "$AUD" --admin "$ADM" --store "$T/n"
PAGES=$(($(stat -c %s "$T/n/data.mdb") / 4096))
((PAGES > 8)) || fail "the store has only $PAGES pages"

say "data.mdb cut short: damaged, exit 7; the audit reports it"
rm -rf "$T/cut"
cp -r "$T/n" "$T/cut"
truncate -s $((3 * 4096)) "$T/cut/data.mdb"
for cmd in "list team" "log" "add team name=x" "status" "export-bundle $T/cut.bundle"; do
	# shellcheck disable=SC2086
	expect_exit 7 sn cut $cmd
	expect_stderr_contains "damaged"
done
[[ ! -e $T/cut.bundle ]] || fail "a bundle was written from a damaged store"
expect_exit 1 "$AUD" --admin "$ADM" --json --store "$T/cut"
expect_stdout_contains '"damaged"'

say "a page of garbage, each page in turn: no signal, no hang"
# In a sanitizer build only reads: there AddressSanitizer reports liblmdb
# itself copying a garbage node past a page it allocated during a write (the
# normal build checks that such a write ends in exit 7, not a crash).
GARBAGE_CMDS=("list team" "add team name=y")
if ldd "$SN" 2>/dev/null | grep -q libasan; then
	GARBAGE_CMDS=("list team" "log")
fi
for ((pg = 2; pg < PAGES; pg++)); do
	rm -rf "$T/g"
	cp -r "$T/n" "$T/g"
	python3 - "$T/g/data.mdb" "$pg" <<'EOF'
import random, sys
r = random.Random(1000 + int(sys.argv[2]))
with open(sys.argv[1], 'r+b') as f:
    f.seek(int(sys.argv[2]) * 4096)
    f.write(bytes(r.getrandbits(8) for _ in range(4096)))
EOF
	for cmd in "${GARBAGE_CMDS[@]}"; do
		# shellcheck disable=SC2086
		run_bounded 30 "$SN" --dir "$T/g" $cmd
		rc=$(cat "$T/rc")
		CHECKS=$((CHECKS + 1))
		if ((rc >= 124)); then
			fail "page $pg: silvernode $cmd ended by signal or timeout (exit $rc): $(head -c 300 "$T/err")"
		elif ((rc != 0 && rc != 7 && rc != 5 && rc != 4)); then
			fail "page $pg: silvernode $cmd exit $rc: $(head -c 300 "$T/err")"
		fi
	done
	run_bounded 60 "$AUD" --admin "$ADM" --store "$T/g"
	rc=$(cat "$T/rc")
	CHECKS=$((CHECKS + 1))
	if ((rc != 0 && rc != 1)); then
		fail "page $pg: silver-audit exit $rc (want a verdict, 0 or 1): $(head -c 300 "$T/err")"
	fi
done

say "import-bundle of what is not a regular file: refused, never blocking"
mkfifo "$T/fifo"
run_bounded 20 "$SN" --dir "$T/n" import-bundle "$T/fifo"
expect_eq "import-bundle FIFO exit" "$(cat "$T/rc")" 5
expect_exit 5 sn n import-bundle "$T"
expect_stderr_contains "not a regular file"
expect_exit 5 sn n import-bundle /dev/null
expect_stderr_contains "not a regular file"

say "export-bundle onto what is not a regular file: refused, left alone"
run_bounded 20 "$SN" --dir "$T/n" export-bundle "$T/fifo"
expect_eq "export-bundle FIFO exit" "$(cat "$T/rc")" 3
[[ -p $T/fifo ]] || fail "export-bundle replaced the FIFO"
mkdir "$T/adir"
expect_exit 3 sn n export-bundle "$T/adir"
expect_stderr_contains "not a regular file"
[[ -d $T/adir ]] || fail "export-bundle replaced the directory"
ln -s /dev/null "$T/devlink"
expect_exit 3 sn n export-bundle "$T/devlink"
[[ -L $T/devlink && $(readlink "$T/devlink") == /dev/null ]] || fail "export-bundle replaced the link to /dev/null"
[[ -c /dev/null ]] || fail "/dev/null is no longer a device"
# A leftover FIFO where the .part file goes is refused, not opened.
mkfifo "$T/x.bundle.part"
run_bounded 20 "$SN" --dir "$T/n" export-bundle "$T/x.bundle"
expect_eq "export-bundle with a FIFO .part exit" "$(cat "$T/rc")" 3
[[ ! -e $T/x.bundle ]] || fail "a bundle was written beside a FIFO .part"
expect_exit 0 sn n export-bundle "$T/ok.bundle"
expect_exit 0 "$AUD" --admin "$ADM" --store "$T/n"
