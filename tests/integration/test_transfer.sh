#!/usr/bin/env bash
# test_transfer.sh - a retiree moves from one township to another: the hub
# writes one signed change (a new record in the new township with
# transferred_from, the old record closed with transferred_to), both offices
# receive and verify their part, the history stays, the statistics count the
# person once, the duplicate check does not flag the pair, silver-audit
# agrees with the stored state, and the wrong transfers are refused.
. "$(dirname "$0")/lib.sh"

SS="$SILVER_BIN/silver-stats"
SR="$SILVER_BIN/silver-review"
AUD="$SILVER_BIN/silver-audit"
for p in "$SS" "$SR" "$AUD"; do [[ -x $p ]] || die "no $p"; done
ship() { # FROM TO [--for KEY]
	local from=$1 to=$2
	shift 2
	sn "$T/$from" export-bundle "$T/b.bundle" "$@" >/dev/null || fail "export $from"
	sn "$T/$to" import-bundle "$T/b.bundle" >/dev/null || fail "import $from -> $to"
}

say "county: admin, hub, the offices of longhu and xinyan"
expect_exit 0 sn "$T/admin" admin init
ADM=$(key_of "$T/admin")
for n in hub:county l:longhu x:xinyan; do
	expect_exit 0 sn "$T/${n%%:*}" init --township "${n##*:}" --admin "$ADM"
done
HUBKEY=$(key_of "$T/hub") LKEY=$(key_of "$T/l") XKEY=$(key_of "$T/x")
expect_exit 0 sn "$T/admin" admin certify "$HUBKEY" --role hub --name 县枢纽
expect_exit 0 sn "$T/admin" admin certify "$LKEY" --role branch --write longhu --name 龙湖镇老干部办
expect_exit 0 sn "$T/admin" admin certify "$XKEY" --role branch --write xinyan --name 新烟街道老干部办
for n in hub l x; do ship admin "$n"; done

say "longhu's retiree, with history, at the hub"
BR=$(sn "$T/l" add branch name=龙湖一支部) || die add
R=$(sn "$T/l" add retiree name=张德明 category=honorary gender=m birth_date=1928-03-15 checkup_date=2026-01-10 \
	id_number=410184192803150011 branch="$BR" hardship=old_age,illness) || die add
expect_exit 0 sn "$T/l" set "$R" phone=13803719999
expect_exit 0 sn "$T/l" add visit retiree="$R" date=2026-03-15 type=birthday
ship l hub
expect_exit 0 "$SS" --dir "$T/hub" --format json --to 2026-06-30
expect_eq "before: longhu counts the person" "$(json_get '(j["townships"]["longhu"]["retirees"]["total"], j["total"]["retirees"]["total"])')" "(1, 1)"

say "the hub moves the retiree to xinyan"
expect_exit 0 sn "$T/hub" --json transfer "$R" --to xinyan && expect_json
NEW=$(json_get 'j["new"]')
expect_eq "new id in xinyan" "${NEW%%/*}" xinyan
expect_exit 0 sn "$T/hub" --json show "$NEW" && expect_json
expect_eq "fields copied, the branch not" \
	"$(json_get '(j["fields"]["name"], j["fields"]["category"], j["fields"]["phone"], j["fields"]["hardship"], j["fields"]["transferred_from"], "branch" in j["fields"])')" \
	"('张德明', 'honorary', '13803719999', ['illness', 'old_age'], '$R', False)"
expect_exit 0 sn "$T/hub" --json show "$R" && expect_eq "old record closed" "$(json_get 'j["fields"]["transferred_to"]')" "$NEW"
expect_exit 0 sn "$T/hub" --json history "$R" && expect_eq "history kept" "$(json_get 'len(j)')" 3
expect_exit 0 sn "$T/hub" list retiree && expect_stdout_contains "[moved to Xinyan Subdistrict]"

say "the statistics count the person once, in the new township"
expect_exit 0 "$SS" --dir "$T/hub" --format json --to 2026-06-30
expect_eq "after" "$(json_get '(j["townships"]["longhu"]["retirees"]["total"], j["townships"]["xinyan"]["retirees"]["total"], j["total"]["retirees"]["total"], j["total"]["retirees"]["honorary_checked"])')" "(0, 1, 1, 1)"
expect_eq "the visit stays longhu's" "$(json_get 'j["townships"]["longhu"]["visits"]["total"]')" 1
expect_exit 0 "$SR" --dir "$T/hub" --json duplicates && expect_eq "no duplicate pair" "$(json_get 'len(j)')" 0

say "each office receives and verifies its part"
ship hub l --for "$LKEY"
ship hub x --for "$XKEY"
expect_exit 0 sn "$T/l" --json show "$R" && expect_eq "longhu sees it closed" "$(json_get 'j["fields"]["transferred_to"]')" "$NEW"
expect_exit 0 sn "$T/x" --json show "$NEW" && expect_eq "xinyan has the person" "$(json_get 'j["fields"]["name"]')" 张德明
expect_exit 4 sn "$T/x" show "$R"
for tw in longhu:l xinyan:x; do
	expect_eq "digest of ${tw%%:*}" "$(sn "$T/hub" digest --township "${tw%%:*}")" "$(sn "$T/${tw##*:}" digest --township "${tw%%:*}")"
done
expect_exit 0 "$SS" --dir "$T/l" --format json
expect_eq "longhu office counts nobody" "$(json_get 'j["total"]["retirees"]["total"]')" 0
expect_exit 0 "$SS" --dir "$T/x" --format json
expect_eq "xinyan office counts the person" "$(json_get 'j["total"]["retirees"]["total"]')" 1
expect_exit 0 "$AUD" --admin "$ADM" --store "$T/hub"
expect_exit 0 "$AUD" --admin "$ADM" --store "$T/l"

say "wrong transfers are refused, nothing written"
D0=$(digest_of "$T/hub")
expect_exit 3 sn "$T/hub" transfer "$R" --to xinyan && expect_stderr_contains "already moved"
expect_exit 3 sn "$T/hub" transfer "$NEW" --to xinyan && expect_stderr_contains "already belongs"
expect_exit 4 sn "$T/hub" transfer longhu/retiree/038h6l5lqs0005b0f --to xinyan
expect_exit 3 sn "$T/hub" transfer "$BR" --to xinyan && expect_stderr_contains "not a retiree"
expect_exit 3 sn "$T/hub" transfer "$NEW" --to 'Bad Code'
expect_exit 2 sn "$T/hub" transfer "$NEW"
expect_eq "nothing written" "$(digest_of "$T/hub")" "$D0"
# an office may not write another township's feed
R2=$(sn "$T/l" add retiree name=李秀英 category=retired birth_date=1949-07-01) || die add
expect_exit 6 sn "$T/l" transfer "$R2" --to xinyan && expect_stderr_contains "may not write"
