#!/usr/bin/env bash
# test_stats.sh - silver-stats from the real program: known totals for a
# small known county (two township offices and a hub fed by bundles), date
# windows, one township, the four formats (aligned table, CSV, JSON, HTML),
# figures following edits and deletes, and the exit codes.
. "$(dirname "$0")/lib.sh"

SS="$SILVER_BIN/silver-stats"
[[ -x $SS ]] || die "no silver-stats in $SILVER_BIN"
st() {
	local d=$1
	shift
	"$SS" --dir "$d" "$@"
}
ship() {
	sn "$T/$1" export-bundle "$T/b.bundle" --since-of "$T/$2" >/dev/null || fail "export $1 -> $2"
	sn "$T/$2" import-bundle "$T/b.bundle" >/dev/null || fail "import $1 -> $2"
}
cd "$T" || die "no temp dir"

sn "$T/l" init --township longhu >/dev/null || die "init"
# Xinyan's office last wrote 30 days ago (its clock says so): behind.
XT=$((($(date +%s) - 30 * 86400) * 1000))
SILVER_FAKE_TIME_MS=$XT sn "$T/x" init --township xinyan >/dev/null || die "init"
sn "$T/hub" init --township county >/dev/null || die "init"

# ---- Longhu: 3 aid payments 1500.50 + 200 + 0.01 to 2 people ---------------------------------
R1=$(sn "$T/l" add retiree name=张德明 category=honorary birth_date=1928-03-15 checkup_date=2026-01-10) || die add
R2=$(sn "$T/l" add retiree name=李秀英 category=retired birth_date=1949-07-01) || die add
sn "$T/l" add retiree name=赵某 category=honorary birth_date=1930-01-01 checkup_date=2024-01-01 >/dev/null || die add
sn "$T/l" add aid retiree="$R1" date=2026-04-02 amount=1500.50 reason=low_income >/dev/null || die add
sn "$T/l" add aid retiree="$R1" date=2026-04-03 amount=200 reason=low_income >/dev/null || die add
A3=$(sn "$T/l" add aid retiree="$R2" date=2026-05-02 amount=0.01 reason=illness) || die add
for ty in birthday birthday illness; do
	sn "$T/l" add visit retiree="$R1" date=2026-03-15 type=$ty >/dev/null || die add
done
sn "$T/l" add delivery retiree="$R2" date=2026-02-10 type=warmth >/dev/null || die add
TEAM=$(sn "$T/l" add team name=银发宣讲志愿服务队) || die add
CLUB=$(sn "$T/l" add club name=豫剧社) || die add
sn "$T/l" add activity date=2026-03-01 kind=opera group="$TEAM" audience=300 >/dev/null || die add
sn "$T/l" add activity date=2026-03-02 kind=opera group="$CLUB" audience=120 >/dev/null || die add
sn "$T/l" add activity date=2026-03-03 kind=performance group="$CLUB" audience=80 >/dev/null || die add
sn "$T/l" add lecture date=2026-03-02 kind=six_into attendance=500 >/dev/null || die add
sn "$T/l" add lecture date=2026-03-05 kind=lecture attendance=40 >/dev/null || die add
sn "$T/l" add case received_date=2026-01-02 stage=pre_litigation status=settled closed_date=2026-02-01 >/dev/null || die add
sn "$T/l" add case received_date=2026-01-05 stage=in_litigation status=open >/dev/null || die add
sn "$T/l" add branch name=龙湖一支部 model_level=provincial >/dev/null || die add
sn "$T/l" add ceremony person=王建国 date=2026-06-30 >/dev/null || die add
sn "$T/l" add service retiree="$R2" date=2026-07-01 community=华夏社区 >/dev/null || die add

# ---- Xinyan: one more person helped, in 2025 --------------------------------------------------
export SILVER_FAKE_TIME_MS=$XT
R3=$(sn "$T/x" add retiree name=陈桂兰 category=retired birth_date=1947-12-05) || die add
sn "$T/x" add aid retiree="$R3" date=2025-12-31 amount=100 reason=old_age >/dev/null || die add
sn "$T/x" add visit retiree="$R3" date=2025-12-31 type=festival >/dev/null || die add
sn "$T/x" add branch name=新烟支部 model_level=city >/dev/null || die add
unset SILVER_FAKE_TIME_MS
ship l hub
ship x hub

