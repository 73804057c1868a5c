#!/usr/bin/env bash
# test_import_forms.sh - the files a county's offices really have: Chinese
# headers and values, dates as people write them, GBK CSV as Excel saves
# it, XLSX workbooks, retirees named by id number or by name and birth
# date; the dry run; export to CSV and XLSX and back; and the files that
# must be refused (NUL bytes, a header without rows, devices and FIFOs,
# endless lines) with the documented exit code and nothing written.
. "$(dirname "$0")/lib.sh"

N=$T/node
sn "$N" init --township longhu >/dev/null 2>&1 || die "init failed"

# refused CODE TEXT... -- CMD... (lib.sh)
refused() { refused_in "$N" 0 "$@"; }
csv() { printf '%b' "$2" >"$T/$1"; }
# the winning value of FIELD in the one record of COLLECTION whose FIELD2 is VALUE2
value_of() {
	sn "$N" --json list "$1" "$3=$4" | python3 -c '
import json, sys
recs = json.load(sys.stdin)
assert len(recs) == 1, recs
print(recs[0]["fields"][sys.argv[1]] if "fields" in recs[0] else recs[0][sys.argv[1]])' "$2"
}

say "issue 10: a NUL byte in a cell is refused with its row and column"
csv nul.csv 'name,category,birth_date\nA,retired,1950-01-01\nB\0cut,retired,1950-01-02\n'
refused 3 "row 3" "column 1" "NUL" -- sn "$N" import retiree "$T/nul.csv"
csv nul2.csv 'name,category,birth_date\nA,retired,1950-01-01\nB,retired\0,1950-01-02\n'
refused 3 "row 3" "column 2" "NUL" -- sn "$N" import retiree "$T/nul2.csv"

say "issue 10: a header without rows, a byte order mark alone: refused, not 'Imported 0'"
csv hdronly.csv 'name,category,birth_date\n'
refused 3 "no rows" -- sn "$N" import retiree "$T/hdronly.csv"
csv hdrblank.csv 'name,category,birth_date\n\n\n'
refused 3 "no rows" -- sn "$N" import retiree "$T/hdrblank.csv"
csv bomonly.csv '\xef\xbb\xbf'
refused 3 "empty" -- sn "$N" import retiree "$T/bomonly.csv"
csv bomhdr.csv '\xef\xbb\xbfname,category,birth_date\r\n'
refused 3 "no rows" -- sn "$N" import retiree "$T/bomhdr.csv"

say "issue 10: devices, directories and FIFOs are not read (no endless read, no wait)"
refused 3 "not a regular file" -- timeout 20 "$SN" --dir "$N" import retiree /dev/zero
refused 3 "not a regular file" -- timeout 20 "$SN" --dir "$N" import retiree "$T"
mkfifo "$T/fifo"
refused 3 "not a regular file" -- timeout 20 "$SN" --dir "$N" import retiree "$T/fifo"
# standard input stays usable, and an endless line of zeros on it stops at
# the cap on a row's length
head -c 20000000 /dev/zero >"$T/zeros"
refused 3 "line 1" "longer than" -- timeout 20 sh -c '"$1" --dir "$2" import retiree - <"$3"' sh "$SN" "$N" "$T/zeros"

say "issue 10: a row longer than 1 MiB is refused, naming its line"
python3 - "$T/long.csv" "$T/longq.csv" "$T/longc.csv" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("name,category,birth_date\nA,retired,1950-01-01\n")
    f.write("B" * (3 << 20) + ",retired,1950-01-01\n")
with open(sys.argv[2], "w") as f:  # an open quote that never closes
    f.write("name,category,birth_date\nA,retired,1950-01-01\nB,retired,1950-01-02\n\"")
    f.write(("x" * 1000 + "\n") * 3000)
with open(sys.argv[3], "w") as f:  # many small cells
    f.write("name,category,birth_date\nA,retired,1950-01-01\nB,retired,1950-01-02\n")
    f.write("," * (3 << 20) + "\n")
