#!/usr/bin/env bash
# tools/demo.sh - a county in a box: the county admin, the hub and township
# offices working offline, exchanging bundle files as a USB stick would,
# meeting a conflict, resolving it, and converging.
#
# usage: tools/demo.sh [--no-build] [--keep]
#   --no-build   use the programs already in build/bin
#   --keep       keep the demo's directories (printed at the end)
# Environment: SILVER_BIN (where silvernode is), LANG (zh_CN.UTF-8 for Chinese).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=1
keep=0
for a in "$@"; do
	case $a in
	--no-build) build=0 ;;
	--keep) keep=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "demo.sh: unknown option $a (try --help)" >&2
		exit 2
		;;
	esac
done

if [[ $build == 1 && -z ${SILVER_BIN:-} ]]; then
	"$ROOT/tools/bootstrap.sh" >/dev/null
fi
BIN=${SILVER_BIN:-$ROOT/build/bin}
[[ -x $BIN/silvernode ]] || {
	echo "demo.sh: no silvernode in $BIN: run tools/bootstrap.sh first" >&2
	exit 1
}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/silver-demo.XXXXXX")
cleanup() { [[ $keep == 1 ]] || rm -rf "$WORK"; }
trap cleanup EXIT
cd "$WORK"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {
	printf '\033[2m$ %s\033[0m\n' "$*"
	"$@"
}
sn() { "$BIN/silvernode" "$@"; }
key_of() { sn --dir "$1" id --json | sed -n 's/.*"key": "\([0-9a-f]*\)".*/\1/p'; }

step "The county admin makes its key (kept offline)"
run sn --dir admin admin init --name "新郑市委组织部"
ADMIN=$(key_of admin)

step "The hub and two township offices are set up, each pinning the admin key"
run sn --dir hub init --township county --name "县老干部科枢纽" --admin "$ADMIN"
run sn --dir longhu init --township longhu --name "龙湖镇" --admin "$ADMIN"
run sn --dir longhu-laptop init --township longhu --name "龙湖镇走访笔记本" --admin "$ADMIN"
run sn --dir xinyan init --township xinyan --name "新烟街道" --admin "$ADMIN"

step "The admin certifies them; certificates travel in a bundle"
run sn --dir admin admin certify "$(key_of hub)" --role hub --name "县枢纽"
for n in longhu longhu-laptop xinyan; do
	tw=${n%-laptop}
	run sn --dir admin admin certify "$(key_of $n)" --role branch --write "$tw" --name "$n"
done
run sn --dir admin admin list
run sn --dir admin export-bundle certs.bundle
for n in hub longhu longhu-laptop xinyan; do sn --dir $n import-bundle certs.bundle >/dev/null; done

step "Longhu office, offline: retirees from a spreadsheet (CSV), all rows or none"
cat >retirees.csv <<'EOF'
name,category,gender,birth_date,phone,hardship,address
张德明,honorary,m,1928-03-15,13803710001,"old_age,illness",龙湖镇文昌路1号
李秀英,retired,f,1949-07-01,13803710002,low_income,龙湖镇华夏路8号
王建国,retired,m,1952-10-20,13803710003,,龙湖镇祥和小区
EOF
run sn --dir longhu import retiree retirees.csv
run sn --dir longhu list retiree
ZHANG=$(sn --dir longhu list retiree name=张德明 | cut -d' ' -f1)
LI=$(sn --dir longhu list retiree name=李秀英 | cut -d' ' -f1)

step "Visits (五必访), a delivery (五送) and an aid payment (帮扶金, in yuan; stored in fen)"
run sn --dir longhu add visit retiree="$ZHANG" date=2026-03-15 type=birthday staff=赵敏
run sn --dir longhu add delivery retiree="$ZHANG" date=2026-02-10 type=warmth notes=春节慰问
run sn --dir longhu add aid retiree="$LI" date=2026-04-02 amount=1500.50 reason=low_income approver=孙科长

step "A mistake, refused with a message naming the field; nothing changes"
sn --dir longhu digest >before.txt
printf '\033[2m$ %s\033[0m\n' "sn --dir longhu add visit retiree=$ZHANG date=2026-02-30 type=birthday"
sn --dir longhu add visit retiree="$ZHANG" date=2026-02-30 type=birthday || echo "(exit code $?)"
sn --dir longhu digest | cmp -s - before.txt && echo "digest unchanged"

step "A correction, and the record's signed history"
run sn --dir longhu set "$ZHANG" phone=13803719999
run sn --dir longhu history "$ZHANG"

step "Xinyan office works offline too"
run sn --dir xinyan add retiree name=陈桂兰 category=retired gender=f birth_date=1947-12-05 hardship=old_age

step "The laptop takes a copy of Longhu's records on a USB stick (bundle), for home visits"
run sn --dir longhu export-bundle stick.bundle --for "$(key_of longhu-laptop)"
run sn --dir longhu-laptop import-bundle stick.bundle

step "Both edit Zhang's record: the same phone number on both, a different address"
run sn --dir longhu set "$ZHANG" phone=13903710000 address=龙湖镇文昌路1号院3栋
run sn --dir longhu-laptop set "$ZHANG" phone=13903710000 address=龙湖镇文昌路1号3单元

step "They exchange bundles both ways (only what the other lacks)"
sn --dir longhu vector longhu.vector
sn --dir longhu-laptop vector laptop.vector
run sn --dir longhu export-bundle to-laptop.bundle --since-of laptop.vector
run sn --dir longhu-laptop export-bundle to-office.bundle --since-of longhu.vector
run sn --dir longhu-laptop import-bundle to-laptop.bundle
run sn --dir longhu import-bundle to-office.bundle
echo "Both hold the same entries and the same state:"
run sn --dir longhu digest
run sn --dir longhu-laptop digest

step "The address collided (the phone did not: both wrote the same value)"
run sn --dir longhu conflicts
run sn --dir longhu show "$ZHANG"

step "The office settles it; the resolution travels back"
run sn --dir longhu resolve "$ZHANG" address --take 2
run sn --dir longhu export-bundle to-laptop2.bundle --since-of longhu-laptop
run sn --dir longhu-laptop import-bundle to-laptop2.bundle
run sn --dir longhu-laptop conflicts

step "Everything reaches the hub by bundle; each office receives only its own township"
for n in longhu longhu-laptop xinyan; do
	sn --dir $n export-bundle $n.bundle --since-of hub >/dev/null
	run sn --dir hub import-bundle $n.bundle
done
run sn --dir hub export-bundle back-to-xinyan.bundle --since-of xinyan --for "$(key_of xinyan)"
run sn --dir xinyan import-bundle back-to-xinyan.bundle
echo "Xinyan holds no Longhu retiree:"
run sn --dir xinyan list retiree

step "Converged: the offices and the hub agree on Longhu's data (its feeds and records)"
run sn --dir hub digest --township longhu
run sn --dir longhu digest --township longhu
run sn --dir longhu-laptop digest --township longhu
run sn --dir hub show "$ZHANG"

if [[ $keep == 1 ]]; then
	echo
	echo "The demo's nodes are in $WORK (try: $BIN/silvernode --dir $WORK/hub log)"
fi
