#!/usr/bin/env bash
# test_bad_input.sh - every kind of bad input a branch office can type or
# import is refused with the documented exit code (docs/EXIT.md: 3 for
# invalid input), a message that names the field (and the CSV row), and no
# change at all: the node's digest is byte-identical before and after.
. "$(dirname "$0")/lib.sh"

N=$T/node
sn "$N" init --township longhu >/dev/null 2>&1 || die "init failed"
R=$(sn "$N" add retiree name=王德明 category=retired birth_date=1948-06-01) || die "add retiree failed"
A=$(sn "$N" add aid retiree="$R" date=2025-02-01 amount=300 reason=old_age) || die "add aid failed"
V=$(sn "$N" add visit retiree="$R" date=2025-02-02 type=birthday) || die "add visit failed"
sn "$N" delete "$V" >/dev/null || die "delete failed"

# refused CODE TEXT... -- CMD... (lib.sh), and stdout stays empty
refused() { refused_in "$N" 1 "$@"; }

GOOD=(name=李四 category=retired birth_date=1950-01-01)

say "invalid field values"
refused 3 "field birth_date" "no such date" -- sn "$N" add retiree name=A category=retired birth_date=1950-02-30
refused 3 "field birth_date" "1950-13-01" -- sn "$N" add retiree name=A category=retired birth_date=1950-13-01
refused 3 "field birth_date" "not a date" -- sn "$N" add retiree name=A category=retired birth_date=1950-1-1
refused 3 "field birth_date" -- sn "$N" add retiree name=A category=retired birth_date=01/02/1950
refused 3 "field date" -- sn "$N" add visit retiree="$R" date=2023-02-29 type=birthday
refused 3 "field category" "honorary, retired" -- sn "$N" add retiree name=A category=bogus birth_date=1950-01-01
refused 3 "field category" -- sn "$N" add retiree name=A category=Retired birth_date=1950-01-01
refused 3 "field type" -- sn "$N" add visit retiree="$R" date=2025-01-01 type=party
refused 3 "field gender" -- sn "$N" add retiree "${GOOD[@]}" gender=x
refused 3 "field amount" "not an amount" -- sn "$N" add aid retiree="$R" date=2025-01-01 amount=abc reason=illness
refused 3 "field amount" "two decimals" -- sn "$N" add aid retiree="$R" date=2025-01-01 amount=12.345 reason=illness
refused 3 "field amount" "negative" -- sn "$N" add aid retiree="$R" date=2025-01-01 amount=-5 reason=illness
refused 3 "field amount" "too large" -- sn "$N" add aid retiree="$R" date=2025-01-01 amount=99999999999999999999 reason=illness
refused 3 "field amount" -- sn "$N" add aid retiree="$R" date=2025-01-01 amount=1e3 reason=illness
refused 3 "field amount" -- sn "$N" add aid retiree="$R" date=2025-01-01 amount=1,500.00 reason=illness
refused 3 "field amount" -- sn "$N" set "$A" amount=0x10
refused 3 "field hardship" "illness, old_age, low_income, other" -- sn "$N" add retiree "${GOOD[@]}" hardship=illness,rich
refused 3 "field hardship" -- sn "$N" set "$R" hardship=wealth
refused 3 "field name" "UTF-8" -- sn "$N" add retiree name=$'\xff\xfe' category=retired birth_date=1950-01-01
refused 3 "field name" "UTF-8" -- sn "$N" add retiree name=$'ab\xc3' category=retired birth_date=1950-01-01
refused 3 "field notes" "UTF-8" -- sn "$N" set "$R" notes=$'overlong \xc0\xaf'
refused 3 "field notes" "UTF-8" -- sn "$N" set "$R" notes=$'surrogate \xed\xa0\x80'
refused 3 "field name" "control character" -- sn "$N" add retiree name=$'a\tb' category=retired birth_date=1950-01-01
refused 3 "field name" "too long" -- sn "$N" set "$R" name="$(printf '%5000s' x | tr ' ' y)"
refused 3 "field name" "cannot be empty" -- sn "$N" set "$R" name=
refused 3 "field name" "cannot be empty" -- sn "$N" set "$R" "name=   "
refused 3 "field name" "given twice" -- sn "$N" add retiree "${GOOD[@]}" name=again