EOF
refused 3 "line 3" "longer than" -- sn "$N" import retiree "$T/long.csv"
refused 3 "line 4" "longer than" -- sn "$N" import retiree "$T/longq.csv"
refused 3 "line 4" "longer than" -- sn "$N" import retiree "$T/longc.csv"

say "issue 12: Chinese headers, labels and date forms"
csv zh.csv '姓名,类别,出生日期,身份证号,性别,困难类别,年度体检日期\n王德明,离休干部,1950/1/2,410123195001020011,男,"高龄、身患重病",2024年3月5日\n李秀英,退休,1948.6.1,41012319480601002X,女,低收入,20240306\n赵刚, 退休干部 ,1951-02-03,,,,2024-3-7\n'
expect_exit 0 sn "$N" import retiree "$T/zh.csv"
expect_stdout_contains "Imported 3 records"
expect_eq "category from 离休干部" "$(value_of retiree category name 王德明)" honorary
expect_eq "birth date from 1950/1/2" "$(value_of retiree birth_date name 王德明)" 1950-01-02
expect_eq "hardship from 高龄、身患重病" "$(value_of retiree hardship name 王德明)" "['illness', 'old_age']"
expect_eq "check-up from 2024年3月5日" "$(value_of retiree checkup_date name 王德明)" 2024-03-05
expect_eq "birth date from 1948.6.1" "$(value_of retiree birth_date name 李秀英)" 1948-06-01
expect_eq "category from 退休" "$(value_of retiree category name 李秀英)" retired
expect_eq "check-up from 20240306" "$(value_of retiree checkup_date name 李秀英)" 2024-03-06
expect_eq "category from ' 退休干部 '" "$(value_of retiree category name 赵刚)" retired
# English labels and keys still work, mixed in one header
csv en.csv 'Name,category,Date of birth,Gender\nTom,Retired cadre,1952-05-06,f\n'
expect_exit 0 sn "$N" import retiree "$T/en.csv"
expect_eq "category from 'Retired cadre'" "$(value_of retiree category name Tom)" retired
csv badhdr.csv '姓名,类别,出生日期,鞋码\n甲,退休,1950-01-01,42\n'
refused 3 "column 4" "鞋码" "no such field" -- sn "$N" import retiree "$T/badhdr.csv"
csv twice.csv '姓名,name,类别,出生日期\n甲,乙,退休,1950-01-01\n'
refused 3 "column 2" "name" -- sn "$N" import retiree "$T/twice.csv"
csv baddate.csv '姓名,类别,出生日期\n甲,退休,1950/2/30\n'
refused 3 "row 2" "field birth_date" "1950-02-30" -- sn "$N" import retiree "$T/baddate.csv"

say "issue 12: a GBK CSV as Excel saves it"
csv gbk-utf8.csv '姓名,人员类别,出生日期,性别\r\n孙国强,离休干部,1931/7/1,男\r\n周桂兰,退休干部,1949/10/1,女\r\n'
iconv -f UTF-8 -t GBK "$T/gbk-utf8.csv" >"$T/gbk.csv" || die "iconv failed"
python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); b.decode("utf-8")' "$T/gbk.csv" 2>/dev/null &&
	die "the GBK fixture is valid UTF-8: the test would prove nothing"
expect_exit 0 sn "$N" import retiree "$T/gbk.csv"
expect_stdout_contains "Imported 2 records"
expect_eq "GBK name and category" "$(value_of retiree category name 孙国强)" honorary
expect_eq "GBK date" "$(value_of retiree birth_date name 周桂兰)" 1949-10-01
printf 'name,category,birth_date\n\x80\x80,retired,1950-01-01\n' >"$T/notgbk.csv"
refused 3 "notgbk.csv" "GBK" -- sn "$N" import retiree "$T/notgbk.csv"

say "issue 12: an XLSX workbook with Chinese headers (shared strings, a date as an Excel day number)"
python3 - "$T/book.xlsx" <<'EOF'
import sys, zipfile
from xml.sax.saxutils import escape
strings = ["姓名", "类别", "出生日期", "性别", "钱学文", "离休干部", "女", "吴淑芬", "退休"]
si = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
def c(ref, idx=None, num=None):
    return f'<c r="{ref}" t="s"><v>{idx}</v></c>' if idx is not None else f'<c r="{ref}"><v>{num}</v></c>'