# ---- JSON: the known totals -----------------------------------------------------------------------
expect_exit 0 st "$T/hub" --format json --to 2026-11-01 && expect_json
expect_eq "townships" "$(json_get 'sorted(j["townships"])')" "['longhu', 'xinyan']"
expect_eq "longhu aid" "$(json_get 'j["townships"]["longhu"]["aid"]')" \
	"{'amount': '1700.51', 'amount_fen': 170051, 'payments': 3, 'people': 2}"
expect_eq "county aid" "$(json_get '(j["total"]["aid"]["amount"], j["total"]["aid"]["people"])')" "('1800.51', 3)"
expect_eq "retirees" "$(json_get 'j["total"]["retirees"]')" \
	"{'honorary': 2, 'honorary_checked': 1, 'retired': 2, 'total': 4}"
expect_eq "visits" "$(json_get 'j["total"]["visits"]')" \
	"{'birthday': 2, 'emergency': 0, 'festival': 1, 'illness': 1, 'letter_call': 0, 'total': 4}"
expect_eq "deliveries" "$(json_get 'j["total"]["deliveries"]["warmth"]')" 1
expect_eq "activities" "$(json_get '(j["total"]["activities"]["opera"], j["total"]["activities"]["total"], j["total"]["activities"]["audience"])')" "(2, 3, 500)"
expect_eq "by team or club" "$(json_get 'sorted((g["name"], g["kind"], g["activities"], g["audience"]) for g in j["total"]["activity_groups"]["by_group"].values())')" \
	"[('豫剧社', 'club', 2, 200), ('银发宣讲志愿服务队', 'team', 1, 300)]"
expect_eq "lectures" "$(json_get '(j["total"]["lectures"]["six_into_attendance"], j["total"]["lectures"]["lecture"], j["total"]["lectures"]["attendance"])')" "(500, 1, 540)"
expect_eq "cases" "$(json_get 'j["total"]["cases"]')" "{'received': 2, 'settled': 1}"
expect_eq "branches" "$(json_get '(j["total"]["branches"]["provincial"], j["total"]["branches"]["city"], j["total"]["branches"]["total"])')" "(1, 1, 2)"
expect_eq "teams" "$(json_get 'j["total"]["teams"]')" "{'clubs': 1, 'teams': 1}"
expect_eq "ceremonies, services" "$(json_get '(j["total"]["ceremonies"]["ceremonies"], j["total"]["services"]["services"])')" "(1, 1)"

# ---- windows and one township ---------------------------------------------------------------------
expect_exit 0 st "$T/hub" --format json --from 2026-01-01 --to 2026-04-02 && expect_json
expect_eq "window aid" "$(json_get '(j["total"]["aid"]["amount"], j["total"]["aid"]["people"], j["total"]["aid"]["payments"])')" "('1500.50', 1, 1)"
expect_eq "window: settled by closed date" "$(json_get 'j["total"]["cases"]')" "{'received': 2, 'settled': 1}"
# check-ups count within the 365 days before --to: 2024-01-01 is in for 2024-12-31, out for 2025-12-31
expect_exit 0 st "$T/hub" --format json --to 2024-12-31 && expect_eq "up-to-date file by --to" \
	"$(json_get 'j["total"]["retirees"]["honorary_checked"]')" 1
expect_exit 0 st "$T/hub" --format json --to 2025-12-31 && expect_eq "out of date, and a future one" \
	"$(json_get 'j["total"]["retirees"]["honorary_checked"]')" 0
expect_eq "events up to --to" "$(json_get '(j["total"]["aid"]["amount"], j["total"]["visits"]["total"])')" "('100.00', 1)"
expect_exit 0 st "$T/hub" --format json --township xinyan && expect_json
expect_eq "one township" "$(json_get '(list(j["townships"]), j["total"]["aid"]["amount"])')" "(['xinyan'], '100.00')"

# ---- the figures follow edits and deletes ---------------------------------------------------------
sn "$T/l" set "$A3" amount=0.02 date=2026-05-03 >/dev/null || fail "edit an amount"
sn "$T/l" delete "$(sn "$T/l" list aid amount=200 | cut -d' ' -f1)" >/dev/null || fail "delete a payment"
ship l hub
expect_exit 0 st "$T/hub" --format json --township longhu && expect_eq "after edits" \
	"$(json_get '(j["total"]["aid"]["amount"], j["total"]["aid"]["payments"], j["total"]["aid"]["people"])')" "('1500.52', 2, 2)"

