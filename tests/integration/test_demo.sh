#!/usr/bin/env bash
# tests/integration/test_demo.sh - the demo county and the demo itself.
#
# 1. tools/gen_county.py --scale small: the county is built; after the review
#    (the collisions it records settled) and a resync, every figure the hub's
#    silver-stats reports equals what the generator wrote, every node agrees
#    with the hub on its township, and silver-audit finds nothing.
# 2. tools/demo.sh --no-build (full scale): it succeeds, and its claims hold:
#    the 2025 report's figures at the hub, no open conflict left, the HTML
#    report written, a clean audit.
. "$(dirname "$0")/lib.sh"

SRC=${SILVER_SRC:-$(cd "$LIB_DIR/../.." && pwd)}
GEN=$SRC/tools/gen_county.py
BIN=$SILVER_BIN
PATH=$BIN:$PATH

# stats_get DIR EXPR: evaluate EXPR on t = the county total of silver-stats --format json
stats_get() {
	silver-stats --dir "$1" --to 2025-08-17 --format json |
		python3 -c 'import json,sys; t=json.load(sys.stdin)["total"]; print(eval(sys.argv[1]))' "$2"
}
man_get() {
	python3 -c 'import json,sys; m=json.load(open(sys.argv[2])); print(eval(sys.argv[1]))' "$2" "$1/county.json"
}

say "the small county, over the network"
C=$T/small
expect_exit 0 python3 "$GEN" --bin "$BIN" --out "$C" --scale small --seed 7 --quiet
expect_stdout_empty
expect_eq "manifest" "$(man_get "$C" 'm["format"]')" silversync-demo-county
expect_eq "open conflicts after the syncs" "$(man_get "$C" 'm["open_conflicts"]')" 2
expect_exit 0 silver-review --dir "$C/hub" --json list
expect_eq "conflicts listed" "$(json_get 'sorted(c["field"] for c in j)')" "['_del', 'phone']"
expect_exit 0 silver-review --dir "$C/hub" --json aid-anomalies
expect_eq "aid anomalies" "$(json_get 'len(j)')" 1
# Before the review: the deletion wins for now, the copied payment counts.
expect_eq "retired before review" "$(stats_get "$C/hub" 't["retirees"]["retired"]')" \
	"$(man_get "$C" 'm["expected"]["retired"] - 1')"
expect_eq "payments before review" "$(stats_get "$C/hub" 't["aid"]["payments"]')" \
	"$(man_get "$C" 'm["expected"]["aid_payments"] + 1')"

# (ids differ between two runs: leave the per-group table out)
nogroups='sorted((k, v) for k, v in t.items() if k != "activity_groups")'
before=$(stats_get "$C/hub" "$nogroups")

# The review, as a batch file this time.
n=$(man_get "$C" 'len(m["collisions"])')
: >"$T/resolve.csv"
for ((i = 0; i < n; i++)); do
	kind=$(man_get "$C" "m['collisions'][$i]['kind']")
	id=$(man_get "$C" "m['collisions'][$i]['id']")
	case $kind in
	"same field" | "edit vs delete")
		field=$(man_get "$C" "m['collisions'][$i]['field']")
		want=$([[ $kind == "same field" ]] && man_get "$C" "m['collisions'][$i]['values'][1]" || echo kept)
		expect_exit 0 silver-review --dir "$C/hub" --json show "$id" "$field"
		take=$(json_get "[c['n'] for c in j['contenders'] if c['value'] == '$want'][0]")
		echo "$id,$field,take:$take" >>"$T/resolve.csv"
		;;
	"aid entered twice")
		expect_exit 0 sn "$C/hub" delete "$id"
		;;
	*) fail "unknown collision kind '$kind'" ;;
	esac
done
expect_exit 0 silver-review --dir "$C/hub" resolve --from "$T/resolve.csv"
expect_exit 0 silver-review --dir "$C/hub" --json list
expect_eq "conflicts after review" "$(json_get 'len(j)')" 0
expect_exit 0 python3 "$GEN" --bin "$BIN" --out "$C" --resync
expect_stdout_contains "same digest as the hub"
CHECKS=$((CHECKS + 1))
grep -q DIFFERS "$T/out" && fail "a node differs from the hub after the resync"

