#!/usr/bin/env bash
# test_sync.sh - replication over ZeroMQ with real processes on 127.0.0.1:
# a county admin, a hub and four nodes (two offices of township t1, one of
# t2, one uncertified).  Offline edits, syncs in a random order, equal
# digests within a township, no feed of another township, an unknown key
# refused, garbage bytes that do not stop the hub, SIGTERM stops it cleanly.
. "$(dirname "$0")/lib.sh"

say "county: admin, hub, offices"
expect_exit 0 sn "$T/admin" admin init
ADM=$(key_of "$T/admin")
expect_exit 0 sn "$T/hub" init --township county --admin "$ADM"
for n in n1:t1 n2:t1 n3:t2 rogue:t2; do
	expect_exit 0 sn "$T/${n%%:*}" init --township "${n##*:}" --admin "$ADM"
done
HUBKEY=$(key_of "$T/hub")
expect_exit 0 sn "$T/admin" admin certify "$HUBKEY" --role hub --write county --name hub
for n in n1:t1 n2:t1 n3:t2; do
	expect_exit 0 sn "$T/admin" admin certify "$(key_of "$T/${n%%:*}")" --role branch --write "${n##*:}" --name "${n%%:*}"
done

PORT=$(free_port)
EP=tcp://127.0.0.1:$PORT
bg_start "$SN" --dir "$T/hub" hub --listen "$EP" 2>"$T/hub.log"
HUB=$BG_PID
wait_port "$PORT" || die "the hub does not listen on $PORT"

say "the admin brings the certificates to the hub"
expect_exit 0 sn "$T/admin" sync "$EP" --server-key "$HUBKEY"
expect_stdout_contains "Sent "

say "offline edits"
expect_exit 0 sn "$T/n1" add retiree name=张三 category=retired gender=m birth_date=1950-01-02
ID1=$(tail -1 "$T/out")
for i in 1 2 3; do
	expect_exit 0 sn "$T/n1" add visit retiree="$ID1" date=2025-0$i-01 type=birthday
	expect_exit 0 sn "$T/n3" add retiree name=李$i category=honorary gender=f birth_date=1940-03-0$i
done

