#!/usr/bin/env bash
# test_cli.sh - a township office's day with silvernode, as a user types it:
# create the node, register retirees, log visits and aid, correct and delete,
# look at records, history, log and digest, in text and in JSON; --help,
# unknown commands and a missing node directory.
. "$(dirname "$0")/lib.sh"

N=$T/longhu

say "init"
expect_exit 0 sn "$N" init --township longhu --name 龙湖镇
expect_stdout_contains "township longhu"
expect_stdout_contains "silversync-join "
expect_eq "identity.key mode" "$(stat -c %a "$N/identity.key")" 600
expect_eq "node directory mode" "$(stat -c %a "$N")" 700
expect_exit 3 sn "$N" init --township longhu
expect_stderr_contains "already holds a node"
expect_exit 2 sn "$T/other" init
expect_stderr_contains "--township"
expect_exit 3 sn "$T/other" init --township 'Long Hu'
expect_stderr_contains "not a township code"
[[ -e $T/other/identity.key ]] && fail "a refused init left a key in $T/other"

expect_exit 0 sn "$N" id
expect_stdout_contains "Township:   longhu"
expect_exit 0 sn "$N" --json id
expect_json
expect_eq "id --json township" "$(json_get 'j["township"]')" longhu
expect_eq "id --json name" "$(json_get 'j["name"]')" 龙湖镇

say "retirees"
expect_exit 0 sn "$N" add retiree name=张建国 category=honorary gender=m birth_date=1928-03-15 \
	hardship=illness,old_age phone=13900000001
