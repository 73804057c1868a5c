#!/usr/bin/env bash
# test_bundle_cli.sh - two township nodes exchange bundle files both ways
# (--since-of a node directory, and a vector file), import a bundle twice,
# refuse damaged, truncated and newer-format bundles without changing
# anything, and settle conflicts with resolve --take and --value until both
# nodes hold byte-identical state.
#
# SILVER_BUNDLE_DAMAGE=all (default) damages every byte and truncates at every
# length of a small bundle; =sample tries 64 seeded positions of each kind.
. "$(dirname "$0")/lib.sh"

A=$T/a
B=$T/b
sn "$A" init --township longhu --name 龙湖镇一 >/dev/null || die "init a"
sn "$B" init --township longhu --name 龙湖镇二 >/dev/null || die "init b"

# refused_bundle NODE FILE WHAT: import-bundle exits 3 or 5 with a message,
# and the node's digest does not move.
refused_bundle() {
	local before got
	before=$(digest_of "$1")
	LAST_CMD="import-bundle $2 ($3)"
	sn "$1" import-bundle "$2" >"$T/out" 2>"$T/err"
	got=$?
	CHECKS=$((CHECKS + 1))
	if [[ $got != 3 && $got != 5 ]]; then
		fail "$3: import-bundle exited $got, expected 3 or 5"
		sed 's/^/    /' "$T/out" "$T/err" | head -5 >&2
	fi
	[[ -s $T/err ]] || fail "$3: refused without a message"
	expect_same_digest "$3" "$before" "$1"
}

same_digests() {
	local da db
	da=$(digest_of "$1")
	db=$(digest_of "$2")
	expect_eq "$3: digests of $(basename "$1") and $(basename "$2")" "$da" "$db"
}

say "A records, B receives them with --since-of B's directory"
R1=$(sn "$A" add retiree name=张建国 category=honorary birth_date=1928-03-15) || die "add"
R2=$(sn "$A" add retiree name=李秀英 category=retired birth_date=1950-11-02) || die "add"
sn "$A" add aid retiree="$R1" date=2025-02-01 amount=1500.50 reason=illness >/dev/null || die "add aid"
expect_exit 0 sn "$A" export-bundle "$T/ab1.bundle" --since-of "$B"
expect_stdout_contains "Wrote 3 entries"
[[ -e $T/ab1.bundle.part ]] && fail "export-bundle left a .part file"
expect_exit 0 sn "$B" import-bundle "$T/ab1.bundle"
expect_stdout_contains "Received 3 entries: 3 new, 0 already held, 3 applied."
same_digests "$A" "$B" "after A -> B"
expect_exit 0 sn "$B" --json show "$R1"
expect_eq "B sees A's retiree" "$(json_get 'j["fields"]["name"]')" 张建国

say "the same bundle twice changes nothing"
D=$(digest_of "$B")
expect_exit 0 sn "$B" import-bundle "$T/ab1.bundle"
expect_stdout_contains "0 new, 3 already held"
expect_same_digest "second import" "$D" "$B"
expect_exit 0 sn "$B" --json import-bundle "$T/ab1.bundle"
expect_json
expect_eq "json duplicates" "$(json_get 'j["duplicates"]')" 3
expect_eq "json new" "$(json_get 'j["new"]')" 0
expect_same_digest "third import" "$D" "$B"
# A node importing its own entries back: all already held.
DA=$(digest_of "$A")
expect_exit 0 sn "$A" import-bundle "$T/ab1.bundle"
expect_stdout_contains "0 new, 3 already held"
expect_same_digest "import into the author" "$DA" "$A"

say "nothing new: an empty bundle"
expect_exit 0 sn "$A" export-bundle "$T/empty.bundle" --since-of "$B"
expect_stdout_contains "Wrote 0 entries"
expect_exit 0 sn "$B" import-bundle "$T/empty.bundle"
expect_same_digest "empty bundle" "$D" "$B"

say "B records, A receives them with a vector file"
expect_exit 0 sn "$A" vector "$T/a.vector"
python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); assert v["format"]=="silversync-vector"' "$T/a.vector" ||
	fail "a.vector is not a vector"