# ---- CSV: RFC 4180, one figure a line ------------------------------------------------------------------
expect_exit 0 st "$T/hub" --format csv --out "$T/s.csv"
expect_stdout_empty
python3 - "$T/s.csv" <<'EOF' || fail "CSV content"
import csv, sys
raw = open(sys.argv[1], newline="", encoding="utf-8").read()
assert raw.endswith("\r\n"), "CRLF line ends"
rows = list(csv.reader(raw.splitlines()))
assert rows[0] == ["section", "township", "township_name", "row", "row_label", "column", "column_label", "value"], rows[0]
assert all(len(r) == 8 for r in rows), "8 fields everywhere"
val = {(r[0], r[1], r[3], r[5]): r[7] for r in rows[1:]}
assert val[("aid", "*", "", "amount")] == "1600.52", val[("aid", "*", "", "amount")]
assert val[("aid", "longhu", "", "people")] == "2"
names = {r[1]: r[2] for r in rows[1:]}
assert names == {"longhu": "Longhu Town", "xinyan": "Xinyan Subdistrict", "*": ""}, names
groups = [r for r in rows if r[0] == "activity_groups" and r[1] == "*" and r[3]]
assert sorted({r[4] for r in groups}) == ["豫剧社", "银发宣讲志愿服务队"], groups
EOF
pass

# ---- the aligned table: CJK columns line up ------------------------------------------------------------
expect_exit 0 st "$T/hub"
expect_stdout_contains "County total"
expect_stdout_contains "1,600.52"
expect_stdout_contains "银发宣讲志愿服务队"
python3 - "$T/out" <<'EOF' || fail "table alignment"
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
blocks = open(sys.argv[1], encoding="utf-8").read().split("\n\n")[1:]
assert len(blocks) >= 10, len(blocks)
for b in blocks:
    lines = [l for l in b.splitlines()[1:] if l.strip()]
    if not lines or b.startswith("How current"):
        continue  # the footer line; the freshness lines are not a table
    ws = {width(l.rstrip()) for l in lines}
    assert len(ws) == 1, (b.splitlines()[0], sorted(ws))
EOF
pass

# ---- HTML: one self-contained file ---------------------------------------------------------------------
expect_exit 0 st "$T/hub" --format html --out "$T/r.html"
CHECKS=$((CHECKS + 1))
python3 - "$T/r.html" <<'EOF' || fail "HTML content"
import sys, re
h = open(sys.argv[1], encoding="utf-8").read()
assert h.startswith("<!DOCTYPE html>")
assert "<title>County statistics" in h
assert h.count("<svg") >= 8, h.count("<svg")
assert h.count("<table>") == 13, h.count("<table>")
assert "1,600.52" in h and "银发宣讲志愿服务队" in h
low = h.lower()
assert "<script" not in low and "http://" not in low.replace("http://www.w3.org/2000/svg", "")
assert "https://" not in low and "url(" not in low and "@import" not in low
EOF

# ---- exit codes -------------------------------------------------------------------------------------------
expect_exit 3 st "$T/hub" --from 2026-02-30 && expect_stderr_contains "not a date"
expect_exit 3 st "$T/hub" --from 2026-05-01 --to 2026-04-01
expect_exit 3 st "$T/hub" --township 'Bad Code'
expect_exit 2 st "$T/hub" --format pdf
expect_exit 2 st "$T/hub" --to
expect_exit 2 st "$T/hub" extra
expect_exit 4 st "$T/nowhere"
expect_exit 4 st "$T/hub" --out "$T/no/such/dir/r.html"
expect_exit 0 "$SS" --help && expect_stdout_contains "--format"
expect_exit 4 st "$T/hub" --township baqian && expect_stderr_contains "no township 'baqian' here"
expect_exit 4 st "$T/hub" --township nosuch --format json && expect_stdout_empty

# ---- a report for the province: the county file --------------------------------------------------------
cat >"$T/hub/county.json" <<'JSON'
{"county": "新郑市", "unit": "新郑市委组织部老干部科", "stale_days": 14,
 "townships": [{"code": "xinyan", "name": "新烟街道"}, {"code": "baqian", "name": "八千乡"},
               {"code": "longhu", "name": "龙湖镇"}]}
JSON
expect_exit 0 st "$T/hub" --format json && expect_json
expect_eq "county order" "$(json_get 'j["township_order"]')" "['xinyan', 'longhu']"
expect_eq "names" "$(json_get '(j["township_names"]["xinyan"], j["township_names"]["longhu"], j["township_names"]["baqian"])')" \
	"('新烟街道', '龙湖镇', '八千乡')"