say "unknown and missing fields"
refused 3 "field shoe" "no such field" -- sn "$N" add retiree "${GOOD[@]}" shoe=42
refused 3 "field shoe" -- sn "$N" set "$R" shoe=42
refused 3 "field _del" -- sn "$N" set "$R" _del=true
refused 3 "field _del" -- sn "$N" add aid retiree="$R" date=2025-01-01 amount=1 reason=other _del=true
refused 3 "field birth_date" "required" -- sn "$N" add retiree name=A category=retired
refused 3 "field category" "required" -- sn "$N" add retiree name=A birth_date=1950-01-01
refused 3 "field retiree" "required" -- sn "$N" add visit date=2025-01-01 type=birthday
refused 3 "field amount" "required" -- sn "$N" add aid retiree="$R" date=2025-01-01 reason=illness

say "bad references and malformed ids"
MISSING=longhu/retiree/038h6j4jn2000ffff
refused 3 "field retiree" "does not exist" "$MISSING" -- sn "$N" add visit retiree="$MISSING" date=2025-01-01 type=birthday
refused 3 "field retiree" "not a record id" -- sn "$N" add visit retiree=garbage date=2025-01-01 type=birthday
refused 3 "field retiree" -- sn "$N" add visit retiree=longhu/retiree/ date=2025-01-01 type=birthday
refused 3 "field retiree" "retiree" -- sn "$N" add visit retiree="$A" date=2025-01-01 type=birthday
refused 3 "field retiree" -- sn "$N" add aid retiree=xinyan/retiree/038h6j4jn200049d7 date=2025-01-01 amount=1 reason=other
refused 3 "field retiree" -- sn "$N" set "$A" retiree="$MISSING"
refused 3 "not a record id" -- sn "$N" set longhu/retiree/nope name=x
refused 3 "not a record id" -- sn "$N" set garbage name=x
refused 3 "not a record id" -- sn "$N" show garbage
refused 3 "not a record id" -- sn "$N" history garbage
refused 4 "$MISSING" -- sn "$N" set "$MISSING" name=x
refused 4 "$MISSING" -- sn "$N" delete "$MISSING"
refused 4 "deleted" -- sn "$N" set "$V" notes=late
refused 4 "deleted" -- sn "$N" delete "$V"
refused 6 "xinyan" -- sn "$N" set xinyan/retiree/038h6j4jn200049d7 name=x

say "unknown collection"
refused 3 "spaceship" -- sn "$N" add spaceship name=x
refused 3 "spaceship" -- sn "$N" list spaceship
refused 3 "spaceship" -- sn "$N" import spaceship /dev/null

say "bad list filters"
refused 3 "shoe" -- sn "$N" list retiree shoe=1
refused 3 "field category" -- sn "$N" list retiree category=zz

say "resolve"
refused 3 "field shoe" -- sn "$N" resolve "$R" shoe --value 1
refused 2 "--take" -- sn "$N" resolve "$R" name --take zero

say "malformed CSV: nothing is imported, not even the good rows before the bad one"
csv() { printf '%b' "$2" >"$T/$1.csv"; }
HDR='name,category,birth_date,gender\n'
OK3='甲,retired,1950-01-01,m\n乙,honorary,1930-02-02,f\n丙,retired,1951-03-03,\n'
csv quote "$HDR$OK3\"丁,retired,1952-04-04,m\n戊,retired,1952-04-05,m\n"
csv fine "$HDR$OK3"
for bad in 'Wang Li' '' 'abcdefghijklmnopqrstuvwxyz0123456' '王丽'; do
	refused 3 "is not an account name" -- sn "$N" import --operator "$bad" retiree "$T/fine.csv"
