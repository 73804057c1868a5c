#!/usr/bin/env bash
# test_review.sh - silver-review on real nodes: each kind of conflict (the
# same field edited on two nodes, edited on one and deleted on another, three
# contenders) is listed, shown with every contender and its common base,
# resolved (one at a time and from a file, all or nothing), and the
# resolution converges on the other node after a bundle exchange.  Also the
# probable duplicates across townships and the aid paid twice.
. "$(dirname "$0")/lib.sh"

SR="$SILVER_BIN/silver-review"
[[ -x $SR ]] || die "no silver-review in $SILVER_BIN"
rv() {
	local d=$1
	shift
	"$SR" --dir "$d" "$@"
}
# ship FROM TO: a bundle of what TO lacks, imported by TO
ship() {
	sn "$T/$1" export-bundle "$T/b.bundle" --since-of "$T/$2" >/dev/null || fail "export $1 -> $2"
	sn "$T/$2" import-bundle "$T/b.bundle" >/dev/null || fail "import $1 -> $2"
}

cd "$T" || die "no temp dir"

# ---- a county: admin, three Longhu nodes, one Xinyan node ----------------------------
sn "$T/admin" admin init --name 县委组织部 >/dev/null || die "admin init"
ADMIN=$(key_of "$T/admin")
for n in a b c x; do
	tw=longhu
	[[ $n == x ]] && tw=xinyan
	sn "$T/$n" init --township $tw --name "node-$n" --admin "$ADMIN" >/dev/null || die "init $n"
done
sn "$T/admin" admin certify "$(key_of "$T/a")" --role branch --write longhu --name 龙湖镇办公室 >/dev/null || die certify
sn "$T/admin" admin certify "$(key_of "$T/b")" --role branch --write longhu --name 龙湖走访笔记本 >/dev/null || die certify
sn "$T/admin" admin certify "$(key_of "$T/c")" --role branch --write longhu --name 龙湖镇第三台 >/dev/null || die certify
sn "$T/admin" admin certify "$(key_of "$T/x")" --role branch --write xinyan --name 新烟街道 >/dev/null || die certify
sn "$T/admin" export-bundle certs.bundle >/dev/null || die "certs bundle"
for n in a b c x; do sn "$T/$n" import-bundle certs.bundle >/dev/null || die "certs to $n"; done

# ---- a node with nothing to review yet: empty lists, not a failure --------------------
for what in duplicates aid-anomalies; do
	expect_exit 0 rv "$T/a" --json "$what"
	expect_eq "$what on an empty node" "$(cat "$T/out")" "[]"
done

# ---- shared starting point, then divergent edits offline ------------------------------
# created by an import that names its operator (as the workbench's does)
printf 'name,category,birth_date,address,notes,id_number\n张德明,honorary,1928-03-15,文昌路1号,初始,410184192803150011\n' \
	>"$T/zhang.csv"
