#!/usr/bin/env bash
# tests/integration/test_audit_live.sh - silver-audit of a node that is
# being written meanwhile reads one consistent state (one LMDB read
# transaction, silver_store_snapshot): no false `state` or `store` findings
# while adds and imports run.  Bounded: at most 40 writes and 40 audits.
. "$(dirname "$0")/lib.sh"
AUD="$SILVER_BIN/silver-audit"
cd "$T" || exit 1

say "a county node"
expect_exit 0 sn adm admin init
ADM=$(key_of adm)
expect_exit 0 sn n init --township xinan --admin "$ADM"
expect_exit 0 sn adm admin certify "$(key_of n)" --role branch --write xinan
expect_exit 0 sn adm export-bundle certs.bundle
expect_exit 0 sn n import-bundle certs.bundle
{
	echo name
	for i in $(seq 1 200); do echo "team $i"; done
} >teams.csv
expect_exit 0 sn n import team teams.csv

say "audits while a writer adds and imports"
(
	for i in $(seq 1 40); do
		"$SN" --dir n import team teams.csv >/dev/null 2>&1 || exit 1
		[[ -e stop ]] && break
	done
	exit 0
) &
WRITER=$!
BG_PIDS+=("$WRITER")
audits=0
for ((k = 0; k < 40; k++)); do
	if ! "$AUD" --admin "$ADM" --json --store n >"$T/aud.json" 2>"$T/aud.err"; then
		fail "audit $k of a live node: exit $?: $(head -c 600 "$T/aud.json") $(cat "$T/aud.err")"
		break
	fi
	CHECKS=$((CHECKS + 1))
	audits=$((audits + 1))
	jobs -p | grep -qx "$WRITER" || break
done
touch stop
wait "$WRITER" # it stops after its current import (bounded)
bg_kill "$WRITER"
((audits >= 2)) || fail "only $audits audits ran while the writer ran"
expect_exit 0 "$AUD" --admin "$ADM" --store n
