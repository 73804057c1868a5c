#!/usr/bin/env bash
# tools/demo.sh - a county in a box: the county admin, the hub and the 15 township
# offices of Xinzheng working offline, syncing with the hub in a random order, a
# review of the conflicts they leave, the county's statistics in Chinese, the HTML
# report, and a clean audit.  The figures are those of the 2025 report
# (docs/DEMO.md tells what each step shows).
#
# usage: tools/demo.sh [--no-build] [--keep] [--work DIR] [--out DIR] [--seed N]
#                      [--scale full|small] [--transport net|bundle]
#   --no-build     use the programs already built ($SILVER_BIN, else build/bin)
#   --keep         keep the county's node directories (printed at the end)
#   --work DIR     build the county in DIR (a new directory; kept)
#   --out DIR      where the HTML report goes (default: build/demo)
#   --seed N       another county: the random choices (default 2025)
#   --scale S      full (default: the report's figures) or small (a quick one)
#   --transport T  net (default: silvernode hub / sync over ZeroMQ) or bundle
#   --serve        keep the hub's web workbench running at the end until Ctrl-C
#                  (the default on a terminal); --no-serve stops it once it answers
# Environment: SILVER_BIN (where silvernode is).  Needs python3.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=1
keep=0
work=
out=
seed=2025
scale=full
transport=net
serve=
while [[ $# -gt 0 ]]; do
	case $1 in
	--no-build) build=0 ;;
	--keep) keep=1 ;;
	--serve) serve=1 ;;
	--no-serve) serve=0 ;;
	--work | --out | --seed | --scale | --transport)
		[[ $# -ge 2 ]] || { echo "demo.sh: $1 needs a value" >&2; exit 2; }
		case $1 in
		--work) work=$2 ;;
		--out) out=$2 ;;
		--seed) seed=$2 ;;
		--scale) scale=$2 ;;
		--transport) transport=$2 ;;
		esac
		shift
		;;
	-h | --help)
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "demo.sh: unknown option $1 (try --help)" >&2
		exit 2
		;;
	esac
	shift
done

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '%s\n' "$*"; }
show() { printf '\033[2m$ %s\033[0m\n' "$*"; }
die() {
	echo "demo.sh: $*" >&2
	exit 1
}
t0=$SECONDS

if [[ $build == 1 && -z ${SILVER_BIN:-} ]]; then
	step "0. Install what is needed and build (tools/bootstrap.sh; its log: build/bootstrap.log)"
	mkdir -p "$ROOT/build"
	if ! "$ROOT/tools/bootstrap.sh" >"$ROOT/build/bootstrap.log" 2>&1; then
		tail -20 "$ROOT/build/bootstrap.log" >&2
		die "tools/bootstrap.sh failed (the whole log: build/bootstrap.log)"
	fi
	say "Built: build/bin/silvernode, silver-review, silver-stats, silver-audit"
fi
BIN=$(cd "${SILVER_BIN:-$ROOT/build/bin}" 2>/dev/null && pwd) ||
	die "no ${SILVER_BIN:-build/bin}: run tools/bootstrap.sh first"
for p in silvernode silver-review silver-stats silver-audit; do
	[[ -x $BIN/$p ]] || die "no $p in $BIN: run tools/bootstrap.sh first"
done
command -v python3 >/dev/null || die "python3 is needed (apt-get install python3)"
out=${out:-$ROOT/build/demo}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [[ -n $work ]]; then
	[[ ! -e $work ]] || die "$work exists: give --work a new directory"
	mkdir -p "$(dirname "$work")"
	WORK=$(cd "$(dirname "$work")" && pwd)/$(basename "$work")
	keep=1
	mkdir "$WORK"
else
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/silver-demo.XXXXXX")
fi
cleanup() { [[ $keep == 1 ]] || rm -rf "$WORK"; }
trap cleanup EXIT
C=$WORK/county
export PATH="$BIN:$PATH"

# Steps 1 to 9: the county is built by the real programs (tools/gen_county.py).
printf '\033[1mA county in a box: Xinzheng (新郑市), its hub and township offices.\033[0m\n'
say "Every command below is a real one; the nodes live in $C."
python3 "$ROOT/tools/gen_county.py" --bin "$BIN" --out "$C" --seed "$seed" --scale "$scale" \
	--transport "$transport"
cd "$C"
ADMIN_KEY=$(python3 -c 'import json; print(json.load(open("county.json"))["admin_key"])')
manifest() { python3 -c 'import json,sys; m=json.load(open("county.json")); print(eval(sys.argv[1]))' "$1"; }