rows = [
    '<row r="1">' + c("A1", 0) + c("B1", 1) + c("C1", 2) + c("D1", 3) + "</row>",
    # 1935-08-15 is Excel day 13011; the gender cell is missing (empty)
    '<row r="2">' + c("A2", 4) + c("B2", 5) + c("C2", num=13011) + "</row>",
    '<row r="4">' + c("A4", 7) + c("B4", 8) + '<c r="C4" t="inlineStr"><is><t>1950年1月2日</t></is></c>' + c("D4", 6) + "</row>",
]
sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         "<sheetData>" + "".join(rows) + "</sheetData></worksheet>")
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Sheet1" sheetId="1"/></sheets></workbook>')
    z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{si}</sst>')
    z.writestr("xl/worksheets/sheet1.xml", sheet)
EOF
expect_exit 0 sn "$N" import retiree "$T/book.xlsx"
expect_stdout_contains "Imported 2 records"
expect_eq "XLSX day number" "$(value_of retiree birth_date name 钱学文)" 1935-08-15
expect_eq "XLSX category" "$(value_of retiree category name 钱学文)" honorary
expect_eq "XLSX inline string date" "$(value_of retiree birth_date name 吴淑芬)" 1950-01-02
expect_eq "XLSX gender" "$(value_of retiree gender name 吴淑芬)" f
# a bad cell is named by its spreadsheet row
python3 - "$T/book.xlsx" "$T/badbook.xlsx" <<'EOF'
import sys, zipfile
src = zipfile.ZipFile(sys.argv[1])
with zipfile.ZipFile(sys.argv[2], "w") as z:
    for n in src.namelist():
        d = src.read(n)
        if n.endswith("sheet1.xml"):
            d = d.replace("1950年1月2日".encode(), "1950年2月30日".encode())
        z.writestr(n, d)
EOF
refused 3 "row 4" "field birth_date" -- sn "$N" import retiree "$T/badbook.xlsx"
head -c 100 "$T/book.xlsx" >"$T/cut.xlsx"
refused 3 "cut.xlsx" -- sn "$N" import retiree "$T/cut.xlsx"
# damaged workbooks: refused with one message, never a crash
python3 - "$T" <<'EOF'
import sys, zipfile
def mk(name, sheet, ss=None):
    with zipfile.ZipFile(f"{sys.argv[1]}/{name}.xlsx", "w") as z:
        z.writestr("x.txt", "")
        if ss is not None: z.writestr("xl/sharedStrings.xml", ss)
        if sheet is not None: z.writestr("xl/worksheets/sheet1.xml", sheet)
