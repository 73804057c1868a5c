#!/usr/bin/env bash
# tests/package.sh - build the Debian package from this tree, install it on
# this machine, smoke-test the installed programs and units, purge it, and
# check that it is gone (docs/BUILDING.md, "The Debian package").  The
# package stage of tests/run.sh.  Needs root (it installs a package and
# makes a system user) and the packages tools/bootstrap.sh installs.
#
# usage: tests/package.sh [--out DIR]
#   --out DIR   also copy the built .deb into DIR
#
# What it checks, with the installed programs (/usr/bin, /usr/libexec):
#   - the package builds (dpkg-buildpackage -b, in a copy of the tree) and
#     installs with apt-get; the silversync user and its directories exist;
#     silvernode-net is in libexec and not on the PATH; the man pages, the
#     completion and the /etc/silversync files are there;
#   - systemd-analyze security (offline) rates the hub and daemon units <= 3.0;
#   - as the silversync user: admin init, hub and office init, certify, add,
#     a hub started from the installed unit's ExecStart line (with its
#     environment file, the node directory and the address changed to a
#     scratch node and 127.0.0.1), sync to it, silver-stats, silver-audit of
#     the hub's store, and the backup unit's ExecStart line run three times
#     with SILVER_BACKUP_KEEP=2;
#   - purging it (apt-get purge, which waits for the dpkg lock) leaves none
#     of the package's files.
# Every process it starts it stops by its PID; what it made outside the
# package (the smoke nodes, and the user and directories when they were not
# there before) it removes at the end.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROG=tests/package.sh
out=
while [[ $# -gt 0 ]]; do
	case $1 in
	--out)
		[[ $# -ge 2 ]] || { echo "$PROG: --out needs a directory" >&2; exit 2; }
		out=$2
		shift
		;;
	-h | --help)
		sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*) echo "$PROG: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
if [[ $(id -u) -ne 0 ]]; then
	echo "$PROG: needs root (installs the package, makes the silversync user)" >&2
	exit 2
fi
for tool in dpkg-buildpackage dpkg-checkbuilddeps dh apt-get systemd-analyze setpriv; do
	command -v "$tool" >/dev/null || { echo "$PROG: $tool not found (tools/bootstrap.sh installs it)" >&2; exit 2; }
done
if dpkg-query -W -f='${db:Status-Status}' silversync 2>/dev/null | grep -qvx not-installed; then
	# Left by an earlier run that was killed?  On CI, where nothing else
	# installs it, purge it; elsewhere it may be a real install: refuse.
	if [[ ${CI:-} == true ]]; then
		echo "$PROG: purging the silversync package left installed by an earlier run"
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 purge -y silversync >/dev/null || exit 1
	else
		echo "$PROG: silversync is installed already; purge it first (apt-get purge silversync)" >&2
		exit 2
	fi
fi

# --- build ----------------------------------------------------------------------------
W=$(mktemp -d "${TMPDIR:-/tmp}/silver-package.XXXXXX") || exit 2
trap 'rm -rf "$W"' EXIT
echo "# building the package in a copy of the tree"
mkdir "$W/src"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	# what git tracks or would track: committed or not, never build trees
	(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$ROOT" && tar --null -T - -cf -) | tar -xf - -C "$W/src" || exit 1
else
	tar -C "$ROOT" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -xf - -C "$W/src" || exit 1
fi
(cd "$W/src" && dpkg-checkbuilddeps) || { echo "$PROG: build dependencies missing (tools/bootstrap.sh)" >&2; exit 1; }
start=$SECONDS
if ! (cd "$W/src" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=$(nproc)" dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1; then
	tail -n 40 "$W/build.log" >&2
	echo "$PROG: dpkg-buildpackage failed" >&2
	exit 1
fi
deb=$(ls "$W"/silversync_*.deb 2>/dev/null | head -n1)
[[ -n $deb ]] || { echo "$PROG: no .deb was made" >&2; exit 1; }
echo "# built ${deb##*/} in $((SECONDS - start)) s"
dpkg-deb -I "$deb" | sed -n 's/^ \(Depends\|Installed-Size\):/#   \1:/p'
if [[ -n $out ]]; then
	mkdir -p "$out" && cp "$deb" "$out/" || exit 1
fi

# --- install ----------------------------------------------------------------------------
had_user=0
getent passwd silversync >/dev/null && had_user=1
had_lib=0
[[ -e /var/lib/silversync ]] && had_lib=1
had_backups=0
[[ -e /var/backups/silversync ]] && had_backups=1

echo "# apt-get install ${deb##*/}"
if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$deb" \
	>"$W/install.log" 2>&1; then
	tail -n 30 "$W/install.log" >&2
	echo "$PROG: the package does not install" >&2
	exit 1
fi

# From here on, the shell-test helpers, with the installed programs.
SILVER_BIN=/usr/bin
. "$ROOT/tests/integration/lib.sh"
TEST_NAME=package
SMOKE=/var/lib/silversync/smoke-$$
purged=0

package_cleanup() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		if jobs -p | grep -qx "$pid"; then
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		fi
	done
	BG_PIDS=()
	rm -rf "$SMOKE" /var/lib/silversync/smoke-"$$"-hub /var/backups/silversync/smoke-"$$"-hub-* /var/backups/silversync/.partial-smoke-"$$"-*
	if [[ $purged -eq 0 ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 purge -y silversync >/dev/null 2>&1
	fi
	# What the package made and keeps on purge (data and user), when it was
	# not there before this test.
	[[ $had_lib -eq 0 ]] && rm -rf /var/lib/silversync
	[[ $had_backups -eq 0 ]] && rm -rf /var/backups/silversync
	if [[ $had_user -eq 0 ]] && getent passwd silversync >/dev/null; then
		userdel silversync 2>/dev/null
		getent group silversync >/dev/null && groupdel silversync 2>/dev/null
	fi
	rm -rf "$W"
	_cleanup
}
trap package_cleanup EXIT

say "what the package installed"
expect_exit 0 getent passwd silversync
for f in /usr/bin/silvernode /usr/bin/silver-review /usr/bin/silver-stats /usr/bin/silver-audit \
	/usr/libexec/silversync/silvernode-net /usr/libexec/silversync/silvernode-web \
	/usr/libexec/silversync/silversync-backup; do
	[[ -x $f ]] && pass || fail "$f is not installed"
done
[[ ! -e /usr/bin/silvernode-net ]] && pass || fail "silvernode-net is on the PATH"
[[ ! -e /usr/bin/silvernode-web ]] && pass || fail "silvernode-web is on the PATH"
for p in silvernode silvernode-net silver-review silver-stats silver-audit; do
	[[ -f /usr/share/man/man1/$p.1.gz ]] && pass || fail "no man page for $p"
	if command -v man >/dev/null; then
		expect_exit 0 man -l /usr/share/man/man1/$p.1.gz
		expect_stdout_contains "$p"
	fi
	[[ $p == silvernode-net || -f /usr/share/bash-completion/completions/$p ]] && pass ||
		fail "no bash completion for $p"
done
[[ -f /usr/share/man/zh_CN/man1/silvernode.1.gz ]] && pass || fail "no Chinese man page for silvernode"
for f in hub.env backup.env node.env.example; do
	[[ -f /etc/silversync/$f ]] && pass || fail "/etc/silversync/$f is missing"
done
expect_exit 0 dpkg-query -W -f='${Conffiles}\n' silversync
expect_stdout_contains /etc/silversync/hub.env
expect_exit 0 stat -c '%U %a' /var/lib/silversync
expect_stdout_contains "silversync 750"
expect_exit 0 stat -c '%U %a' /var/backups/silversync
expect_stdout_contains "silversync 700"
[[ -f /usr/share/doc/silversync/OPERATIONS.md ]] && pass || fail "the units' Documentation= file is not installed"
expect_exit 0 /usr/bin/silvernode --version
expect_stdout_contains "silvernode (silversync)"
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
	expect_exit 0 bash -c '. /usr/share/bash-completion/bash_completion
		COMP_WORDS=(silvernode im); COMP_CWORD=1; COMP_LINE="silvernode im"; COMP_POINT=13
		_completion_loader silvernode; $(complete -p silvernode | sed "s/.*-F \([^ ]*\) .*/\1/") silvernode im silvernode
		echo "${COMPREPLY[*]}"'
	expect_stdout_contains "import import-bundle"
fi

say "systemd-analyze security: <= 3.0"
cp /lib/systemd/system/silversync-daemon@.service "$T/silversync-daemon@smoke.service"
cp /lib/systemd/system/silversync-backup@.service "$T/silversync-backup@smoke.service"
for unit in /lib/systemd/system/silversync-hub.service "$T/silversync-daemon@smoke.service" \
	"$T/silversync-backup@smoke.service"; do
	expect_exit 0 systemd-analyze security --offline=true --threshold=30 "$unit"
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$T/out")
	echo "#   ${unit##*/}: $level"
	[[ -n $level ]] && awk -v l="$level" 'BEGIN { exit !(l <= 3.0) }' && pass ||
		fail "${unit##*/}: exposure '$level', want <= 3.0"
done

say "a county as the silversync user: admin, hub, office"
# The service user runs every command, as the units do.
cat >"$T/svc" <<'EOF'
#!/bin/sh
exec setpriv --reuid=silversync --regid=silversync --init-groups -- "$@"
EOF
chmod 755 "$T/svc"
cat >"$T/silvernode" <<EOF
#!/bin/sh
exec "$T/svc" /usr/bin/silvernode "\$@"
EOF
chmod 755 "$T/silvernode"
chmod 711 "$T"
SN=$T/silvernode
install -d -o silversync -g silversync -m 0750 "$SMOKE"
expect_exit 0 sn "$SMOKE/admin" admin init
ADM=$(key_of "$SMOKE/admin")
expect_exit 0 sn "$SMOKE/hub" init --township county --admin "$ADM"
expect_exit 0 sn "$SMOKE/office" init --township longhu --admin "$ADM"
HUBKEY=$(key_of "$SMOKE/hub")
expect_exit 0 sn "$SMOKE/admin" admin certify "$HUBKEY" --role hub --write county --name hub
expect_exit 0 sn "$SMOKE/admin" admin certify "$(key_of "$SMOKE/office")" --role branch --write longhu --name 龙湖镇
expect_exit 0 sn "$SMOKE/office" add retiree name=张德明 category=honorary gender=m birth_date=1928-03-15
ID=$(tail -n1 "$T/out")

say "the hub, from silversync-hub.service's ExecStart line"
exec_line=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/silversync-hub.service)
[[ $exec_line == /usr/bin/silvernode* ]] && pass || fail "unexpected ExecStart: $exec_line"
PORT=$(free_port)
# The unit's environment: its Environment= defaults, then hub.env; the node
# directory and the address changed for the test.
(
	set -a
	. /etc/silversync/hub.env
	SILVER_DIR=$SMOKE/hub
	SILVER_LISTEN=tcp://127.0.0.1:$PORT
	set +a
	line=${exec_line//'${SILVER_DIR}'/$SILVER_DIR}
	line=${line//'${SILVER_LISTEN}'/$SILVER_LISTEN}
	echo "$line" >"$T/hub.cmd"
)
read -r -a hub_cmd <"$T/hub.cmd"
echo "#   ${hub_cmd[*]}"
bg_start "$T/svc" "${hub_cmd[@]}" 2>"$T/hub.log"
HUB=$BG_PID
wait_port "$PORT" || die "the hub does not listen on 127.0.0.1:$PORT: $(cat "$T/hub.log")"
EP=tcp://127.0.0.1:$PORT
expect_exit 0 sn "$SMOKE/admin" sync "$EP" --server-key "$HUBKEY"
expect_exit 0 sn "$SMOKE/office" sync "$EP" --server-key "$HUBKEY"
expect_exit 0 sn "$SMOKE/hub" show "$ID"
expect_stdout_contains 张德明
expect_exit 0 "$T/svc" /usr/bin/silver-stats --dir "$SMOKE/hub" --format csv
expect_stdout_contains longhu
expect_exit 0 "$T/svc" /usr/bin/silver-audit --admin "$ADM" --store "$SMOKE/hub"
expect_exit 0 sn "$SMOKE/office" status
# the workbench's accounts: silvernode execs the installed silvernode-web
expect_exit 0 sn "$SMOKE/office" user add clerk1 --role clerk <<<"a long enough pass phrase"
expect_exit 0 sn "$SMOKE/office" user list
expect_stdout_contains clerk1
kill -TERM "$HUB"
wait "$HUB"
hub_rc=$?
BG_PIDS=()
expect_eq "the hub's exit status after SIGTERM" "$hub_rc" 0

say "backups, from silversync-backup@.service's ExecStart line (keep 2 of 3)"
exec_line=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/silversync-backup@.service)
name=smoke-$$-hub
mv "$SMOKE/hub" "/var/lib/silversync/$name"
line=${exec_line//%i/$name}
read -r -a backup_cmd <<<"$line"
for i in 1 2 3; do
	expect_exit 0 env SILVER_BACKUP_DIR=/var/backups/silversync SILVER_BACKUP_KEEP=2 "$T/svc" "${backup_cmd[@]}"
	sleep 1 # backups are named by the second
done
mv "/var/lib/silversync/$name" "$SMOKE/hub"
backups=(/var/backups/silversync/"$name"-*)
expect_eq "backups kept" "${#backups[@]}" 2
expect_exit 0 sn "${backups[1]}" digest
hub_digest=$(digest_of "$SMOKE/hub")
expect_same_digest "the newest backup" "$hub_digest" "${backups[1]}"

say "purge (apt-get purge: dpkg --purge, waiting for the dpkg lock)"
expect_exit 0 env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 purge -y silversync
purged=1
for f in /usr/bin/silvernode /usr/libexec/silversync /etc/silversync /lib/systemd/system/silversync-hub.service \
	/usr/share/man/man1/silvernode.1.gz /usr/share/doc/silversync /usr/lib/sysusers.d/silversync.conf; do
	[[ ! -e $f ]] && pass || fail "$f is still there after the purge"
done
expect_exit 1 dpkg-query -W -f='${db:Status-Status}' silversync
