#!/usr/bin/env bash
# render_report.sh - the HTML report of silver-stats opened in headless
# Chromium: it renders, logs no console error, and a non-trivial screenshot
# is produced.  Installs nothing (tools/bootstrap.sh installs chromium); when
# chromium is absent the test says SKIPPED and passes.
# Then the Chinese report of a county with a county file is printed to PDF
# the way an office prints it for the province (chromium --print-to-pdf): one
# or more A4 pages, a CJK font embedded, the county, the sign-off block and
# the state digest in the text.  With chromium present, a CJK font and
# poppler-utils (pdfinfo, pdffonts, pdftotext) must be too.
# SILVER_KEEP_TMP=1 keeps the report, the screenshot and the PDF
# (report.html, report.png, zh.html, report.pdf) to look at.
. "$(dirname "$0")/lib.sh"

CHROME=
for c in chromium chromium-browser; do
	if command -v "$c" >/dev/null 2>&1; then
		CHROME=$(command -v "$c")
		break
	fi
done
if [[ -z $CHROME ]]; then
	echo "render_report: SKIPPED: chromium is not installed (tools/bootstrap.sh installs it)"
	exit 0
fi
SS="$SILVER_BIN/silver-stats"
[[ -x $SS ]] || die "no silver-stats in $SILVER_BIN"

# A small county: two townships, every kind of record, CJK names.
sn "$T/l" init --township longhu >/dev/null || die init
sn "$T/x" init --township xinyan >/dev/null || die init
R1=$(sn "$T/l" add retiree name=张德明 category=honorary birth_date=1928-03-15 checkup_date=2026-01-10) || die add
R2=$(sn "$T/x" add retiree name=陈桂兰 category=retired birth_date=1947-12-05) || die add
TEAM=$(sn "$T/l" add team name=银发宣讲志愿服务队) || die add
CLUB=$(sn "$T/l" add club name='豫剧社 <"&">') || die add
i=0
for ty in birthday illness letter_call festival emergency birthday festival; do
	i=$((i + 1))
	sn "$T/l" add visit retiree="$R1" date=2026-03-1$((i % 10)) type=$ty >/dev/null || die add
	sn "$T/l" add delivery retiree="$R1" date=2026-02-1$((i % 10)) type=warmth >/dev/null || die add
done
sn "$T/l" add aid retiree="$R1" date=2026-04-02 amount=1500.50 reason=low_income >/dev/null || die add
sn "$T/x" add aid retiree="$R2" date=2026-04-02 amount=820 reason=illness >/dev/null || die add
sn "$T/x" add visit retiree="$R2" date=2026-03-01 type=festival >/dev/null || die add
for k in opera performance youth_event opera; do
	sn "$T/l" add activity date=2026-03-01 kind=$k group="$TEAM" audience=300 >/dev/null || die add
	sn "$T/l" add activity date=2026-03-02 kind=$k group="$CLUB" audience=120 >/dev/null || die add
done
sn "$T/l" add lecture date=2026-03-02 kind=six_into attendance=500 >/dev/null || die add
sn "$T/l" add lecture date=2026-03-05 kind=lecture attendance=40 >/dev/null || die add
sn "$T/x" add case received_date=2026-01-02 stage=pre_litigation status=settled >/dev/null || die add
sn "$T/x" add case received_date=2026-01-03 stage=pre_litigation status=open >/dev/null || die add
sn "$T/l" add branch name=龙湖一支部 model_level=provincial >/dev/null || die add
sn "$T/x" add branch name=新烟支部 model_level=county >/dev/null || die add
sn "$T/l" add ceremony person=王建国 date=2026-06-30 >/dev/null || die add
sn "$T/x" add service retiree="$R2" date=2026-07-01 >/dev/null || die add
sn "$T/x" export-bundle "$T/x.bundle" >/dev/null || die bundle
sn "$T/l" import-bundle "$T/x.bundle" >/dev/null || die bundle

expect_exit 0 "$SS" --dir "$T/l" --format html --out "$T/report.html"
[[ -s $T/report.html ]] || die "no report written"

profile=$(mktemp -d "$T/profile.XXXXXX")
CHECKS=$((CHECKS + 1))
(cd "$T" && timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
	--screenshot="$T/report.png" --window-size=1200,1600 --enable-logging=stderr --v=0 \
	"file://$T/report.html" >"$T/chrome.out" 2>"$T/chrome.err")
rc=$?
if ((rc != 0)); then
	fail "chromium exited with $rc"
	tail -20 "$T/chrome.err" >&2
fi

