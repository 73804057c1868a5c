#!/usr/bin/env bash
# tests/i18n_check.sh [SRC_DIR] - is the zh_CN catalogue complete for the current sources?
#
# Extracts every _() / N_() string from the .c/.h files in proto/ node/ tools/
# (the same xgettext options as the `pot` target in po/CMakeLists.txt) into a
# temporary directory, merges the result with po/zh_CN.po, and fails when
#   - msgfmt -c finds an error in po/zh_CN.po or in the merged catalogue
#     (bad header, printf formats that differ between msgid and msgstr, ...);
#   - any msgid is untranslated or fuzzy (each is listed with its source line).
# Obsolete entries (strings gone from the sources) are reported, not failed.
# The sources and po/ are never modified.  Fix a failure with
# `cmake --build BUILD --target po-update`, then translate po/zh_CN.po.
#
# SRC_DIR defaults to $SILVER_SRC, else the directory above this script.
# Exit 0 complete, 1 incomplete or invalid, 2 cannot run (tool or file missing).
set -euo pipefail

src=${1:-${SILVER_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}}
lang=${SILVER_I18N_LANG:-zh_CN}
po="$src/po/$lang.po"

for tool in xgettext msgmerge msgattrib msgfmt; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "i18n_check: $tool not found (Debian package gettext)" >&2
		exit 2
	fi
done
if [[ ! -f $po ]]; then
	echo "i18n_check: $po does not exist" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/silver-i18n.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Print each entry of a .po file as "  <first reference>  \"msgid\"" (plural
# forms appended), one a line, in file order.
list_msgids()
{
	awk '
	function flush() {
		if (have && id != "")
			printf "  %-28s \"%s\"%s\n", (ref == "" ? "(no reference)" : ref), id, (plural == "" ? "" : "  [plural \"" plural "\"]")
		have = 0; id = ""; plural = ""; ref = ""; field = ""
	}
	/^#: / { if (have) flush(); if (ref == "") ref = $2; next }
	/^msgid_plural / { field = "plural"; sub(/^msgid_plural "/, ""); sub(/"$/, ""); plural = $0; next }
	/^msgid / { have = 1; field = "id"; sub(/^msgid "/, ""); sub(/"$/, ""); id = $0; next }
	/^msgstr/ { field = ""; next }
	/^"/ {
		sub(/^"/, ""); sub(/"$/, "")
		if (field == "id") id = id $0
		else if (field == "plural") plural = plural $0
		next
	}
	/^$/ { flush() }
	END { flush() }
	' "$1"
}

count_msgids()
{
	list_msgids "$1" | wc -l
}

cd "$src"
find proto node tools -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | LC_ALL=C sort >"$tmp/POTFILES"
nfiles=$(wc -l <"$tmp/POTFILES")
if [[ $nfiles -eq 0 ]]; then
	echo "i18n_check: no .c/.h files under proto/ node/ tools/ in $src" >&2
	exit 2
fi

xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=P_:1,2 -c \
	--package-name=silversync --sort-by-file --force-po \
	--output="$tmp/silversync.pot" --files-from="$tmp/POTFILES"
nstrings=$(count_msgids "$tmp/silversync.pot")

fail=0

if ! msgfmt --check --output-file=/dev/null "po/$lang.po" 2>"$tmp/msgfmt.po.err"; then
	echo "FAIL: msgfmt -c finds errors in po/$lang.po:"
	sed 's/^/  /' "$tmp/msgfmt.po.err"
	fail=1
fi

msgmerge --quiet --no-wrap --force-po --output-file="$tmp/merged.po" "po/$lang.po" "$tmp/silversync.pot"

if ! msgfmt --check --output-file=/dev/null "$tmp/merged.po" 2>"$tmp/msgfmt.merged.err"; then
	echo "FAIL: msgfmt -c finds errors once po/$lang.po is merged with the current sources:"
	sed "s|$tmp/merged.po|po/$lang.po (merged)|; s/^/  /" "$tmp/msgfmt.merged.err"
	fail=1
fi

msgattrib --untranslated --no-obsolete --no-wrap --force-po --output-file="$tmp/untranslated.po" "$tmp/merged.po"
msgattrib --only-fuzzy --no-obsolete --no-wrap --force-po --output-file="$tmp/fuzzy.po" "$tmp/merged.po"
msgattrib --only-obsolete --no-wrap --force-po --output-file="$tmp/obsolete.po" "$tmp/merged.po"

# The header entry (msgid "") is skipped by list_msgids; a fuzzy header
# makes msgfmt ignore the charset, so it is reported on its own.
if grep -q '^#, fuzzy' "$tmp/fuzzy.po" && awk '/^#, fuzzy/{f=1; next} f && /^msgid ""$/{found=1} {f=0} END{exit !found}' "$tmp/fuzzy.po"; then
	echo "FAIL: the header entry of po/$lang.po is marked fuzzy; remove the '#, fuzzy' line above it"
	fail=1
fi

nuntrans=$(count_msgids "$tmp/untranslated.po")
nfuzzy=$(count_msgids "$tmp/fuzzy.po")
nobsolete=$(grep -c '^#~ msgid ' "$tmp/obsolete.po" || true)

if [[ $nuntrans -gt 0 ]]; then
	echo "FAIL: $nuntrans msgid(s) in the sources have no translation in po/$lang.po:"
	list_msgids "$tmp/untranslated.po"
	fail=1
fi
if [[ $nfuzzy -gt 0 ]]; then
	echo "FAIL: $nfuzzy msgid(s) have only a fuzzy (unchecked) translation in po/$lang.po:"
	list_msgids "$tmp/fuzzy.po"
	fail=1
fi
if [[ $nobsolete -gt 0 ]]; then
	echo "note: po/$lang.po has $nobsolete entr(y/ies) no longer in the sources (po-update marks them obsolete)"
fi

echo "i18n_check: $nfiles source files, $nstrings strings; $nuntrans untranslated, $nfuzzy fuzzy"
if [[ $fail -ne 0 ]]; then
	echo "i18n_check: FAILED - run 'cmake --build BUILD --target po-update' and translate po/$lang.po"
	exit 1
fi
echo "i18n_check: po/$lang.po is complete"
