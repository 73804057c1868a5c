#!/usr/bin/env bash
# test_restore.sh - backup and restore: a node restored from an old backup
# must not fork its own feed.  It refuses to write (exit 6, saying why) until
# it has received its own entries newer than the backup, then writes again;
# an operator can also release it with caught-up.  Restoring never touches
# an existing node, and a refused write changes nothing.
. "$(dirname "$0")/lib.sh"

sn "$T/hub" init --township county >/dev/null
sn "$T/a" init --township longhu --name 龙湖镇 >/dev/null
id=$(sn "$T/a" add retiree name=甲 category=retired birth_date=1950-01-01)
# The workbench's accounts go with the backup (the hub has none: no copy).
printf 'a-long-password\n' | sn "$T/a" user add clerk1 --role clerk >/dev/null

expect_exit 0 sn "$T/a" backup "$T/bak"
expect_stdout_contains "Backed up"
mode=$(stat -c %a "$T/bak/identity.key")
expect_eq "key file mode in the backup" "$mode" 600
mode=$(stat -c %a "$T/bak/accounts/data.mdb")
expect_eq "accounts mode in the backup" "$mode" 600
mode=$(stat -c %a "$T/bak/accounts")
expect_eq "accounts directory mode in the backup" "$mode" 700
expect_exit 0 sn "$T/hub" backup "$T/hubbak"
expect_eq "a node without accounts backs up none" "$(ls "$T/hubbak")" "$(printf 'data.mdb\nidentity.key')"
expect_exit 3 sn "$T/a" backup "$T/bak"
expect_stderr_contains "already exists"

# The laptop goes on after the backup, reaches the hub, then is lost.
sn "$T/a" set "$id" phone=111 >/dev/null
sn "$T/a" export-bundle "$T/a.bundle" >/dev/null
sn "$T/hub" import-bundle "$T/a.bundle" >/dev/null

expect_exit 3 sn "$T/a" restore --from "$T/bak"
expect_stderr_contains "already holds a node"
expect_exit 4 sn "$T/r" restore --from "$T/nothing-here"
rm -rf "$T/r"
expect_exit 0 sn "$T/r" restore --from "$T/bak"
expect_stdout_contains "will not write"
expect_exit 0 sn "$T/r" user list
expect_stdout_contains "clerk1"

before=$(digest_of "$T/r")
expect_exit 6 sn "$T/r" set "$id" phone=222
expect_stderr_contains "restored from a backup"
expect_exit 6 sn "$T/r" add retiree name=乙 category=retired birth_date=1951-01-01
expect_eq "digest after refused writes" "$(digest_of "$T/r")" "$before"

# Its own newer entries come back from the hub: it writes again, no fork.
sn "$T/hub" export-bundle "$T/back.bundle" --since-of "$T/r" >/dev/null
expect_exit 0 sn "$T/r" import-bundle "$T/back.bundle"
expect_exit 0 sn "$T/r" set "$id" phone=222
sn "$T/r" export-bundle "$T/r.bundle" --since-of "$T/hub" >/dev/null
expect_exit 0 sn "$T/hub" import-bundle "$T/r.bundle"
expect_exit 0 sn "$T/hub" forks
expect_stdout_contains "No forks"
expect_exit 0 sn "$T/hub" show "$id"
expect_stdout_contains "222"

# The operator's way out, when nothing newer exists anywhere.
rm -rf "$T/r2"
sn "$T/r2" restore --from "$T/bak" >/dev/null
expect_exit 6 sn "$T/r2" set "$id" phone=333
expect_exit 0 sn "$T/r2" caught-up
expect_exit 0 sn "$T/r2" set "$id" phone=333
expect_exit 0 sn "$T/r2" caught-up
expect_stdout_contains "not waiting"

# Writing after caught-up when newer entries did exist: the hub refuses
# the second history and keeps the proof.
sn "$T/r2" export-bundle "$T/r2.bundle" >/dev/null
expect_exit 5 sn "$T/hub" import-bundle "$T/r2.bundle"
expect_stderr_contains "fork"
expect_exit 0 sn "$T/hub" forks
expect_stdout_contains "FORK"