sn "$B" add visit retiree="$R1" date=2025-03-15 type=birthday staff=王芳 >/dev/null || die "add visit"
sn "$B" set "$R2" phone=13700000002 >/dev/null || die "set"
expect_exit 0 sn "$B" export-bundle "$T/ba1.bundle" --since-of "$T/a.vector"
expect_stdout_contains "Wrote 2 entries"
expect_exit 0 sn "$A" import-bundle "$T/ba1.bundle"
expect_stdout_contains "2 new"
same_digests "$A" "$B" "after B -> A"
# The vector from stdout works as well as one written to a file.
sn "$B" vector >"$T/b.vector" || fail "vector to stdout"
sn "$A" add delivery retiree="$R2" date=2025-01-20 type=warmth >/dev/null || die "add delivery"
expect_exit 0 sn "$A" export-bundle "$T/ab2.bundle" --since-of "$T/b.vector"
expect_stdout_contains "Wrote 1 entries"
expect_exit 0 sn "$B" import-bundle "$T/ab2.bundle"
same_digests "$A" "$B" "after the stdout vector"

say "a bundle of a whole node restores into a fresh node"
expect_exit 0 sn "$A" export-bundle "$T/all.bundle"
expect_stdout_contains "Wrote 6 entries"
sn "$T/fresh" init --township longhu >/dev/null || die "init fresh"
expect_exit 0 sn "$T/fresh" import-bundle "$T/all.bundle"
same_digests "$A" "$T/fresh" "full restore"

say "--feed limits a bundle to a township"
sn "$T/x" init --township xinyan >/dev/null || die "init x"
sn "$T/x" add retiree name=赵 category=retired birth_date=1949-09-09 >/dev/null || die "add x"
expect_exit 0 sn "$T/x" export-bundle "$T/x.bundle"
expect_exit 0 sn "$A" import-bundle "$T/x.bundle"
expect_exit 0 sn "$A" export-bundle "$T/lh.bundle" --feed longhu --since-of "$B"
expect_stdout_contains "Wrote 0 entries"
expect_exit 0 sn "$A" export-bundle "$T/xy.bundle" --feed xinyan --since-of "$B"
expect_stdout_contains "Wrote 1 entries"
expect_exit 0 sn "$B" import-bundle "$T/xy.bundle"
same_digests "$A" "$B" "after --feed"

say "damaged bundles are refused and change nothing"
# The victim holds nothing of the damaged bundle's entries, so any damage
# that got through would show.  Source: one CSV import (one transaction,
# three entries chained, the last sealed) and one add (a second seal).
S=$T/src
V=$T/victim
sn "$S" init --township longhu >/dev/null || die "init src"
sn "$V" init --township longhu >/dev/null || die "init victim"
printf 'name,category,birth_date\n甲,retired,1950-01-01\n乙,retired,1950-01-02\n丙,honorary,1931-01-03\n' >"$T/three.csv"
sn "$S" import retiree "$T/three.csv" >/dev/null || die "import three"
sn "$S" add retiree name=丁 category=retired birth_date=1952-02-02 >/dev/null || die "add src"
sn "$S" export-bundle "$T/good.bundle" >/dev/null || die "export good"
cp -a "$V" "$T/victim.pristine"
# What an intact import gives, to compare anything accepted with.
cp -a "$V" "$T/victim.check"
sn "$T/victim.check" import-bundle "$T/good.bundle" >/dev/null || die "good bundle refused"
GOOD_DIGEST=$(digest_of "$T/victim.check")
SIZE=$(stat -c %s "$T/good.bundle")
say "good.bundle: $SIZE bytes"