# The screenshot: a PNG, and not a blank page (many bytes, many colours).
CHECKS=$((CHECKS + 1))
python3 - "$T/report.png" <<'EOF' || fail "the screenshot is missing or blank"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
assert len(data) > 20000, "only %d bytes" % len(data)
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1200, 1600), (w, h)
# decode the pixels (8-bit RGB or RGBA, non-interlaced) and count colours
pos, idat = 8, b""
bitdepth, ctype = data[24], data[25]
while pos < len(data):
    n, = struct.unpack(">I", data[pos:pos + 4]); kind = data[pos + 4:pos + 8]
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
assert bitdepth == 8 and ctype in (2, 6), (bitdepth, ctype)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours = set()
i = 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 8 == 0:
        for x in range(0, stride, bpp * 4):
            colours.add(bytes(line[x:x + 3]))
assert len(colours) > 50, "only %d colours: a blank page?" % len(colours)
EOF

# No console errors and no uncaught exceptions in Chromium's log.
CHECKS=$((CHECKS + 1))
if grep -E 'Uncaught|CONSOLE\([0-9]+\).*(Error|error)|:ERROR:CONSOLE|Refused to|Failed to load resource' \
	"$T/chrome.err" >"$T/console.txt"; then
	fail "console errors while rendering the report:"
	head -10 "$T/console.txt" >&2
fi
echo "render_report: rendered $(stat -c %s "$T/report.png") bytes of screenshot with $CHROME"

# ---- the A4 PDF for the province, in Chinese ----------------------------------------------------
for tool in pdfinfo pdffonts pdftotext fc-list; do
	command -v $tool >/dev/null 2>&1 || die "$tool is missing (tools/bootstrap.sh --test-deps installs poppler-utils)"
done
fc-list :lang=zh family | grep -q . || die "no CJK font (tools/bootstrap.sh --test-deps installs fonts-wqy-zenhei)"
cat >"$T/l/county.json" <<'JSON'
{"county": "新郑市", "unit": "新郑市委组织部老干部科",
 "townships": [{"code": "xinyan", "name": "新烟街道"}, {"code": "longhu", "name": "龙湖镇"}]}
JSON
expect_exit 0 env LANGUAGE=zh_CN "$SS" --dir "$T/l" --format html --out "$T/zh.html"
STATE=$(sn "$T/l" digest | sed -n 's/^state digest: *//p')
profile=$(mktemp -d "$T/profile.XXXXXX")
CHECKS=$((CHECKS + 1))
(cd "$T" && timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
	--no-pdf-header-footer --print-to-pdf="$T/report.pdf" \
	"file://$T/zh.html" >"$T/chrome.out" 2>"$T/chrome.err")
rc=$?
((rc == 0)) || fail "chromium --print-to-pdf exited with $rc"
[[ -s $T/report.pdf ]] || die "no PDF printed"
CHECKS=$((CHECKS + 1))
pdfinfo "$T/report.pdf" >"$T/pdfinfo.txt" 2>&1 || fail "pdfinfo cannot read the PDF"
python3 - "$T/pdfinfo.txt" <<'EOF' || fail "the PDF is not A4"
import re, sys
info = open(sys.argv[1]).read()
m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
assert m, info
w, h = float(m.group(1)), float(m.group(2))
assert abs(w - 595.28) < 2 and abs(h - 841.89) < 2, (w, h)   # A4 portrait: 210 x 297 mm
pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
assert 1 <= pages <= 12, pages
EOF
CHECKS=$((CHECKS + 1))
pdffonts "$T/report.pdf" >"$T/pdffonts.txt" 2>&1
grep -Eqi 'wqy|wenquanyi|noto.*cjk|sourcehan|zenhei' "$T/pdffonts.txt" ||
	fail "no CJK font embedded in the PDF: $(cat "$T/pdffonts.txt")"
pdftotext -layout "$T/report.pdf" "$T/report.txt" || fail "pdftotext failed"
CHECKS=$((CHECKS + 1))
python3 - "$T/report.txt" "$STATE" <<'EOF' || fail "the PDF's text"
import sys
t = open(sys.argv[1], encoding="utf-8").read()
flat = "".join(t.split())
for want in ("新郑市", "新郑市委组织部老干部科", "填报单位", "审核", "日期", "新烟街道", "龙湖镇", "1,500.50"):
    assert want in flat, want
assert sys.argv[2] in flat, "state digest"
assert flat.index("新烟街道") < flat.index("龙湖镇"), "the county's order"
EOF
echo "render_report: printed $(sed -n 's/^Pages: *//p' "$T/pdfinfo.txt") A4 page(s); fonts: $(grep -Eio 'wqy[a-z-]*|wenquanyi[a-z ]*|noto[a-z ]*cjk[a-z ]*' "$T/pdffonts.txt" | sort -u | tr '\n' ' ')"