R1=$(cat "$T/out")
[[ $R1 == longhu/retiree/* ]] || fail "add printed '$R1', not a retiree id"
expect_stderr_empty
expect_exit 0 sn "$N" add retiree name=李秀英 category=retired gender=f birth_date=1950-11-02
R2=$(cat "$T/out")
# A name typed with a combining accent is stored NFC-normalised.
expect_exit 0 sn "$N" add retiree name=$'Jose\xcc\x81' category=retired birth_date=1955-01-01
R3=$(cat "$T/out")
[[ $R1 != "$R2" && $R2 != "$R3" ]] || fail "ids not distinct: $R1 $R2 $R3"

expect_exit 0 sn "$N" show "$R1"
expect_stdout_contains "张建国"
expect_stdout_contains "1928-03-15"
expect_stdout_contains "illness,old_age"
expect_exit 0 sn "$N" --json show "$R3"
expect_json
expect_eq "NFC name" "$(json_get 'j["fields"]["name"]')" $'Jos\xc3\xa9'

say "visits, deliveries, aid"
expect_exit 0 sn "$N" add visit retiree="$R1" date=2025-03-15 type=birthday staff=王芳 notes="生日走访"
V1=$(cat "$T/out")
expect_exit 0 sn "$N" add visit retiree="$R2" date=2025-01-28 type=festival
expect_exit 0 sn "$N" add delivery retiree="$R1" date=2025-01-20 type=warmth
expect_exit 0 sn "$N" add aid retiree="$R1" date=2025-02-01 amount=1500.50 reason=illness approver=赵科长
A1=$(cat "$T/out")
expect_exit 0 sn "$N" add aid retiree="$R2" date=2025-02-03 amount=800 reason=low_income
A2=$(cat "$T/out")
expect_exit 0 sn "$N" show "$A1"
expect_stdout_contains "1500.50"
expect_exit 0 sn "$N" --json show "$A1"
expect_json
expect_eq "aid amount in JSON" "$(json_get 'j["fields"]["amount"]')" 1500.50
expect_eq "aid retiree in JSON" "$(json_get 'j["fields"]["retiree"]')" "$R1"
expect_exit 0 sn "$N" --json show "$A2"
expect_eq "whole yuan shown with fen" "$(json_get 'j["fields"]["amount"]')" 800.00

say "set, clear, delete"
expect_exit 0 sn "$N" set "$R2" phone=13700000002 address="新郑市龙湖镇"
expect_stdout_empty
expect_exit 0 sn "$N" set "$A1" amount=1600.05
expect_exit 0 sn "$N" --json show "$A1"
expect_eq "amount after set" "$(json_get 'j["fields"]["amount"]')" 1600.05
expect_exit 0 sn "$N" set "$R1" phone=
expect_exit 0 sn "$N" --json show "$R1"
expect_eq "cleared phone" "$(json_get '"phone" in j["fields"]')" False
expect_exit 0 sn "$N" delete "$V1"
expect_exit 0 sn "$N" --json show "$V1"
expect_eq "deleted flag" "$(json_get 'j["deleted"]')" True
expect_exit 0 sn "$N" show "$V1"
expect_stdout_contains "[deleted]"

say "list"
expect_exit 0 sn "$N" list retiree
expect_eq "retirees listed" "$(wc -l <"$T/out")" 3
expect_stdout_contains "$R1"
expect_exit 0 sn "$N" list visit
expect_eq "visits listed (deleted one hidden)" "$(wc -l <"$T/out")" 1
expect_exit 0 sn "$N" list visit --all
expect_eq "visits listed with --all" "$(wc -l <"$T/out")" 2
expect_exit 0 sn "$N" list retiree category=honorary
expect_eq "honorary retirees" "$(wc -l <"$T/out")" 1
expect_stdout_contains "$R1"
expect_exit 0 sn "$N" --json list aid
expect_json
expect_eq "aid records in JSON" "$(json_get 'len(j)')" 2
expect_eq "aid total in fen" "$(json_get 'sum(round(float(r["fields"]["amount"])*100) for r in j)')" 240005
expect_exit 0 sn "$N" --json list retiree hardship=illness,old_age
expect_json
expect_eq "set filter" "$(json_get '[r["id"] for r in j]')" "['$R1']"

say "history, log, digest"
expect_exit 0 sn "$N" history "$A1"
expect_stdout_contains "created"
expect_stdout_contains "1500.50 -> 1600.05"
expect_exit 0 sn "$N" --json history "$A1"
expect_json
expect_eq "history entries" "$(json_get 'len(j)')" 2
expect_eq "history old value" "$(json_get '[w for w in j[1]["writes"] if w["field"]=="amount"][0]["old"]')" "['1500.50']"
expect_exit 0 sn "$N" history "$R1"
expect_stdout_contains "13900000001 -> (empty)"
expect_exit 0 sn "$N" log
expect_eq "log lines" "$(wc -l <"$T/out")" 12
expect_stdout_contains "sealed"
expect_exit 0 sn "$N" --json log
expect_json
expect_eq "log seqs" "$(json_get '[e["seq"] for e in j]')" "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]"
expect_eq "log all sealed" "$(json_get 'all(e["sealed"] for e in j)')" True
expect_exit 0 sn "$N" digest
expect_stdout_contains "log digest:"
expect_stdout_contains "state digest:"
expect_stdout_contains "12 entries in 1 feeds, 8 records, 0 open conflicts"
expect_exit 0 sn "$N" --json digest
expect_json
expect_eq "digest records" "$(json_get 'j["records"]')" 8
expect_eq "digest state is 64 hex" "$(json_get 'len(j["state"])')" 64
D0=$(digest_of "$N")
expect_exit 0 sn "$N" upgrade
expect_stdout_contains "this version's"
expect_eq "an upgrade of an up-to-date store changes nothing" "$(digest_of "$N")" "$D0"
expect_exit 2 sn "$N" upgrade now
expect_exit 0 sn "$N" --json conflicts
expect_json
expect_eq "no conflicts" "$(json_get 'j')" "[]"
expect_exit 0 sn "$N" conflicts
expect_stdout_contains "No open conflicts"
expect_exit 0 sn "$N" vector
expect_json
# Reading changes nothing.
D=$(digest_of "$N")
sn "$N" list retiree >/dev/null 2>&1
sn "$N" log >/dev/null 2>&1
expect_same_digest "reading" "$D" "$N"

say "--help, --version, unknown command"
expect_exit 0 "$SN" --help
expect_stdout_contains "Usage: silvernode"
expect_stderr_empty
expect_exit 0 "$SN" help
expect_stdout_contains "Commands:"
expect_exit 0 "$SN" --version
expect_stdout_contains "silvernode (silversync)"
for c in init id add set delete show list history import log digest conflicts resolve \
	export-bundle import-bundle vector help; do
	expect_exit 0 "$SN" "$c" --help && expect_stdout_contains "Usage: silvernode $c" && expect_stderr_empty
	# --help wins over a missing node directory and over bad arguments.
	expect_exit 0 "$SN" --dir "$T/nowhere" "$c" --help
done
[[ -e $T/nowhere ]] && fail "--help created $T/nowhere"
expect_exit 2 "$SN" frobnicate
expect_stderr_contains "'frobnicate' is not a command"
expect_stdout_empty
expect_exit 2 "$SN"
expect_stderr_contains "Usage: silvernode"
expect_stdout_empty
expect_exit 2 "$SN" --dir
expect_stderr_contains "--dir"
expect_exit 2 sn "$N" add
expect_stderr_contains "which collection"
expect_exit 2 sn "$N" add retiree name
expect_stderr_contains "expected field=value"
expect_exit 2 sn "$N" delete
expect_exit 2 sn "$N" log extra
expect_exit 2 sn "$N" resolve "$R1" phone --pick 1

say "no node directory"
for c in id "add retiree name=x" "list retiree" log digest conflicts vector "show $R1" \
	"history $R1" "export-bundle $T/x.bundle"; do
	# shellcheck disable=SC2086
	expect_exit 4 sn "$T/nowhere" $c && expect_stderr_contains "silvernode init"
done
# Without --dir: $SILVER_DIR, else ./silver-data.
# shellcheck disable=SC2016
expect_exit 4 bash -c 'cd "$1" && exec "$2" digest' sh "$T" "$SN"
expect_stderr_contains "./silver-data"
expect_exit 0 env SILVER_DIR="$N" "$SN" digest
expect_stdout_contains "8 records"
[[ -e $T/nowhere || -e $T/silver-data ]] && fail "a command on a missing node created its directory"

say "not found"
expect_exit 4 sn "$N" show longhu/retiree/0000000000000000a
expect_stderr_contains "no record"
expect_exit 4 sn "$N" import retiree "$T/no-such.csv"
expect_stderr_contains "no-such.csv"
expect_same_digest "the failed commands" "$D" "$N"