H = "<worksheet><sheetData>"
T = "</sheetData></worksheet>"
hdr = '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>'
mk("ssrange", H + hdr + '<row r="2"><c r="A2" t="s"><v>99</v></c></row>' + T, "<sst><si><t>a</t></si></sst>")
mk("nosst", H + hdr + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>' + T)
mk("rowback", H + hdr + '<row r="5"></row><row r="3"></row>' + T)
mk("badcol", H + hdr + '<row r="2"><c r="ZZZZ2"><v>1</v></c></row>' + T)
mk("nosheet", None)
mk("badxml", H + hdr + '<row r="2"><c r="A2"')
ent = "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
mk("laughs", f'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">{ent}]>' + H +
   '<row r="1"><c r="A1" t="inlineStr"><is><t>&i;</t></is></c></row>' + T)
EOF
for x in ssrange nosst rowback badcol nosheet badxml laughs; do
	refused 3 "$x.xlsx" "spreadsheet" -- sn "$N" import retiree "$T/$x.xlsx"
done

say "issue 12: aid and visit rows name the retiree by id number or by name and birth date"
csv visit-id.csv '身份证号,日期,走访类型,工作人员\n410123195001020011,2025-01-10,生日,小李\n'
expect_exit 0 sn "$N" import visit "$T/visit-id.csv"
R1=$(sn "$N" list retiree name=王德明 | cut -d' ' -f1)
expect_eq "visit by id number" "$(value_of visit retiree staff 小李)" "$R1"
csv aid-name.csv '姓名,出生日期,日期,金额,帮扶原因\n李秀英,1948/6/1,2025-02-01,1500.50,低收入\n'
expect_exit 0 sn "$N" import aid "$T/aid-name.csv"
R2=$(sn "$N" list retiree name=李秀英 | cut -d' ' -f1)
expect_eq "aid by name and birth date" "$(value_of aid retiree reason low_income)" "$R2"
csv visit-idcell.csv 'retiree,date,type\n41012319480601002X,2025-01-11,festival\n'
expect_exit 0 sn "$N" import visit "$T/visit-idcell.csv"
expect_eq "id number in the retiree cell" "$(value_of visit retiree date 2025-01-11)" "$R2"
# two retirees of one name and birth date: ambiguous, and the message says so
sn "$N" add retiree name=王德明 category=retired birth_date=1950-01-02 >/dev/null || die "add failed"
csv ambiguous.csv '姓名,出生日期,日期,走访类型\n王德明,1950-01-02,2025-01-12,生日\n'
refused 3 "row 2" "field retiree" "more than one retiree" "王德明 1950-01-02" -- sn "$N" import visit "$T/ambiguous.csv"
csv nobody.csv '身份证号,日期,走访类型\n410123199901010000,2025-01-12,生日\n'
refused 3 "row 2" "no retiree with this id number" -- sn "$N" import visit "$T/nobody.csv"
csv halfname.csv '姓名,出生日期,日期,走访类型\n王德明,,2025-01-12,生日\n'
refused 3 "row 2" "name and birth date are both needed" -- sn "$N" import visit "$T/halfname.csv"

# only the township's own retirees are candidates: one of another township,
# held here from its bundle, is not found by name or by id number
X=$T/xinyan
sn "$X" init --township xinyan >/dev/null 2>&1 || die "init xinyan failed"
sn "$X" add retiree name=王五 category=retired birth_date=1940-01-01 id_number=410123194001010011 >/dev/null || die "add failed"
sn "$X" export-bundle "$T/xinyan.bundle" >/dev/null || die "export-bundle failed"
sn "$N" import-bundle "$T/xinyan.bundle" >/dev/null || die "import-bundle failed"
expect_eq "the other township's retiree is held" "$(sn "$N" list retiree name=王五 | cut -d/ -f1)" xinyan
csv other-name.csv '姓名,出生日期,日期,走访类型\n王五,1940-01-01,2025-01-12,生日\n'
refused 3 "row 2" "no retiree with this name and birth date in the township" -- sn "$N" import visit "$T/other-name.csv"
csv other-id.csv '身份证号,日期,走访类型\n410123194001010011,2025-01-12,生日\n'
refused 3 "row 2" "no retiree with this id number in the township" -- sn "$N" import visit "$T/other-id.csv"

say "issue 12: import --dry-run lists every refused row and writes nothing"
csv dry.csv '姓名,类别,出生日期\n甲,退休,1950-01-01\n乙,退休,1950-02-30\n丙,shoe,1950-01-03\n丁,离休,1940-01-04\n'
before=$(digest_of "$N")
expect_exit 3 sn "$N" import --dry-run retiree "$T/dry.csv"
expect_stdout_contains "row 3: field birth_date"
expect_stdout_contains "row 4: field category"
expect_stdout_contains "4 rows read, 2 would be imported into retiree, 2 refused"
expect_same_digest "dry run with errors" "$before" "$N"
expect_exit 0 sn "$N" import --dry-run visit "$T/visit-id.csv"
expect_stdout_contains "1 would be imported"
expect_same_digest "clean dry run" "$before" "$N"
expect_exit 3 sn "$N" import --dry-run retiree "$T/hdronly.csv"
expect_stderr_contains "no rows"
expect_exit 3 sn "$N" import --dry-run retiree "$T/nul.csv"
expect_stdout_contains "row 3: a NUL byte"
expect_exit 3 sn "$N" import --dry-run retiree /dev/zero
expect_stderr_contains "not a regular file"
expect_exit 4 sn "$N" import --dry-run retiree "$T/no-such.csv"
expect_stderr_contains "No such file"
expect_exit 3 sn "$N" import --dry-run retiree "$T/badhdr.csv"
expect_stderr_contains "no such field"
expect_same_digest "refused dry runs" "$before" "$N"

say "issue 12: export to CSV (with a byte order mark) and XLSX, Chinese headers and labels, and back"
expect_exit 0 env LANGUAGE=zh_CN "$SN" --dir "$N" export retiree "$T/out.csv"
head -c 3 "$T/out.csv" | od -An -tx1 | grep -q 'ef bb bf' || fail "no byte order mark in the exported CSV"
pass
head -1 "$T/out.csv" | grep -q '姓名,人员类别,性别,出生日期' || fail "the CSV headers are not Chinese: $(head -1 "$T/out.csv")"
pass
grep -q '钱学文,离休干部,,1935-08-15' "$T/out.csv" || fail "the CSV values are not labels"
pass
expect_exit 0 env LANGUAGE=zh_CN "$SN" --dir "$N" export retiree "$T/out.xlsx"
expect_exit 0 sn "$N" export aid "$T/aid.xlsx"
python3 - "$T/out.xlsx" <<'EOF' || fail "the exported XLSX is not a workbook with Chinese headers"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
s = z.read("xl/worksheets/sheet1.xml").decode()
assert "姓名" in s and "离休干部" in s, s[:400]
EOF
pass
N2=$T/node2
sn "$N2" init --township longhu >/dev/null 2>&1 || die "init 2 failed"
expect_exit 0 sn "$N2" import retiree "$T/out.xlsx"
N3=$T/node3
sn "$N3" init --township longhu >/dev/null 2>&1 || die "init 3 failed"
expect_exit 0 sn "$N3" import retiree "$T/out.csv"
fields() { sn "$1" --json list retiree | python3 -c '
import json, sys
print(sorted(json.dumps({k: v for k, v in (r["fields"] if "fields" in r else r).items() if k not in ("id", "_del")}, sort_keys=True, ensure_ascii=False) for r in json.load(sys.stdin)))'; }
expect_eq "XLSX round trip" "$(fields "$N2")" "$(fields "$N")"
expect_eq "CSV round trip" "$(fields "$N3")" "$(fields "$N")"
refused 2 ".csv or .xlsx" -- sn "$N" export retiree "$T/out.txt"
refused 3 "spaceship" -- sn "$N" export spaceship "$T/x.csv"

say "issue 12: silver-stats --format xlsx: one sheet per section, the figures as numbers"
STATS="$SILVER_BIN/silver-stats"
expect_exit 0 env LANGUAGE=zh_CN "$STATS" --dir "$N" --format xlsx --out "$T/stats.xlsx"
expect_exit 0 "$STATS" --dir "$N" --format csv --out "$T/stats.csv"
python3 - "$T/stats.xlsx" "$T/stats.csv" <<'EOF' || fail "the XLSX statistics do not match the CSV ones"
import csv, re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
wb = z.read("xl/workbook.xml").decode()
names = re.findall(r'<sheet name="([^"]*)"', wb)
assert len(names) == 12 and names[0].startswith("离退休干部"), names
sheet = z.read("xl/worksheets/sheet1.xml").decode()
rows = re.findall(r"<row [^>]*>(.*?)</row>", sheet)
# the last row is the county's: its numbers, in column order
last = [float(v) for v in re.findall(r'<c r="[A-Z]+\d+"(?: s="\d+")?><v>([^<]*)</v>', rows[-1])]
want = [float(r["value"]) for r in csv.DictReader(open(sys.argv[2], encoding="utf-8"))
        if r["section"] == "retirees" and r["township"] == "*"]
assert last == want, (last, want)
assert want[2] > 0, want
EOF
pass
refused 2 "--out" -- "$STATS" --dir "$N" --format xlsx