sn "$T/a" import --operator wang.li retiree "$T/zhang.csv" >/dev/null || die "import"
ZHANG=$(sn "$T/a" --json list retiree | python3 -c 'import json,sys; print(*[r["id"] for r in json.load(sys.stdin) if r["fields"]["name"] == "张德明"])')
[[ $ZHANG == longhu/retiree/* ]] || die "no id for the imported retiree"
WANG=$(sn "$T/a" add retiree name=王建国 category=retired birth_date=1952-10-20 phone=13800000000) || die "add"
sn "$T/a" set "$ZHANG" notes=共同基础 >/dev/null || die "set"
ship a b
ship a c

sn "$T/a" set "$ZHANG" address=文昌路1号院3栋 notes=甲 >/dev/null || fail "a edits"
sn "$T/b" set "$ZHANG" address=文昌路1号3单元 notes=乙 >/dev/null || fail "b edits"
sn "$T/c" set "$ZHANG" notes=丙 >/dev/null || fail "c edits"
sn "$T/a" delete "$WANG" >/dev/null || fail "a deletes"
sn "$T/b" set "$WANG" phone=13900000000 >/dev/null || fail "b edits the deleted one"
# the same payment entered by two offices (a probable double payment) and one that differs
sn "$T/a" add aid retiree="$ZHANG" date=2026-04-02 amount=1500.50 reason=low_income >/dev/null || fail aid
sn "$T/b" add aid retiree="$ZHANG" date=2026-04-02 amount=1500.50 reason=low_income >/dev/null || fail aid
sn "$T/b" add aid retiree="$ZHANG" date=2026-04-03 amount=1500.50 reason=low_income >/dev/null || fail aid
ship b a
ship c a

# ---- list ------------------------------------------------------------------------------
expect_exit 0 rv "$T/a" list && expect_stdout_contains "3 open conflicts"
expect_stdout_contains "Address"
expect_stdout_contains "deleted or kept"
expect_exit 0 rv "$T/a" --json list && expect_json
expect_eq "conflicts listed" "$(json_get 'sorted((c["record"].split("/")[1], c["field"], c["contenders"]) for c in j)')" \
	"[('retiree', '_del', 2), ('retiree', 'address', 2), ('retiree', 'notes', 3)]"
expect_exit 0 rv "$T/a" --json list --township xinyan && expect_eq "other township" "$(json_get 'len(j)')" 0
expect_exit 0 rv "$T/a" --json list --collection aid && expect_eq "other collection" "$(json_get 'len(j)')" 0
expect_exit 0 rv "$T/a" --json list --older-than 0 && expect_eq "older than 0 days" "$(json_get 'len(j)')" 3
expect_exit 0 rv "$T/a" --json list --older-than 30 && expect_eq "older than 30 days" "$(json_get 'len(j)')" 0
expect_exit 3 rv "$T/a" list --collection nosuch
expect_exit 2 rv "$T/a" list --older-than soon

# ---- show: contenders side by side and the common base ----------------------------------
expect_exit 0 rv "$T/a" show "$ZHANG" address
expect_stdout_contains "文昌路1号院3栋"
expect_stdout_contains "文昌路1号3单元"
expect_stdout_contains "龙湖镇办公室"
expect_stdout_contains "龙湖走访笔记本"
expect_stdout_contains "Last agreed value: 文昌路1号 "
expect_exit 0 rv "$T/a" --json show "$ZHANG" notes && expect_json
expect_eq "three contenders" "$(json_get 'sorted(c["value"] for c in j["contenders"])')" "['丙', '乙', '甲']"
expect_eq "offices" "$(json_get 'sorted(c["office"] for c in j["contenders"])')" \
	"['龙湖走访笔记本', '龙湖镇办公室', '龙湖镇第三台']"
expect_eq "base of three" "$(json_get 'j["base"]["value"]')" "共同基础"
expect_eq "base office" "$(json_get 'j["base"]["office"]')" "龙湖镇办公室"
expect_eq "no operator: made on the command line" "$(json_get '[c["operator"] for c in j["contenders"]] + [j["base"]["operator"]]')" \
	"[None, None, None, None]"
expect_exit 0 rv "$T/a" --json show "$ZHANG" address && expect_json
expect_eq "the base's operator, from its entry" "$(json_get 'j["base"]["operator"]')" "wang.li"
expect_exit 0 rv "$T/a" show "$ZHANG" address
expect_stdout_contains "Operator"
expect_exit 0 rv "$T/a" --json show "$WANG" _del && expect_json
expect_eq "edit vs delete" "$(json_get 'sorted(c["value"] for c in j["contenders"])')" "['deleted', 'kept']"
expect_eq "base of edit vs delete" "$(json_get 'j["base"]["value"]')" "kept"
expect_exit 4 rv "$T/a" show "$ZHANG" name
OTHER=${ZHANG%?}e
[[ $OTHER == "$ZHANG" ]] && OTHER=${ZHANG%?}f
expect_exit 4 rv "$T/a" show "$OTHER" address
expect_exit 3 rv "$T/a" show not-an-id address

# ---- resolve: one at a time ---------------------------------------------------------------
TAKE=$(rv "$T/a" --json show "$ZHANG" address |
	python3 -c 'import json,sys; print([c["n"] for c in json.load(sys.stdin)["contenders"] if c["value"]=="文昌路1号3单元"][0])')
expect_exit 0 rv "$T/a" resolve "$ZHANG" address --take "$TAKE" && expect_stdout_contains "Resolved"
expect_exit 3 rv "$T/a" resolve "$ZHANG" address --take 1 && expect_stderr_contains "not in conflict"
expect_exit 2 rv "$T/a" resolve "$ZHANG" notes --take x
expect_exit 0 rv "$T/a" --json list && expect_eq "two left" "$(json_get 'len(j)')" 2

# ---- resolve --from: all or nothing -------------------------------------------------------
DEL_KEEP=$(rv "$T/a" --json show "$WANG" _del |
	python3 -c 'import json,sys; print([c["n"] for c in json.load(sys.stdin)["contenders"] if c["value"]=="kept"][0])')
printf 'id,field,resolution\n%s,notes,value:商定\n%s,_del,take:9\n' "$ZHANG" "$WANG" >bad.csv
before=$(digest_of "$T/a")
expect_exit 3 rv "$T/a" resolve --from bad.csv && expect_stderr_contains "row 3"
expect_same_digest "a refused batch writes nothing" "$before" "$T/a"
printf 'id,field\n' >short.csv
expect_exit 3 rv "$T/a" resolve --from short.csv
printf '%s,notes,maybe\n' "$ZHANG" >verb.csv
expect_exit 3 rv "$T/a" resolve --from verb.csv && expect_stderr_contains "take:N or value:TEXT"
expect_exit 4 rv "$T/a" resolve --from nosuch.csv
printf 'id,field,resolution\n%s,notes,"value:商定, 三方"\n%s,_del,take:%s\n' "$ZHANG" "$WANG" "$DEL_KEEP" >good.csv
expect_exit 0 rv "$T/a" resolve --from good.csv && expect_stdout_contains "Resolved 2 conflicts"
expect_exit 0 rv "$T/a" list && expect_stdout_contains "No open conflicts"
expect_exit 0 sn "$T/a" show "$ZHANG" && expect_stdout_contains "商定, 三方"
expect_stdout_contains "文昌路1号3单元"
expect_exit 0 sn "$T/a" show "$WANG" && expect_stdout_contains "13900000000"

# ---- the resolutions converge on the other nodes after a bundle exchange --------------------
ship a b
ship a c
expect_exit 0 rv "$T/b" list && expect_stdout_contains "No open conflicts"
expect_exit 0 rv "$T/c" list && expect_stdout_contains "No open conflicts"
expect_eq "a and b agree" "$(sn "$T/b" digest --township longhu)" "$(sn "$T/a" digest --township longhu)"
expect_eq "a and c agree" "$(sn "$T/c" digest --township longhu)" "$(sn "$T/a" digest --township longhu)"
expect_exit 0 sn "$T/b" show "$ZHANG" && expect_stdout_contains "商定, 三方"

# ---- duplicates across townships ---------------------------------------------------------------
sn "$T/x" add retiree name=张德明 category=honorary birth_date=1928-03-15 id_number=410184192803150011 >/dev/null ||
	fail "x adds"
sn "$T/x" add retiree name=王建国 category=retired birth_date=1952-10-20 >/dev/null || fail "x adds"
sn "$T/x" add retiree name=李秀英 category=retired birth_date=1949-07-01 >/dev/null || fail "x adds"
sn "$T/a" add retiree name=李秀英 category=retired birth_date=1950-01-01 >/dev/null || fail "a adds"
sn "$T/a" add retiree name=孙某 category=retired birth_date=1950-01-01 >/dev/null || fail "a adds"
sn "$T/a" add retiree name=孙某 category=retired birth_date=1950-01-01 >/dev/null || fail "a adds (same township)"
ship x a
expect_exit 0 rv "$T/a" --json duplicates && expect_json
expect_eq "duplicates" "$(json_get 'sorted((d["reason"], d["retirees"][0]["name"], sorted(r["township"] for r in d["retirees"])) for d in j)')" \
	"[('id_number', '张德明', ['longhu', 'xinyan']), ('name_birth_date', '王建国', ['longhu', 'xinyan'])]"
expect_exit 0 rv "$T/a" duplicates && expect_stdout_contains "Same ID card number"
expect_stdout_contains "$ZHANG"

# ---- duplicates within a township (an office's own) ------------------------------------------------------
expect_exit 0 rv "$T/a" --json duplicates --within && expect_json
expect_eq "within" "$(json_get 'sorted((d["reason"], d["retirees"][0]["name"], [r["township"] for r in d["retirees"]]) for d in j)')" \
	"[('name_birth_date', '孙某', ['longhu', 'longhu'])]"
expect_exit 0 rv "$T/a" --json duplicates --township longhu && expect_json
expect_eq "within longhu" "$(json_get 'len(j)')" 1
expect_exit 0 rv "$T/a" duplicates --township xinyan && expect_stdout_contains "No probable duplicate retirees within xinyan."
expect_exit 2 rv "$T/a" duplicates --township 'Bad Code'

# ---- list by township at the hub ---------------------------------------------------------------------------
expect_exit 0 sn "$T/a" --json list retiree --township xinyan && expect_json
expect_eq "list --township" "$(json_get 'sorted(r["id"].split("/")[0] for r in j)')" "['xinyan', 'xinyan', 'xinyan']"
expect_exit 0 sn "$T/a" list retiree --township xinyan name=李秀英
expect_eq "list --township with a filter" "$(wc -l <"$T/out")" 1
expect_exit 0 sn "$T/a" list retiree --township baqian && expect_stdout_empty
expect_exit 2 sn "$T/a" list retiree --township

# ---- aid paid twice by different offices: flagged, both kept ---------------------------------------
expect_exit 0 rv "$T/a" --json aid-anomalies && expect_json
expect_eq "one anomaly" "$(json_get 'len(j)')" 1
expect_eq "its payments" "$(json_get '(j[0]["date"], j[0]["amount"], j[0]["name"], sorted(p["office"] for p in j[0]["payments"]))')" \
	"('2026-04-02', '1500.50', '张德明', ['龙湖走访笔记本', '龙湖镇办公室'])"
expect_exit 0 rv "$T/a" aid-anomalies && expect_stdout_contains "Possible double payment"
expect_exit 0 sn "$T/a" --json list aid && expect_eq "no payment merged away" "$(json_get 'len(j)')" 3

# ---- usage and missing nodes ------------------------------------------------------------------------
expect_exit 2 rv "$T/a" frobnicate
expect_exit 2 "$SR"
expect_exit 0 "$SR" --help && expect_stdout_contains "aid-anomalies"
expect_exit 4 rv "$T/nowhere" list
