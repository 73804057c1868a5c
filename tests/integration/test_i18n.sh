#!/usr/bin/env bash
# test_i18n.sh - the programs speak Chinese where the user asks for it:
#   - LANG=zh_CN.UTF-8 on a machine where that locale is not generated (only
#     C.UTF-8 is): the programs fall back to C.UTF-8 and still speak Chinese;
#   - plural forms come from the catalogue (ngettext);
#   - a program copied out of the build tree (as an installed one is) never
#     reads the build tree's catalogue.
. "$(dirname "$0")/lib.sh"

if locale -a 2>/dev/null | grep -qi '^zh_CN\.utf-\?8$'; then
	say "note: zh_CN.UTF-8 is generated here; the fallback path is not exercised"
fi

say "LANG=zh_CN.UTF-8 without the locale: Chinese all the same"
zh() { env -u LC_ALL -u LANGUAGE LANG=zh_CN.UTF-8 "$@"; }
expect_exit 2 zh "$SN" --dir "$T/none" list
expect_stderr_contains "哪种记录"
expect_exit 4 zh "$SN" --dir "$T/none" status
expect_stderr_contains "中没有节点"
expect_exit 2 env -u LANGUAGE LC_ALL=zh_CN.UTF-8 LANG=C "$SN" --dir "$T/none" list
expect_stderr_contains "哪种记录"
expect_exit 2 env LC_ALL=zh_CN.UTF-8 LANGUAGE=en "$SN" --dir "$T/none" list
expect_stderr_contains "which collection"
expect_exit 2 env -u LANGUAGE LC_ALL=C.UTF-8 "$SN" --dir "$T/none" list
expect_stderr_contains "which collection"
if [[ -x $SILVER_BIN/silver-stats ]]; then
	expect_exit 2 zh "$SILVER_BIN/silver-stats" --format nope
	expect_stderr_contains "只能是 table"
fi

say "a program outside the build tree does not read the build tree's catalogue"
mkdir -p "$T/bin"
cp "$SN" "$T/bin/silvernode"
installed_mo=$(strings "$SN" | grep -m1 '/share/locale$' || true)
if [[ -n $installed_mo && -e $installed_mo/zh_CN/LC_MESSAGES/silversync.mo ]]; then
	say "note: a catalogue is installed in $installed_mo; the copy may speak Chinese from there"
else
	expect_exit 2 env LC_ALL=C.UTF-8 LANGUAGE=zh_CN "$T/bin/silvernode" --dir "$T/none" list
	expect_stderr_contains "which collection"
	# ... and reads the one it is told to
	expect_exit 2 env LC_ALL=C.UTF-8 LANGUAGE=zh_CN SILVER_LOCALEDIR="$SILVER_BIN/../locale" \
		"$T/bin/silvernode" --dir "$T/none" list
	expect_stderr_contains "哪种记录"
fi


say "no English codes in what people read: list, history, log, roles, status"
cn() { env LC_ALL=C.UTF-8 LANGUAGE=zh_CN "$SN" --dir "$1" "${@:2}"; }
expect_exit 0 sn "$T/adm" admin init
expect_exit 0 sn "$T/n" init --township longhu --admin "$(key_of "$T/adm")"
R=$(sn "$T/n" add retiree name=张德明 category=honorary gender=m birth_date=1928-03-15 hardship=old_age,illness) || die add
expect_exit 0 sn "$T/n" set "$R" category=retired
expect_exit 0 sn "$T/adm" admin certify "$(key_of "$T/n")" --role branch --write longhu --name 龙湖镇老干部办
for cmd in "list retiree" "history $R" "log" "status"; do
	# shellcheck disable=SC2086 # the command's words
	expect_exit 0 cn "$T/n" $cmd
	if grep -Eqw 'honorary|retired|old_age|illness|category|hardship|gender|change|by|entry' "$T/out"; then
		fail "English codes in '$cmd': $(grep -Ew 'honorary|retired|old_age|illness|category|hardship|gender|change|by|entry' "$T/out" | head -2)"
	fi
	CHECKS=$((CHECKS + 1))
done
expect_exit 0 cn "$T/n" list retiree && expect_stdout_contains "人员类别 退休干部"
expect_exit 0 cn "$T/n" history "$R" && expect_stdout_contains "离休干部 -> 退休干部"
expect_stdout_contains "（龙湖镇）"
expect_exit 0 cn "$T/adm" admin list && expect_stdout_contains "单位"
CHECKS=$((CHECKS + 1))
if grep -Eqw 'branch|hub|admin' "$T/out"; then
	fail "English roles in admin list: $(cat "$T/out")"
fi