done
refused 3 "quote.csv" "row 5" "quoted" -- sn "$N" import retiree "$T/quote.csv"
csv cells "$HDR${OK3}丁,retired,1952-04-04\n戊,retired,1952-04-05,m\n"
refused 3 "row 5" "cells" -- sn "$N" import retiree "$T/cells.csv"
csv extra "$HDR${OK3}丁,retired,1952-04-04,m,extra\n"
refused 3 "row 5" "cells" -- sn "$N" import retiree "$T/extra.csv"
csv date "name,category,birth_date\nA,retired,1950-01-01\nB,retired,1950-01-02\nC,retired,1950-02-30\nD,retired,1950-01-04\n"
refused 3 "row 4" "field birth_date" "1950-02-30" -- sn "$N" import retiree "$T/date.csv"
csv enum "$HDR${OK3}丁,retird,1952-04-04,m\n"
refused 3 "row 5" "field category" -- sn "$N" import retiree "$T/enum.csv"
csv utf8 "$HDR${OK3}丁\xff,retired,1952-04-04,m\n"
refused 3 "row 5" "field name" "UTF-8" -- sn "$N" import retiree "$T/utf8.csv"
csv required "$HDR${OK3},retired,1952-04-04,m\n"
refused 3 "row 5" "field name" "required" -- sn "$N" import retiree "$T/required.csv"
csv unknown "name,category,birth_date,shoe\nA,retired,1950-01-01,42\n"
refused 3 "header, column 4" "shoe" -- sn "$N" import retiree "$T/unknown.csv"
csv missing "name,category\nA,retired\n"
refused 3 "row 2" "field birth_date" -- sn "$N" import retiree "$T/missing.csv"
csv twice "name,name,category,birth_date\nA,B,retired,1950-01-01\n"
refused 3 "column 2" "name" -- sn "$N" import retiree "$T/twice.csv"
csv stray "$HDR${OK3}丁,ret\"ired,1952-04-04,m\n"
refused 3 "stray.csv" "row 5" -- sn "$N" import retiree "$T/stray.csv"
csv empty ""
refused 3 "empty.csv" "empty" -- sn "$N" import retiree "$T/empty.csv"
csv ref "retiree,date,type\n$R,2025-03-01,birthday\n$MISSING,2025-03-02,festival\n"
refused 3 "row 3" "field retiree" "does not exist" -- sn "$N" import visit "$T/ref.csv"
csv wrongcoll "retiree,date,type\n$A,2025-03-01,birthday\n"
refused 3 "row 2" "field retiree" -- sn "$N" import visit "$T/wrongcoll.csv"
# The last row of many is bad: still nothing.
python3 - "$T/late.csv" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("name,category,birth_date\n")
    for i in range(2000):
        f.write(f"R{i},retired,1950-01-{i % 28 + 1:02d}\n")
    f.write("Bad,retired,1950-04-31\n")
EOF
refused 3 "row 2002" "field birth_date" -- sn "$N" import retiree "$T/late.csv"
# A blank line in the middle: the row named must still be the file's line
# (a spreadsheet shows the blank line as a row).
csv blank "name,category,birth_date\nA,retired,1950-01-01\n\nC,retired,1950-02-30\n"
refused 3 "row 4" "field birth_date" -- sn "$N" import retiree "$T/blank.csv"
refused 4 "no-such.csv" -- sn "$N" import retiree "$T/no-such.csv"

say "the good files of the same shape do import"
csv good "$HDR$OK3"
expect_exit 0 sn "$N" import retiree "$T/good.csv"
expect_stdout_contains "Imported 3 records"
csv goodbom "\xef\xbb\xbfname,category,birth_date\r\n丁,retired,1952-04-04\r\n"
expect_exit 0 sn "$N" import retiree "$T/goodbom.csv"
expect_stdout_contains "Imported 1 records"

say "an import larger than the map: the map grows, the import runs again from the first row, every row lands once"
python3 - "$T/many.csv" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("name,category,birth_date,address\n")
    for i in range(12000):
        f.write(f"M{i},retired,1950-01-{i % 28 + 1:02d},新郑市龙湖镇某某村某某组 第{i}号 一段较长的地址文字\n")
EOF
G="$T/grow"
expect_exit 0 env SILVER_TEST_MAP_BYTES=2097152 "$SN" --dir "$G" init --township longhu
expect_exit 0 env SILVER_TEST_MAP_BYTES=2097152 "$SN" --dir "$G" import retiree "$T/many.csv"
expect_stdout_contains "Imported 12000 records"
expect_exit 0 sn "$G" digest
expect_stdout_contains "12000 records"
for name in M0 M511 M512 M6000 M11999; do
	expect_exit 0 sn "$G" --json list retiree "name=$name"
	[[ $(json_get 'len(j)') == 1 ]] || fail "record $name is not there exactly once"
done
[[ $(stat -c %s "$G/data.mdb") -gt 4194304 ]] || fail "the map did not grow: the test did not run the import again"

say "bad bundle and vector arguments"
printf 'not json' >"$T/v.json"
refused 3 "v.json" -- sn "$N" export-bundle "$T/out.bundle" --since-of "$T/v.json"
printf '{"format":"other","feeds":[]}' >"$T/v2.json"
refused 3 "not a silversync vector" -- sn "$N" export-bundle "$T/out.bundle" --since-of "$T/v2.json"
printf '{"format":"silversync-vector","feeds":[{"feed":"zz","seq":1}]}' >"$T/v3.json"
refused 3 "feed 1" -- sn "$N" export-bundle "$T/out.bundle" --since-of "$T/v3.json"
[[ -e $T/out.bundle ]] && fail "a refused export-bundle wrote $T/out.bundle"
printf 'garbage' >"$T/g.bundle"
before=$(digest_of "$N")
expect_exit 5 sn "$N" import-bundle "$T/g.bundle"
expect_stderr_contains "g.bundle"
expect_same_digest "garbage bundle" "$before" "$N"
refused 4 "no file" -- sn "$N" import-bundle "$T/none.bundle"