step "10. The hub reviews what the offices could not settle"
show "silver-review --dir hub list"
silver-review --dir hub list
# The decisions a reviewer makes after phoning the offices, by contender number.
take_of() { # ID FIELD VALUE: the number of the contender holding VALUE
	silver-review --dir hub --json show "$1" "$2" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["contenders"]:
	if c["value"] == sys.argv[1]:
		print(c["n"])' "$3"
}
n_coll=$(manifest 'len(m["collisions"])')
for ((i = 0; i < n_coll; i++)); do
	kind=$(manifest "m['collisions'][$i]['kind']")
	id=$(manifest "m['collisions'][$i]['id']")
	case $kind in
	"same field")
		value=$(manifest "m['collisions'][$i]['values'][1]")
		say
		say "A phone number corrected two ways. The office calls the family: the laptop's is right."
		show "silver-review --dir hub show $id phone"
		silver-review --dir hub show "$id" phone
		n=$(take_of "$id" phone "$value")
		show "silver-review --dir hub resolve $id phone --take $n"
		silver-review --dir hub resolve "$id" phone --take "$n"
		;;
	"edit vs delete")
		say
		say "A record edited at the office and deleted on the laptop. It was no duplicate: keep it."
		show "silver-review --dir hub show $id _del"
		silver-review --dir hub show "$id" _del
		n=$(take_of "$id" _del kept)
		show "silver-review --dir hub resolve $id _del --take $n"
		silver-review --dir hub resolve "$id" _del --take "$n"
		;;
	"aid entered twice")
		say
		say "Aid payments are never merged away: one typed in twice is flagged for a person."
		show "silver-review --dir hub aid-anomalies"
		silver-review --dir hub aid-anomalies
		say "The office confirms the laptop's entry is a copy; the hub deletes it (a signed change, kept in the history):"
		show "silvernode --dir hub delete $id"
		silvernode --dir hub delete "$id"
		;;
	esac
done
say
show "silver-review --dir hub list"
silver-review --dir hub list

step "11. The resolutions travel back: every node syncs once more and agrees with the hub"
say "(each node: silvernode --dir NODE sync ENDPOINT --server-key \$HUB_KEY; then silvernode digest --township T on both)"
python3 "$ROOT/tools/gen_county.py" --bin "$BIN" --out "$C" --resync

step "12. The county's figures, in Chinese (LANG=zh_CN.UTF-8), as of the report's date"
# The programs speak Chinese through the zh_CN catalogue; the C library needs the
# zh_CN.UTF-8 locale for that.  Where the system lacks it, build it privately.
zh_env=(LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 LANGUAGE=zh_CN)
if ! locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8'; then
	mkdir -p "$out/locale"
	if [[ ! -d $out/locale/zh_CN.UTF-8 ]] &&
		! localedef -i zh_CN -f UTF-8 "$out/locale/zh_CN.UTF-8" >/dev/null 2>&1; then
		say "(no zh_CN.UTF-8 locale here and localedef could not build one: install Debian's"
		say " 'locales' package; the figures follow in English)"
	fi
	[[ -d $out/locale/zh_CN.UTF-8 ]] && zh_env+=(LOCPATH="$out/locale")
fi
show "LANG=zh_CN.UTF-8 silver-stats --dir hub --to 2025-08-17"
env "${zh_env[@]}" silver-stats --dir hub --to 2025-08-17

step "13. The same figures as one HTML file with charts (opens with no network)"
report=$out/county-report.html
show "LANG=zh_CN.UTF-8 silver-stats --dir hub --to 2025-08-17 --format html --out $report"
env "${zh_env[@]}" silver-stats --dir hub --to 2025-08-17 --format html --out "$report"
say "Written: $report ($(wc -c <"$report") bytes). Open it in a browser: file://$report"

step "14. An auditor checks the hub's whole history with nothing but the admin's public key"
show "silver-audit --admin $ADMIN_KEY --store hub"
audit_rc=0
silver-audit --admin "$ADMIN_KEY" --store hub || audit_rc=$?
show "silvernode --dir hub export-bundle county.bundle && silver-audit --admin ${ADMIN_KEY:0:16}... county.bundle"
silvernode --dir hub export-bundle county.bundle
bundle_rc=0
silver-audit --admin "$ADMIN_KEY" county.bundle | tail -1 || bundle_rc=$?
((audit_rc == 0 && bundle_rc == 0)) || die "the audit found something (exit $audit_rc, $bundle_rc)"