expect_eq "title, unit" "$(json_get '(j["title"], j["unit"])')" \
	"('新郑市: statistics of the work for retired cadres', '新郑市委组织部老干部科')"
STATE=$(sn "$T/hub" digest | sed -n 's/^state digest: *//p')
LOGD=$(sn "$T/hub" digest | sed -n 's/^log digest: *//p')
expect_eq "state digest as 'silvernode digest'" "$(json_get 'j["state_digest"]')" "$STATE"
expect_eq "log digest" "$(json_get 'j["log_digest"]')" "$LOGD"
expect_eq "freshness" "$(json_get '[(c, f["behind"], f["age_days"]) for c, f in sorted(j["freshness"].items())]')" \
	"[('baqian', True, None), ('longhu', False, 0), ('xinyan', True, 30)]"
# a township the county file names but with no data is known: a report of zeros, exit 0
expect_exit 0 st "$T/hub" --township baqian && expect_stdout_contains "(no records)"
expect_stdout_contains "八千乡: statistics of one township"
expect_stdout_contains "no data received"

say "the table and the HTML in the county's order, by name, with the sign-off and the digest"
expect_exit 0 st "$T/hub"
expect_stdout_contains "新郑市: statistics of the work for retired cadres"
expect_stdout_contains "Reporting unit: 新郑市委组织部老干部科"
expect_stdout_contains "state digest $STATE"
expect_stdout_contains "behind"
python3 - "$T/out" <<'EOF2' || fail "table: order and no all-zero rows"
import sys
t = open(sys.argv[1], encoding="utf-8").read()
blocks = {b.splitlines()[0]: b for b in t.split("\n\n") if b.strip()}
aid = blocks["Hardship aid"]
assert aid.index("新烟街道") < aid.index("龙湖镇"), aid
lect = blocks["Lectures, reports and six-into talks"]
assert "龙湖镇" in lect and "新烟街道" not in lect, lect   # Xinyan gave no lecture: no row of zeros
assert "八千乡" not in blocks["Retirees by category"]
EOF2
CHECKS=$((CHECKS + 1))
expect_exit 0 st "$T/hub" --format html --out "$T/county.html"
python3 - "$T/county.html" "$STATE" <<'EOF2' || fail "HTML for the province"
import sys, re
h = open(sys.argv[1], encoding="utf-8").read()
assert "<title>新郑市: statistics of the work for retired cadres" in h
assert "Reporting unit: 新郑市委组织部老干部科" in h
assert "Reviewed by:" in h and "Reporting unit (seal):" in h and "Date:" in h
assert sys.argv[2] in h.split("<footer>")[1], "state digest in the footer"
assert "@page{size:A4" in h
assert "1,600.52" in h
sec = h.split('<section id="lectures">')[1].split("</section>")[0]
assert "新烟街道" not in sec and "龙湖镇" in sec
fresh = h.split('<section id="freshness"')[1].split("</section>")[0]
assert fresh.index("新烟街道") < fresh.index("八千乡") < fresh.index("龙湖镇"), fresh
assert 'class="behind"' in fresh
# one colour for every bar of a chart
for chart in re.findall(r"<svg.*?</svg>", h, re.S):
    fills = set(re.findall(r'<rect[^>]*fill="(#[0-9a-f]+)"', chart))
    assert len(fills) <= 1, fills
EOF2
expect_exit 0 st "$T/hub" --township longhu --format html --out "$T/one.html"
CHECKS=$((CHECKS + 1))
grep -q "<h1>新郑市, 龙湖镇: statistics of one township</h1>" "$T/one.html" || fail "a one-township report is titled as such"
expect_exit 0 env LANGUAGE=zh_CN "$SS" --dir "$T/hub" --township longhu
expect_stdout_contains "新郑市"
expect_stdout_contains "龙湖镇"

say "a bad county file is refused"
echo '{"county": 1}' >"$T/bad.json"
expect_exit 3 st "$T/hub" --county "$T/bad.json" && expect_stderr_contains "not a county file"
echo '{"townships": [{"code": "Bad Code"}]}' >"$T/bad.json"
expect_exit 3 st "$T/hub" --county "$T/bad.json"
echo '{"townships": [{"code": "a"}, {"code": "a"}]}' >"$T/bad.json"
expect_exit 3 st "$T/hub" --county "$T/bad.json" && expect_stderr_contains "twice"
expect_exit 4 st "$T/hub" --county "$T/none.json"