# Where the entries start: a bundle of the entries after seq k is the
# header (31 bytes while the count is below 128) and entries k+1..4.
FEED=$(sn "$S" vector | python3 -c 'import json,sys; print(json.load(sys.stdin)["feeds"][0]["feed"])')
BOUNDS=31
for k in 1 2 3; do
	printf '{"format":"silversync-vector","version":1,"feeds":[{"feed":"%s","seq":%d}]}' "$FEED" "$k" >"$T/since$k.vector"
	sn "$S" export-bundle "$T/since$k.bundle" --since-of "$T/since$k.vector" >/dev/null || die "export since $k"
	BOUNDS="$BOUNDS $((31 + SIZE - $(stat -c %s "$T/since$k.bundle")))"
done
say "entries start at $BOUNDS"

mkdir "$T/bad"
SEED=${SILVER_TEST_SEED:-$RANDOM}
MODE=${SILVER_BUNDLE_DAMAGE:-sample}
say "damage mode $MODE, seed $SEED (SILVER_TEST_SEED to repeat)"
# shellcheck disable=SC2086
python3 - "$T/good.bundle" "$T/bad" "$MODE" "$SEED" $BOUNDS <<'PY' || die "python3"
import os, random, sys
src, out, mode, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
bounds = [int(x) for x in sys.argv[5:]]
d = open(src, "rb").read()
n = len(d)
assert d[0] == 0x95 and d[30] == len(bounds) and d[bounds[0]] & 0xf0 == 0x90, "unexpected bundle layout"
rnd = random.Random(seed)
def put(name, data):
    open(os.path.join(out, name + ".bundle"), "wb").write(data)
def flip(i, x, tag):
    m = bytearray(d)
    m[i] ^= x
    put(f"flip-{i:05d}-{tag}", m)
# Every byte with its lowest bit flipped; random damage at random places
# (at every byte with mode=all).
for i in range(n):
    flip(i, 0x01, "x01")
for i in (range(n) if mode == "all" else rnd.sample(range(n), min(64, n))):
    flip(i, rnd.randrange(2, 256), "xr")
# Cut at every entry boundary and a byte either side of it, at the start,
# inside the header, and elsewhere (everywhere with mode=all).
cuts = {0, 1, 17, 30, n - 1}
for b in bounds:
    cuts |= {b - 1, b, b + 1}
cuts |= set(range(n)) if mode == "all" else set(rnd.sample(range(n), min(64, n)))
for k in sorted(cuts):
    put(f"trunc-{k:05d}", d[:k])
put("garbage-tail", d + b"\x00")
put("doubled", d + d)
# The header's count one less or one more than the entries that follow.
for c in (len(bounds) - 1, len(bounds) + 1):
    m = bytearray(d)
    m[30] = c
    put(f"count-{c}", m)