say "syncs in a random order"
ORDER=(n1 n2 n3 n1 n2 n3 n2 n1)
for ((i = ${#ORDER[@]} - 1; i > 0; i--)); do
	j=$((RANDOM % (i + 1)))
	t=${ORDER[$i]}
	ORDER[$i]=${ORDER[$j]}
	ORDER[$j]=$t
done
say "order: ${ORDER[*]}"
for n in "${ORDER[@]}"; do
	expect_exit 0 sn "$T/$n" sync "$EP" --server-key "$HUBKEY"
done
# A random order may leave n2 behind n1's last push; one settling round in
# a fixed order brings every office up to date before the next step.
for n in n1 n2 n3 n1; do
	expect_exit 0 sn "$T/$n" sync "$EP" --server-key "$HUBKEY"
done
expect_eq "t1 offices converge after any order" "$(digest_of "$T/n1")" "$(digest_of "$T/n2")"

say "both offices of t1 edit the same field offline: a conflict"
expect_exit 0 sn "$T/n1" set "$ID1" address=一号院
expect_exit 0 sn "$T/n2" set "$ID1" address=二号院
for n in n1 n2 n1 n2; do
	expect_exit 0 sn "$T/$n" sync "$EP" --server-key "$HUBKEY"
done
expect_eq "t1 offices converge" "$(digest_of "$T/n1")" "$(digest_of "$T/n2")"
expect_exit 0 sn "$T/n1" --json conflicts
expect_stdout_contains "address"

say "a sync with nothing new sends and receives nothing"
expect_exit 0 sn "$T/n3" --json sync "$EP"
expect_json
expect_eq "sent" "$(json_get 'j["sent"]')" 0
expect_eq "received" "$(json_get 'j["received"]')" 0

say "a township never receives another township's feeds"
expect_exit 0 sn "$T/n3" --json log
expect_json
expect_eq "t1 feeds at n3" "$(json_get 'sum(1 for e in j if e["township"] == "t1")')" 0
expect_eq "t2 entries at n3" "$(json_get 'sum(1 for e in j if e["township"] == "t2")')" 3
expect_exit 0 sn "$T/n1" --json log
expect_eq "t2 feeds at n1" "$(json_get 'sum(1 for e in j if e["township"] == "t2")')" 0
expect_exit 0 sn "$T/hub" --json log
expect_eq "the hub holds t1" "$(json_get 'sum(1 for e in j if e["township"] == "t1") > 0')" True
expect_eq "the hub holds t2" "$(json_get 'sum(1 for e in j if e["township"] == "t2")')" 3

say "an unknown key is refused"
expect_exit 6 sn "$T/rogue" sync "$EP" --server-key "$HUBKEY" --timeout 5
expect_stderr_contains "refused this node's key"
expect_exit 8 sn "$T/n3" sync tcp://127.0.0.1:$(free_port) --server-key "$HUBKEY" --timeout 1
expect_stderr_contains "cannot reach the server"

say "an unreachable hub is given up in seconds, without --timeout"
# Nothing listens on the port: no TCP connection ever comes.  The default
# silence timeout is 20 s; the connection deadline is 2.5 s (plus the
# program's start and end).  The check is 10 s: well under the old 22 s (so
# it fails without the deadline), with room for a loaded sanitizer build.
t0=$(date +%s%N)
expect_exit 8 sn "$T/n3" sync tcp://127.0.0.1:$(free_port) --server-key "$HUBKEY"
t1=$(date +%s%N)
expect_stderr_contains "cannot reach the server"
elapsed_ms=$(((t1 - t0) / 1000000))
[ "$elapsed_ms" -le 10000 ] || fail "an unreachable hub took ${elapsed_ms} ms to give up (want <= 10000)"
say "unreachable hub given up in ${elapsed_ms} ms"

say "something that accepts TCP but is no hub is given up in seconds too"
SILENT_PORT=$(free_port)
bg_start python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(max(0.1, end - time.time()))
    try:
        conns.append(s.accept()[0])   # accept, never answer
    except socket.timeout:
        pass
' "$SILENT_PORT"
SILENT=$BG_PID
wait_port "$SILENT_PORT" || die "the silent listener does not listen"
t0=$(date +%s%N)
expect_exit 8 sn "$T/n3" sync tcp://127.0.0.1:$SILENT_PORT --server-key "$HUBKEY"
t1=$(date +%s%N)
expect_stderr_contains "no silversync server answers"
elapsed_ms=$(((t1 - t0) / 1000000))
[ "$elapsed_ms" -le 10000 ] || fail "a silent listener took ${elapsed_ms} ms to give up (want <= 10000)"
say "silent listener given up in ${elapsed_ms} ms"
bg_kill "$SILENT"

say "garbage bytes do not stop the hub"
python3 - "$PORT" <<'EOF' || fail "garbage sender failed"
import os, socket, sys
port = int(sys.argv[1])
payloads = [os.urandom(4096), b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x01NULL" + b"\x00" * 60,
            b"GET / HTTP/1.0\r\n\r\n", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f" * 100]
for p in payloads:
    s = socket.create_connection(("127.0.0.1", port), 2)
    try:
        s.sendall(p)
        s.settimeout(0.5)
        s.recv(1024)
    except OSError:
        pass
    s.close()
EOF
kill -0 "$HUB" 2>/dev/null || fail "the hub died after garbage bytes"
expect_exit 0 sn "$T/n2" add retiree name=王五 category=retired gender=m birth_date=1951-05-05
expect_exit 0 sn "$T/n2" sync "$EP" --server-key "$HUBKEY"
expect_stdout_contains "Sent 1 entries"
expect_exit 0 sn "$T/n1" sync "$EP" --server-key "$HUBKEY"
expect_eq "t1 offices converge again" "$(digest_of "$T/n1")" "$(digest_of "$T/n2")"

say "a sync that receives entries far ahead of the clock says so, as import-bundle does"
FUTURE=$(($(date +%s) * 1000 + 86400000))
SILVER_FAKE_TIME_MS=$FUTURE expect_exit 0 sn "$T/n2" add retiree name=赵六 category=retired gender=f birth_date=1952-06-06
expect_exit 0 sn "$T/n2" sync "$EP" --server-key "$HUBKEY"
expect_exit 0 sn "$T/n1" sync "$EP" --server-key "$HUBKEY"
expect_stdout_contains "carry a clock far ahead of this machine's"
expect_exit 0 sn "$T/n1" --json sync "$EP" --server-key "$HUBKEY"
expect_eq "nothing more is skewed" "$(json_get 'j["skewed"]')" 0

say "status knows the hub"
expect_exit 0 sn "$T/n1" --json status
expect_json
expect_eq "to send" "$(json_get 'j[0]["to_send"]')" 0
expect_eq "peer township" "$(json_get 'j[0]["township"]')" county

say "SIGTERM stops the hub cleanly"
kill -TERM "$HUB"
for ((i = 0; i < 50; i++)); do
	kill -0 "$HUB" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$HUB" 2>/dev/null; then
	fail "the hub did not stop on SIGTERM"
	bg_kill "$HUB"
else
	wait "$HUB"
	expect_eq "hub exit status" "$?" 0
	BG_PIDS=()
fi
CHECKS=$((CHECKS + 1))
grep -q "refused a connection" "$T/hub.log" || fail "the hub did not log the refused key"
grep -q "^<6>silvernode: stopped" "$T/hub.log" || fail "the hub did not log its stop"
