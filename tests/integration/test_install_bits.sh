#!/usr/bin/env bash
# test_install_bits.sh - what the package installs around the programs, run
# from the build tree: the backup with retention (silversync-backup, the
# backup unit's command), the bash completion (command names from the
# programs' tables), the man pages (every command of the table listed),
# and how silvernode finds silvernode-net ($SILVER_NET first).
. "$(dirname "$0")/lib.sh"

BACKUP=$SILVER_BIN/silversync-backup
[[ -x $BACKUP ]] || die "no $BACKUP"

say "silversync-backup: keeps the newest SILVER_BACKUP_KEEP, each one a node"
expect_exit 0 sn "$T/n" init --township longhu
expect_exit 0 sn "$T/n" add retiree name=张德明 category=honorary gender=m birth_date=1928-03-15
mkdir "$T/backups"
for i in 1 2 3; do
	expect_exit 0 env SILVERNODE="$SN" SILVER_BACKUP_DIR="$T/backups" SILVER_BACKUP_KEEP=2 "$BACKUP" "$T/n" n
	expect_stdout_contains "backed up to $T/backups/n-"
done
# three runs within a second or two: names stay apart (.2, .3 suffixes)
backups=("$T"/backups/n-*)
expect_eq "backups kept" "${#backups[@]}" 2
expect_same_digest "a kept backup" "$(digest_of "$T/n")" "${backups[0]}"
expect_same_digest "the other kept backup" "$(digest_of "$T/n")" "${backups[1]}"
ls -a "$T/backups" | grep -q partial && fail "a .partial directory was left" || pass
expect_exit 0 stat -c %a "${backups[0]}"
expect_stdout_contains 700

say "silversync-backup: a failed backup keeps the older ones and leaves nothing"
expect_exit 4 env SILVERNODE="$SN" SILVER_BACKUP_DIR="$T/backups" SILVER_BACKUP_KEEP=1 "$BACKUP" "$T/nonode" n
expect_stderr_contains "older backups are kept"
after=("$T"/backups/n-*)
expect_eq "backups after a failure" "${#after[@]}" 2
ls -a "$T/backups" | grep -q partial && fail "a .partial directory was left" || pass
expect_exit 2 env SILVERNODE="$SN" SILVER_BACKUP_DIR="$T/backups" SILVER_BACKUP_KEEP=0 "$BACKUP" "$T/n" n
expect_exit 2 env SILVERNODE="$SN" SILVER_BACKUP_DIR="$T/backups" "$BACKUP" "$T/n" ../x
expect_exit 2 env SILVERNODE="$SN" SILVER_BACKUP_DIR="$T/none" "$BACKUP" "$T/n" n

say "the command table: --commands, the man page, silvernode-net"
expect_exit 0 "$SN" --commands
expect_stdout_contains import-bundle
cmds=$(cat "$T/out")
expect_exit 0 "$SILVER_BIN/silvernode-net" --commands
expect_eq "silvernode-net's commands" "$(tr '\n' ' ' <"$T/out")" "hub serve sync daemon status "
MAN=$SILVER_BUILD/docs/man/silvernode.1
if [[ -f $MAN ]]; then
	for c in $cmds; do
		grep -q "^\\\\fB$c\\\\fR" "$MAN" && pass || fail "the man page does not list '$c'"
	done
else
	fail "no man page built ($MAN; is scdoc installed?)"
fi
expect_exit 1 env SILVER_NET="$T/no-such-net" "$SN" --dir "$T/n" status
expect_stderr_contains "cannot run $T/no-such-net"
# $SILVER_NET comes first: a stand-in that shows what it was given
printf '#!/bin/sh\necho "net: $*"\n' >"$T/fake-net"
chmod 755 "$T/fake-net"
expect_exit 0 env SILVER_NET="$T/fake-net" "$SN" --dir "$T/n" --json status
expect_stdout_contains "net: --dir $T/n --json status"

say "bash completion"
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
	complete_words() {
		bash -c '. /usr/share/bash-completion/bash_completion
			. "$1"; shift
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			f=$(complete -p "${1##*/}" | sed "s/.*-F \([^ ]*\) .*/\1/")
			"$f" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
			echo "${COMPREPLY[*]}"' _ "$SILVER_SRC/tools/completion/silversync.bash" "$@"
	}
	expect_exit 0 complete_words "$SN" im
	expect_stdout_contains "import import-bundle"
	expect_exit 0 complete_words "$SN" --dir "$T/n" add re
	expect_stdout_contains retiree
	expect_exit 0 complete_words "$SILVER_BIN/silver-review" ""
	expect_stdout_contains "aid-anomalies"
	expect_exit 0 complete_words "$SILVER_BIN/silver-stats" --format ""
	expect_stdout_contains "table csv json html"
else
	fail "bash-completion is not installed (tools/bootstrap.sh installs it)"
fi