step "15. The county against the 2025 report"
silver-stats --dir hub --to 2025-08-17 --format json >stats.json
python3 - "$scale" <<'EOF'
import json, sys
s = json.load(open("stats.json"))["total"]
e = json.load(open("county.json"))["expected"]
full = sys.argv[1] == "full"
def money(fen):
    return "{:,}.{:02d}".format(fen // 100, fen % 100)
rows = [
    ("离休干部 honorary retirees", "27", s["retirees"]["honorary"], e["honorary"]),
    ("退休干部 retired cadres", "hundreds", s["retirees"]["retired"], e["retired"]),
    ("帮扶 people helped", "346", s["aid"]["people"], e["helped"]),
    ("帮扶金 aid paid (yuan)", "1,300,000+", money(s["aid"]["amount_fen"]), money(e["aid_amount_fen"])),
    ("荣退仪式 ceremonies", "217", s["ceremonies"]["ceremonies"], e["ceremonies"]),
    ("讲座 lectures", "128", s["lectures"]["lecture"], e["lectures"]),
    ("宣讲报告 reports", "96", s["lectures"]["report"], e["reports"]),
    ("调解 cases received", "140+", s["cases"]["received"], e["cases_received"]),
    ("调解 cases settled", "120+", s["cases"]["settled"], e["cases_settled"]),
    ("志愿分队 volunteer teams", "7", s["teams"]["teams"], e["teams"]),
    ("社团 clubs", "13", s["teams"]["clubs"], e["clubs"]),
    ("示范党支部 model branches (provincial/city/county)", "2 / 10 / 11",
     "%d / %d / %d" % (s["branches"]["provincial"], s["branches"]["city"], s["branches"]["county"]),
     "%d / %d / %d" % (e["branches"]["provincial"], e["branches"]["city"], e["branches"]["county"])),
]
bad = 0
print("  %-52s %-12s %s" % ("figure", "report", "this county"))
for label, rep, got, want in rows:
    ok = str(got) == str(want)
    bad += not ok
    print("  %-52s %-12s %-14s %s" % (label, rep if full else "-", got, "" if ok else "EXPECTED %s" % want))
if bad:
    print("%d figures differ from what the generator wrote" % bad)
    sys.exit(1)
print("Every figure is what the offices entered%s." % (", and the report's" if full else ""))
EOF

step "16. The county's workbench in a browser (silvernode web, docs/WEB.md)"
[[ -n $serve ]] || { [[ -t 0 && -t 1 ]] && serve=1 || serve=0; }
say "An officer's account for the hub's web workbench (the password is read from stdin):"
show "echo demo-password | silvernode --dir hub user add county --role officer"
echo demo-password | silvernode --dir hub user add county --role officer
web_pid=
stop_web() {
	if [[ -n $web_pid ]]; then
		kill "$web_pid" 2>/dev/null || true
		wait "$web_pid" 2>/dev/null || true
		web_pid=
	fi
}
trap 'stop_web; cleanup' EXIT
web_url=
for listen in "127.0.0.1:${SILVER_WEB_PORT:-8470}" 127.0.0.1:0; do
	show "silvernode --dir hub web --listen $listen &"
	silvernode --dir hub web --listen "$listen" >web.out 2>&1 &
	web_pid=$!
	for _ in $(seq 100); do
		web_url=$(sed -n 's|.*\(http://127\.0\.0\.1:[0-9]*/\).*|\1|p' web.out 2>/dev/null)
		[[ -z $web_url ]] && kill -0 "$web_pid" 2>/dev/null || break
		sleep 0.1
	done
	[[ -n $web_url ]] && break
	stop_web
done
[[ -n $web_url ]] || die "silvernode web did not start: $(cat web.out)"
python3 -c 'import sys,urllib.request; t=urllib.request.urlopen(sys.argv[1]+"login",timeout=10).read().decode(); sys.exit(0 if "name=\"password\"" in t else 1)' "$web_url" ||
	die "the workbench at $web_url does not answer with its login page"
say "The workbench answers at ${web_url} — log in as 'county' with the password 'demo-password'."
say "Pages: /records/retiree (the retirees), /conflicts, /county (per township: last data received)."

step "Done in $((SECONDS - t0)) s"
say "HTML report: $report"
if [[ $keep == 1 ]]; then
	say "The county's nodes are in $C (try: $BIN/silvernode --dir $C/hub log | tail)"
fi
say "Workbench: $web_url (user county, password demo-password)"
if [[ $serve == 1 ]]; then
	say "Serving until Ctrl-C ..."
	trap 'stop_web; cleanup; exit 0' INT TERM
	wait "$web_pid" || true
fi