PY
# Header (proto/bundle.c): 0x95, str8 "silversync-bundle" (0xb1 + 17 bytes),
# version (offset 19), suite (20), created (0xcf + 8 bytes: 21-29), count
# (30).  The header is not signed: damage that still parses (the created
# clock, an older version number) may be accepted, but must then give the
# intact bundle's state.  Damage to the entries must always be refused.
PRISTINE_DIGEST=$(digest_of "$V")
accepted=0
refused=0
t0=$SECONDS
for f in "$T"/bad/*.bundle; do
	name=$(basename "$f" .bundle)
	sn "$V" import-bundle "$f" >"$T/out" 2>"$T/err"
	rc=$?
	CHECKS=$((CHECKS + 1))
	if [[ $rc == 3 || $rc == 5 ]]; then
		refused=$((refused + 1))
		[[ -s $T/err ]] || fail "$name: refused without a message"
		if [[ $(digest_of "$V") != "$PRISTINE_DIGEST" ]]; then
			fail "$name: refused, but the digest changed"
			rm -rf "$V" && cp -a "$T/victim.pristine" "$V"
		fi
		continue
	fi
	off=-1
	if [[ $name == flip-* ]]; then
		off=${name#flip-}
		off=$((10#${off%%-*}))
	fi
	if [[ $rc != 0 ]]; then
		fail "$name: import-bundle exited $rc, expected 3 or 5: $(head -c 300 "$T/err")"
	elif ((off < 0 || off >= 30)); then
		fail "$name: a damaged bundle was accepted: $(head -1 "$T/out")"
	else
		accepted=$((accepted + 1))
		[[ $(digest_of "$V") == "$GOOD_DIGEST" ]] ||
			fail "$name: accepted, and the state differs from the intact bundle's"
	fi
	if [[ $(digest_of "$V") != "$PRISTINE_DIGEST" ]]; then
		rm -rf "$V" && cp -a "$T/victim.pristine" "$V"
	fi
done
say "damaged bundles: $refused refused, $accepted accepted (unsigned header bytes), $((SECONDS - t0)) s"
expect_same_digest "after all damaged bundles" "$PRISTINE_DIGEST" "$V"

say "a transaction cut short waits for its seal"
# The first two entries of the three-row import: well formed, but unsealed.
# shellcheck disable=SC2086
python3 - "$T/good.bundle" "$T/part.bundle" $BOUNDS <<'PY' || die "python3"
import sys
d = bytearray(open(sys.argv[1], "rb").read())
b = [int(x) for x in sys.argv[3:]]
m = d[:b[2]]
m[30] = 2
open(sys.argv[2], "wb").write(m)
PY
expect_exit 0 sn "$V" import-bundle "$T/part.bundle"
expect_stdout_contains "wait for the rest of their transaction"
expect_exit 0 sn "$V" list retiree
expect_stdout_empty
expect_exit 0 sn "$V" --json digest
expect_eq "records applied from an unsealed tail" "$(json_get 'j["records"]')" 0
expect_exit 0 sn "$V" import-bundle "$T/good.bundle"
expect_same_digest "the tail completed by the whole bundle" "$GOOD_DIGEST" "$V"
rm -rf "$V" && cp -a "$T/victim.pristine" "$V"

say "a bundle from a newer format or suite"
python3 - "$T/good.bundle" "$T" <<'EOF' || die "python3"
import sys
d = bytearray(open(sys.argv[1], "rb").read())
# offset 19: version (positive fixint 1); offset 20: suite.
assert d[0] == 0x95 and d[1] == 0xb1 and d[2:19] == b"silversync-bundle" and d[19] == 1 and d[20] == 1
v = bytearray(d); v[19] = 2
open(sys.argv[2] + "/v2.bundle", "wb").write(v)
v = bytearray(d); v[19] = 0x7f
open(sys.argv[2] + "/v127.bundle", "wb").write(v)
v = bytearray(d); v[20] = 2
open(sys.argv[2] + "/suite2.bundle", "wb").write(v)
EOF
for f in v2 v127 suite2; do
	before=$(digest_of "$V")
	expect_exit 5 sn "$V" import-bundle "$T/$f.bundle"
	expect_stderr_contains "newer"
	expect_stderr_contains "upgrade"
	expect_same_digest "$f.bundle" "$before" "$V"
done
[[ $(sn "$V" import-bundle "$T/none.bundle" >/dev/null 2>&1; echo $?) == 4 ]] || fail "a missing bundle is not exit 4"

say "conflicts: both nodes edit the same fields, then exchange"
same_digests "$A" "$B" "before the conflict"
sn "$A" set "$R2" phone=111 address=甲地 >/dev/null || die "set a"
sn "$B" set "$R2" phone=222 address=乙地 >/dev/null || die "set b"
A_AID=$(sn "$A" list aid | cut -d' ' -f1)
sn "$A" set "$A_AID" amount=1600 >/dev/null || die "set aid"
sn "$B" delete "$A_AID" >/dev/null || die "delete aid"
expect_exit 0 sn "$A" export-bundle "$T/c-ab.bundle" --since-of "$B"
expect_exit 0 sn "$B" export-bundle "$T/c-ba.bundle" --since-of "$A"
expect_exit 0 sn "$B" import-bundle "$T/c-ab.bundle"
expect_stdout_contains "Open conflicts: 3"
expect_exit 0 sn "$A" import-bundle "$T/c-ba.bundle"
expect_stdout_contains "Open conflicts: 3"
same_digests "$A" "$B" "with open conflicts"
expect_exit 0 sn "$A" conflicts
expect_stdout_contains "3 open conflicts"
expect_stdout_contains "111"
expect_stdout_contains "222"
expect_exit 0 sn "$A" --json conflicts
expect_json
expect_eq "conflicting fields" "$(json_get 'sorted((c["record"], c["field"]) for c in j)')" \
	"$(python3 -c 'import sys; print(sorted([(sys.argv[1], "_del"), (sys.argv[2], "address"), (sys.argv[2], "phone")]))' "$A_AID" "$R2")"
expect_eq "two contenders each" "$(json_get 'sorted(len(c["contenders"]) for c in j)')" "[2, 2, 2]"
# The provisional winner is the same on both nodes.
WA=$(json_get '[(c["field"], [x["value"] for x in c["contenders"] if x["provisional_winner"]]) for c in j]')
expect_exit 0 sn "$B" --json conflicts
expect_eq "provisional winners agree" "$(json_get '[(c["field"], [x["value"] for x in c["contenders"] if x["provisional_winner"]]) for c in j]')" "$WA"
expect_exit 0 sn "$A" show "$R2"
expect_stdout_contains "conflict"

say "resolve with --take and --value"
expect_exit 0 sn "$A" --json conflicts
TAKE=$(json_get '[x["n"] for c in j if c["field"]=="phone" for x in c["contenders"] if x["value"]=="111"][0]')
expect_exit 0 sn "$A" resolve "$R2" phone --take "$TAKE"
expect_exit 0 sn "$B" resolve "$R2" address --value 丙地
expect_exit 0 sn "$B" --json conflicts
KEEP=$(json_get '[x["n"] for c in j if c["field"]=="_del" for x in c["contenders"] if x["value"] is False][0]')
expect_exit 0 sn "$B" resolve "$A_AID" _del --take "$KEEP"
# Out-of-range and unknown resolutions are refused without change.
D=$(digest_of "$A")
expect_exit 3 sn "$A" resolve "$R2" address --take 9
expect_same_digest "resolve --take 9" "$D" "$A"
expect_exit 2 sn "$A" resolve "$R2" address --take 0
expect_exit 3 sn "$A" resolve "$R2" address --value 1950-13-01x$'\xff'
expect_same_digest "bad resolve" "$D" "$A"
expect_exit 0 sn "$A" export-bundle "$T/r-ab.bundle" --since-of "$B"
expect_exit 0 sn "$B" export-bundle "$T/r-ba.bundle" --since-of "$A"
expect_exit 0 sn "$B" import-bundle "$T/r-ab.bundle"
expect_exit 0 sn "$A" import-bundle "$T/r-ba.bundle"
same_digests "$A" "$B" "after resolving"
for n in "$A" "$B"; do
	expect_exit 0 sn "$n" --json conflicts
	expect_eq "conflicts left on $(basename "$n")" "$(json_get 'j')" "[]"
	expect_exit 0 sn "$n" --json show "$R2"
	expect_eq "phone on $(basename "$n")" "$(json_get 'j["fields"]["phone"]')" 111
	expect_eq "address on $(basename "$n")" "$(json_get 'j["fields"]["address"]')" 丙地
	expect_exit 0 sn "$n" --json show "$A_AID"
	expect_eq "aid kept on $(basename "$n")" "$(json_get 'j["deleted"]')" False
	expect_eq "aid amount on $(basename "$n")" "$(json_get 'j["fields"]["amount"]')" 1600.00
	expect_exit 0 sn "$n" digest
	expect_stdout_contains " 0 open conflicts"
done
# A last full exchange, both directions, with vectors: nothing more to send.
sn "$A" vector "$T/a2.vector" || fail "vector a"
sn "$B" vector "$T/b2.vector" || fail "vector b"
expect_exit 0 sn "$A" export-bundle "$T/z1.bundle" --since-of "$T/b2.vector"
expect_stdout_contains "Wrote 0 entries"
expect_exit 0 sn "$B" export-bundle "$T/z2.bundle" --since-of "$T/a2.vector"
expect_stdout_contains "Wrote 0 entries"
