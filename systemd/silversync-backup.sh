#!/bin/sh
# silversync-backup NODE-DIR NAME: a backup of one node with retention, as
# silversync-backup@NAME.service runs it (docs/OPERATIONS.md, section 8).
#
# Writes `silvernode --dir NODE-DIR backup` into $SILVER_BACKUP_DIR/NAME-<UTC
# time> (through a .partial directory, renamed once the backup is complete and
# opens: a failed run leaves nothing that counts as a backup), then removes
# the oldest NAME-* backups beyond the newest $SILVER_BACKUP_KEEP.
# Environment: SILVER_BACKUP_DIR (default /var/backups/silversync),
# SILVER_BACKUP_KEEP (default 14, at least 1), SILVERNODE (the program,
# default @SILVER_BINDIR@/silvernode).  Exit status: silvernode's on a failed
# backup, 2 on a usage error, 0 otherwise.
set -eu

prog=silversync-backup
if [ $# -ne 2 ]; then
	echo "usage: $prog NODE-DIR NAME" >&2
	exit 2
fi
node=$1
name=$2
dir=${SILVER_BACKUP_DIR:-/var/backups/silversync}
keep=${SILVER_BACKUP_KEEP:-14}
silvernode=${SILVERNODE:-@SILVER_BINDIR@/silvernode}

case $keep in
'' | *[!0-9]* | 0) echo "$prog: SILVER_BACKUP_KEEP must be a whole number >= 1, not '$keep'" >&2; exit 2 ;;
esac
case $name in
'' | *[!A-Za-z0-9_.@-]* | .*) echo "$prog: '$name' is not a backup name (letters, digits, _ . @ -)" >&2; exit 2 ;;
esac
if [ ! -d "$dir" ]; then
	echo "$prog: the backup directory $dir does not exist" >&2
	exit 2
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
final=$dir/$name-$stamp
n=1
while [ -e "$final" ]; do	# two runs within one second
	n=$((n + 1))
	final=$dir/$name-$stamp.$n
done
partial=$dir/.partial-$name-$stamp.$$
rc=0
"$silvernode" --dir "$node" backup "$partial" >/dev/null || rc=$?
if [ $rc -eq 0 ]; then
	"$silvernode" --dir "$partial" digest >/dev/null || rc=$?
fi
if [ $rc -ne 0 ]; then
	rm -rf -- "$partial"
	echo "$prog: the backup of $node failed (silvernode exit $rc); older backups are kept" >&2
	exit $rc
fi
mv -- "$partial" "$final"
echo "$prog: $node backed up to $final"

# Retention: NAME-YYYYmmddTHHMMSSZ[.N] sort by time; drop all but the newest $keep.
ls -1d -- "$dir/$name"-[0-9]*Z "$dir/$name"-[0-9]*Z.[0-9]* 2>/dev/null | sort -V | head -n "-$keep" |
	while IFS= read -r old; do
		rm -rf -- "$old"
		echo "$prog: removed the old backup $old"
	done