# Every figure the generator promised.
check_fig() { expect_eq "$1" "$(stats_get "$C/hub" "$2")" "$(man_get "$C" "$3")"; }
check_fig honorary 't["retirees"]["honorary"]' 'm["expected"]["honorary"]'
check_fig "honorary with a file" 't["retirees"]["honorary_checked"]' 'm["expected"]["honorary"]'
check_fig retired 't["retirees"]["retired"]' 'm["expected"]["retired"]'
check_fig helped 't["aid"]["people"]' 'm["expected"]["helped"]'
check_fig payments 't["aid"]["payments"]' 'm["expected"]["aid_payments"]'
check_fig "aid fen" 't["aid"]["amount_fen"]' 'm["expected"]["aid_amount_fen"]'
check_fig ceremonies 't["ceremonies"]["ceremonies"]' 'm["expected"]["ceremonies"]'
check_fig lectures 't["lectures"]["lecture"]' 'm["expected"]["lectures"]'
check_fig reports 't["lectures"]["report"]' 'm["expected"]["reports"]'
check_fig six_into 't["lectures"]["six_into"]' 'm["expected"]["six_into"]'
check_fig "lecture attendance" 't["lectures"]["lecture_attendance"] + t["lectures"]["report_attendance"]' \
	'm["expected"]["lecture_attendance"]'
check_fig "six-into attendance" 't["lectures"]["six_into_attendance"]' 'm["expected"]["six_into_attendance"]'
check_fig "cases received" 't["cases"]["received"]' 'm["expected"]["cases_received"]'
check_fig "cases settled" 't["cases"]["settled"]' 'm["expected"]["cases_settled"]'
check_fig teams 't["teams"]["teams"]' 'm["expected"]["teams"]'
check_fig clubs 't["teams"]["clubs"]' 'm["expected"]["clubs"]'
check_fig branches 'sorted(t["branches"].items())' 'sorted(m["expected"]["branches"].items())'
check_fig activities 't["activities"]["total"]' 'm["expected"]["activities"]'
check_fig audience 't["activities"]["audience"]' 'm["expected"]["audience"]'
check_fig services 't["services"]["services"]' 'm["expected"]["services"]'
# A township node sees its own township's figures as the hub does.
expect_eq "longhu at its office" \
	"$(silver-stats --dir "$C/longhu" --township longhu --to 2025-08-17 --format json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["townships"]["longhu"])')" \
	"$(silver-stats --dir "$C/hub" --township longhu --to 2025-08-17 --format json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["townships"]["longhu"])')"
expect_exit 0 silver-audit --admin "$(man_get "$C" 'm["admin_key"]')" --store "$C/hub"
expect_stdout_contains "No findings"

say "the same small county by bundles, from the same seed: the same figures"
B=$T/small-bundle
expect_exit 0 python3 "$GEN" --bin "$BIN" --out "$B" --scale small --seed 7 --transport bundle --quiet
expect_eq "bundle: open conflicts" "$(man_get "$B" 'm["open_conflicts"]')" 2
expect_eq "bundle: figures before review" "$(stats_get "$B/hub" "$nogroups")" "$before"

say "the demo, full scale, against the built programs"
expect_exit 0 bash "$SRC/tools/demo.sh" --no-build --work "$T/demo" --out "$T/demo-out"
cp "$T/out" "$T/demo.log"
for claim in "No open conflicts." "same digest as the hub" "No findings" \
	"1,302,450.00" "Every figure is what the offices entered, and the report's."; do
	CHECKS=$((CHECKS + 1))
	grep -qF -- "$claim" "$T/demo.log" || fail "the demo's output lacks '$claim'"
done
CHECKS=$((CHECKS + 1))
grep -q "DIFFERS\|EXPECTED" "$T/demo.log" && fail "the demo printed a difference"
D=$T/demo/county
expect_eq "demo honorary" "$(stats_get "$D/hub" 't["retirees"]["honorary"]')" 27
expect_eq "demo helped" "$(stats_get "$D/hub" 't["aid"]["people"]')" 346
expect_eq "demo aid" "$(stats_get "$D/hub" 't["aid"]["amount"]')" 1302450.00
expect_eq "demo ceremonies" "$(stats_get "$D/hub" 't["ceremonies"]["ceremonies"]')" 217
expect_eq "demo lectures, reports" "$(stats_get "$D/hub" '(t["lectures"]["lecture"], t["lectures"]["report"])')" "(128, 96)"
expect_eq "demo cases" "$(stats_get "$D/hub" '(t["cases"]["received"], t["cases"]["settled"])')" "(140, 120)"
expect_eq "demo teams, clubs" "$(stats_get "$D/hub" '(t["teams"]["teams"], t["teams"]["clubs"])')" "(7, 13)"
expect_eq "demo model branches" \
	"$(stats_get "$D/hub" '(t["branches"]["provincial"], t["branches"]["city"], t["branches"]["county"])')" "(2, 10, 11)"
CHECKS=$((CHECKS + 1))
[[ -s $T/demo-out/county-report.html ]] || fail "no HTML report in the demo's --out"
CHECKS=$((CHECKS + 1))
grep -q "<svg" "$T/demo-out/county-report.html" || fail "the HTML report has no chart"
