#!/usr/bin/env bash
# test_sync_faults.sh - sync under faults, with real processes on 127.0.0.1:
# a county admin, a hub and six nodes (townships t1 (two offices), t2, t3,
# t4; one whose certificate does not cover its township; one that gets
# revoked), and an upper-tier hub.
#
#  1. offline edits and syncs in random orders and at random intervals;
#  2. SIGKILL of the hub or of a node's sync at random moments, KILLS times
#     (SILVER_FAULT_KILLS, default 100; 20 under SILVER_SANITIZE_BUILD=1):
#     every entry a sync reported as done (exit 0) stays at the hub, across
#     hub restarts;
#  3. syncs through tests/integration/fault_proxy (cuts, stalls, delays);
#  4. security: an unknown key, a revoked key and an uncovered township are
#     refused with the reason in the hub's log; a malformed, an oversized
#     message and a batch of garbage end that session only; garbage bytes do
#     not stop the hub;
#  5. everything converges (equal 'digest --township T' on every node that
#     reads T), and no township holds another's feeds;
#  6. the hub syncs to an upper-tier hub with the same command.
# SILVER_FAULT_SEED fixes the random choices (printed at the start).
#
# On a loaded machine (CI on two cores, other tests beside) the random
# stages 2 and 3 stop early when they use up their share of a time budget,
# SILVER_FAULT_BUDGET seconds (default 240; 480 under SILVER_SANITIZE_BUILD),
# after at least 10 kills and 5 proxied syncs; and a sync's --timeout is
# scaled from how long the first sync of the run took (at least 3 s), so a
# slow machine gets longer timeouts rather than failures.
. "$(dirname "$0")/lib.sh"

SEED=${SILVER_FAULT_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$SEED
if [[ -n ${SILVER_SANITIZE_BUILD:-} && ${SILVER_SANITIZE_BUILD} != 0 ]]; then
	KILLS=${SILVER_FAULT_KILLS:-20}
	PROXIED=${SILVER_FAULT_PROXIED:-10}
	BUDGET=${SILVER_FAULT_BUDGET:-480}
else
	KILLS=${SILVER_FAULT_KILLS:-100}
	PROXIED=${SILVER_FAULT_PROXIED:-30}
	BUDGET=${SILVER_FAULT_BUDGET:-240}
fi
STARTED=$SECONDS
# over_budget SHARE_PERCENT DONE MIN: the stage has used its share of the
# budget (counted from the start of the test) and done at least MIN trials.
over_budget() {
	(($2 >= $3 && SECONDS - STARTED > BUDGET * $1 / 100))
}
PROXY_BIN=${SILVER_BUILD:-$SILVER_BIN/..}/tests/fault_proxy
[[ -x $PROXY_BIN ]] || die "no fault_proxy at $PROXY_BIN (build the target fault_proxy)"
say "seed $SEED, $KILLS kills, $PROXIED proxied syncs"

# vec.py merge REQ DIR: REQ := max(REQ, what DIR holds); check REQ DIR: DIR
# holds at least REQ.  feeds.py DIR: the townships of the feeds DIR holds.
cat >"$T/vec.py" <<'EOF'
import json, subprocess, sys
def vec(d):
    out = subprocess.run([sys.argv[4], "--dir", d, "vector"], capture_output=True, check=True).stdout
    return {f["feed"]: (f["seq"], f["township"]) for f in json.loads(out)["feeds"]}
op, req, d = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    r = json.load(open(req))
except FileNotFoundError:
    r = {}
v = vec(d)
if op == "merge":
    for k, (s, t) in v.items():
        if s > r.get(k, [0])[0]:
            r[k] = [s, t]
    json.dump(r, open(req, "w"))
elif op == "check":
    bad = [(k, s, v.get(k, (0,))[0]) for k, (s, t) in r.items() if v.get(k, (0,))[0] < s]
    for k, s, got in bad[:5]:
        print("feed %s: acknowledged up to %d, held %d" % (k, s, got))
    sys.exit(1 if bad else 0)
elif op == "townships":
    print(" ".join(sorted({t for s, t in v.values()})))
EOF
vec() { python3 "$T/vec.py" "$1" "$2" "$3" "$SN"; }

# ---- the county ----------------------------------------------------------------
say "county: admin, hub, upper hub, offices"
expect_exit 0 sn "$T/admin" admin init
ADM=$(key_of "$T/admin")
NODES=(n1 n2 n3 n4 n5)
declare -A TW=([n1]=t1 [n2]=t1 [n3]=t2 [n4]=t3 [n5]=t4 [bad]=t6 [rev]=t5 [rogue]=t2)
for d in hub up; do
	expect_exit 0 sn "$T/$d" init --township county --admin "$ADM"
	expect_exit 0 sn "$T/admin" admin certify "$(key_of "$T/$d")" --role hub --write county --name "$d"
done
for n in "${NODES[@]}" bad rev rogue; do
	expect_exit 0 sn "$T/$n" init --township "${TW[$n]}" --admin "$ADM"
done
for n in "${NODES[@]}" rev; do
	expect_exit 0 sn "$T/admin" admin certify "$(key_of "$T/$n")" --role branch --write "${TW[$n]}" --name "$n"
done
# bad writes township t6, but its certificate covers t2 only
expect_exit 0 sn "$T/admin" admin certify "$(key_of "$T/bad")" --role branch --write t2 --name bad
HUBKEY=$(key_of "$T/hub")
UPKEY=$(key_of "$T/up")

PORT=$(free_port)
EP=tcp://127.0.0.1:$PORT
HUB=
start_hub() {
	bg_start "$SN" --dir "$T/hub" hub --listen "$EP" 2>>"$T/hub.log"
	HUB=$BG_PID
	wait_port "$PORT" || die "the hub does not listen on $PORT"
}
start_hub
t0=$(date +%s%N)
expect_exit 0 sn "$T/admin" sync "$EP" --server-key "$HUBKEY"
# The sync timeout from measured progress: ten times the first sync, at least 3 s.
first_ms=$((($(date +%s%N) - t0) / 1000000))
STO=$(((first_ms * 10 + 999) / 1000))
((STO < 3)) && STO=3
say "the first sync took $first_ms ms: syncs get --timeout $STO"

# one sync of node $1, recording what it held when the sync said it was done
REQ=$T/acked.json
sync_node() {
	local n=$1 rc
	shift
	"$SN" --dir "$T/$n" sync "$EP" --server-key "$HUBKEY" --timeout "$STO" "$@" >"$T/sync.out" 2>"$T/sync.err"
	rc=$?
	((rc == 0)) && vec merge "$REQ" "$T/$n"
	return $rc
}

ROW=0
edit() {
	local n=$1 k
	ROW=$((ROW + 1))
	case $((RANDOM % 6)) in
	0)
		# a bulk import: a sync long enough to be killed in the middle
		k=$((50 + RANDOM % 400))
		python3 - "$T/rows.csv" "$k" "$ROW" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("name,category,gender,birth_date\n")
    for i in range(int(sys.argv[2])):
        f.write("批量%s_%d,retired,f,1950-01-%02d\n" % (sys.argv[3], i, i % 28 + 1))
EOF
		"$SN" --dir "$T/$n" import retiree "$T/rows.csv" >/dev/null 2>"$T/edit.err" || fail "import at $n: $(cat "$T/edit.err")"
		;;
	1)
		# both t1 offices edit the same record: conflicts
		if [[ -n ${SHARED:-} && ${TW[$n]} == t1 ]]; then
			"$SN" --dir "$T/$n" set "$SHARED" address="$n-$ROW" >/dev/null 2>"$T/edit.err" ||
				grep -q "no such record" "$T/edit.err" || fail "set at $n: $(cat "$T/edit.err")"
		else
			"$SN" --dir "$T/$n" add visit retiree="${TW[$n]}/retiree/x" date=2025-01-01 type=birthday \
				>/dev/null 2>&1 || true
		fi
		;;
	*)
		"$SN" --dir "$T/$n" add retiree name="人$ROW" category=retired gender=m birth_date=1950-02-03 \
			>/dev/null 2>"$T/edit.err" || fail "add at $n: $(cat "$T/edit.err")"
		;;
	esac
}

# ---- 1. offline edits, syncs in random orders ------------------------------------------
say "offline edits and syncs in random orders and intervals"
expect_exit 0 sn "$T/n1" add retiree name=共享 category=retired gender=m birth_date=1950-01-02
SHARED=$(tail -1 "$T/out")
for ((r = 0; r < 40; r++)); do
	n=${NODES[RANDOM % ${#NODES[@]}]}
	edit "$n"
	if ((RANDOM % 2)); then
		n=${NODES[RANDOM % ${#NODES[@]}]}
		sync_node "$n" || fail "sync of $n: exit $?: $(cat "$T/sync.err")"
	fi
	sleep "0.0$((RANDOM % 5))"
done
for n in "${NODES[@]}" "${NODES[@]}"; do
	sync_node "$n" || fail "sync of $n: exit $?: $(cat "$T/sync.err")"
done

# ---- 2. SIGKILL ---------------------------------------------------------------------
say "SIGKILL of the hub or a node's sync at random moments, $KILLS times"
hub_kills=0
node_kills=0
completed=0
for ((k = 0; k < KILLS; k++)); do
	if over_budget 55 "$k" 10; then
		say "stage 2 stops after $k kills: its share of the ${BUDGET} s budget is used (a loaded machine)"
		break
	fi
	n=${NODES[RANDOM % ${#NODES[@]}]}
	edit "$n"
	"$SN" --dir "$T/$n" sync "$EP" --server-key "$HUBKEY" --timeout 1 >"$T/sync.out" 2>"$T/sync.err" &
	SP=$!
	BG_PIDS+=("$SP")
	# 0 to 30 ms into the sync (process start, handshake, batches, commits)
	sleep "0.0$((RANDOM % 3))$((RANDOM % 10))"
	victim=node
	((RANDOM % 2)) && victim=hub
	if [[ $victim == hub ]]; then
		bg_kill "$HUB"
		hub_kills=$((hub_kills + 1))
	else
		kill -9 "$SP" 2>/dev/null
	fi
	for ((i = 0; i < 100; i++)); do
		kill -0 "$SP" 2>/dev/null || break
		sleep 0.05
	done
	bg_kill "$SP"
	rc=$BG_STATUS
	if ((rc == 0)); then
		completed=$((completed + 1))
		vec merge "$REQ" "$T/$n"
	elif [[ $victim == node ]]; then
		node_kills=$((node_kills + 1))
	fi
	if [[ $victim == hub ]]; then
		start_hub
		CHECKS=$((CHECKS + 1))
		vec check "$REQ" "$T/hub" >"$T/check.out" || fail "after hub kill $hub_kills: acknowledged entries lost: $(cat "$T/check.out")"
	fi
done
say "$hub_kills hub kills, $node_kills syncs killed, $completed syncs finished before their kill"
CHECKS=$((CHECKS + 1))
vec check "$REQ" "$T/hub" >"$T/check.out" || fail "acknowledged entries lost: $(cat "$T/check.out")"
say "the next syncs resume"
for n in "${NODES[@]}"; do
	expect_exit 0 sync_node "$n"
done

# ---- 3. a bad network ------------------------------------------------------------------
say "$PROXIED syncs through a proxy that cuts, stalls and delays"
PPORT=$(free_port)
bg_start "$PROXY_BIN" proxy "$PPORT" "$PORT" "$SEED" 2>"$T/proxy.log"
PROXY=$BG_PID
wait_port "$PPORT" || die "the proxy does not listen"
proxied_ok=0
for ((k = 0; k < PROXIED; k++)); do
	if over_budget 80 "$k" 5; then
		say "stage 3 stops after $k proxied syncs: its share of the ${BUDGET} s budget is used (a loaded machine)"
		break
	fi
	n=${NODES[RANDOM % ${#NODES[@]}]}
	edit "$n"
	"$SN" --dir "$T/$n" sync "tcp://127.0.0.1:$PPORT" --server-key "$HUBKEY" --timeout 1 >"$T/sync.out" 2>"$T/sync.err"
	rc=$?
	if ((rc == 0)); then
		proxied_ok=$((proxied_ok + 1))
		vec merge "$REQ" "$T/$n"
	elif ((rc != 8)); then
		fail "a sync through the proxy ended with exit $rc (expected 0 or 8): $(cat "$T/sync.err")"
	fi
done
bg_kill "$PROXY"
say "$proxied_ok of $PROXIED proxied syncs completed; modes: $(grep -o 'connection [0-9]*: [a-z]*' "$T/proxy.log" | awk '{print $3}' | sort | uniq -c | tr '\n' ' ')"
kill -0 "$HUB" 2>/dev/null || die "the hub died behind the proxy"
CHECKS=$((CHECKS + 1))
vec check "$REQ" "$T/hub" >"$T/check.out" || fail "acknowledged entries lost behind the proxy: $(cat "$T/check.out")"

# ---- 4. security -----------------------------------------------------------------------
say "an unknown key is refused at the handshake"
expect_exit 6 sn "$T/rogue" sync "$EP" --server-key "$HUBKEY" --timeout "$STO"
expect_stderr_contains "refused this node's key"

say "a township the certificate does not cover is refused entry by entry; the session goes on"
expect_exit 0 sn "$T/bad" add retiree name=越权 category=retired gender=m birth_date=1950-01-02
expect_exit 5 sn "$T/bad" sync "$EP" --server-key "$HUBKEY" --timeout "$STO"
expect_stderr_contains "does not let it write this township"
expect_exit 0 sn "$T/bad" --json log
expect_eq "the county feed reached bad anyway" "$(json_get 'sum(1 for e in j if e["township"] == "county") > 0')" True
expect_exit 0 sn "$T/hub" --json log
expect_eq "t6 entries at the hub" "$(json_get 'sum(1 for e in j if e["township"] == "t6")')" 0

say "a revoked key is refused once the revocation reaches the hub"
expect_exit 0 sn "$T/rev" add retiree name=将撤销 category=retired gender=m birth_date=1950-01-02
expect_exit 0 sn "$T/rev" sync "$EP" --server-key "$HUBKEY" --timeout "$STO"
expect_exit 0 sn "$T/rev" sync "$EP" --server-key "$HUBKEY" --timeout "$STO"
expect_exit 0 sn "$T/admin" sync "$EP" --server-key "$HUBKEY" --timeout "$STO"
expect_exit 0 sn "$T/admin" admin revoke "$(key_of "$T/rev")" --reason "laptop lost"
expect_exit 0 sn "$T/admin" sync "$EP" --server-key "$HUBKEY" --timeout "$STO"
expect_exit 0 sn "$T/rev" add retiree name=撤销后 category=retired gender=m birth_date=1950-01-02
expect_exit 6 sn "$T/rev" sync "$EP" --server-key "$HUBKEY" --timeout "$STO"
expect_stderr_contains "refused this node's key"
REVKEY=$(key_of "$T/rev")
expect_log "the hub logs the revoked key as revoked" "$T/hub.log" \
	"refused a connection from .*: the county revoked the key ${REVKEY:0:16}"
expect_log "the hub logs the unknown key as unknown" "$T/hub.log" \
	"refused a connection from .*: CURVE key .* belongs to no office the county certified"

say "malformed, oversized and garbage messages end that session only"
for what in malformed oversized badbatch; do
	expect_exit 0 "$PROXY_BIN" client "$PORT" "$T/n3" "$HUBKEY" "$what"
done
expect_stderr_contains "ACK -"
CHECKS=$((CHECKS + 1))
grep -q "malformed message" "$T/hub.log" || fail "the hub did not log the malformed message"
python3 - "$PORT" <<'EOF' || fail "garbage sender failed"
import os, socket, sys
port = int(sys.argv[1])
for p in [os.urandom(4096), b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x01CURVE" + b"\x00" * 60,
          b"GET / HTTP/1.0\r\n\r\n", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f" * 100]:
    s = socket.create_connection(("127.0.0.1", port), 2)
    try:
        s.sendall(p)
        s.settimeout(0.3)
        s.recv(1024)
    except OSError:
        pass
    s.close()
EOF
kill -0 "$HUB" 2>/dev/null || die "the hub died after bad messages"
expect_exit 0 sn "$T/n3" add retiree name=之后 category=retired gender=m birth_date=1950-01-02
expect_exit 0 sync_node n3

say "a fork (a node restored from a copy writes again) is found at the handshake; both sides keep the evidence"
expect_exit 0 sync_node n4
cp -r "$T/n4" "$T/n4copy"
expect_exit 0 sn "$T/n4" add retiree name=原件 category=retired gender=m birth_date=1950-01-02
expect_exit 0 sn "$T/n4copy" add retiree name=副本 category=retired gender=m birth_date=1950-01-02
expect_exit 0 sync_node n4
expect_exit 0 sn "$T/n4copy" sync "$EP" --server-key "$HUBKEY" --timeout "$((STO + 2))"
expect_stderr_contains "feeds are forked"
for d in hub n4copy; do
	expect_exit 0 sn "$T/$d" forks
	expect_stdout_contains "held as evidence"
done

# ---- 5. convergence ---------------------------------------------------------------------
expect_exit 0 sync_node n1
expect_exit 0 sync_node n2
say "both t1 offices edit the same field offline: a conflict"
expect_exit 0 sn "$T/n1" set "$SHARED" address=一号院
expect_exit 0 sn "$T/n2" set "$SHARED" address=二号院
say "everything converges"
for ((r = 0; r < 2; r++)); do
	ORDER=("${NODES[@]}")
	for ((i = ${#ORDER[@]} - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		t=${ORDER[$i]}
		ORDER[$i]=${ORDER[$j]}
		ORDER[$j]=$t
	done
	for n in "${ORDER[@]}"; do
		expect_exit 0 sync_node "$n"
	done
done
CHECKS=$((CHECKS + 1))
vec check "$REQ" "$T/hub" >"$T/check.out" || fail "acknowledged entries lost: $(cat "$T/check.out")"
tdigest() { "$SN" --dir "$1" digest --township "$2" 2>&1; }
for t in county t1 t2 t3 t4; do
	want=$(tdigest "$T/hub" "$t")
	for n in "${NODES[@]}"; do
		[[ $t == county || ${TW[$n]} == "$t" ]] || continue
		expect_eq "digest of $t at $n" "$(tdigest "$T/$n" "$t")" "$want"
	done
done
for n in "${NODES[@]}"; do
	got=$(vec townships "$T/req.none" "$T/$n")
	want=$(printf '%s\n' county "${TW[$n]}" | sort | tr '\n' ' ')
	expect_eq "townships held at $n" "$got " "$want"
done
expect_exit 0 sn "$T/n1" --json conflicts
expect_stdout_contains "address"

# ---- 6. hub to hub ----------------------------------------------------------------------
say "the county hub syncs to an upper-tier hub with the same commands"
UPORT=$(free_port)
bg_start "$SN" --dir "$T/up" hub --listen "tcp://127.0.0.1:$UPORT" 2>"$T/up.log"
UP=$BG_PID
wait_port "$UPORT" || die "the upper hub does not listen"
expect_exit 0 sn "$T/admin" sync "tcp://127.0.0.1:$UPORT" --server-key "$UPKEY" --timeout "$((STO + 2))"
expect_exit 0 sn "$T/hub" sync "tcp://127.0.0.1:$UPORT" --server-key "$UPKEY" --timeout "$((STO * 3 + 1))"
expect_exit 0 sn "$T/hub" --json sync "tcp://127.0.0.1:$UPORT" --server-key "$UPKEY" --timeout "$((STO * 3 + 1))"
expect_eq "a second hub-to-hub sync sends nothing" "$(json_get 'j["sent"]')" 0
d_hub=$("$SN" --dir "$T/hub" digest | head -2)
d_up=$("$SN" --dir "$T/up" digest | head -2)
expect_eq "the upper hub holds what the county hub holds" "$d_up" "$d_hub"

say "SIGTERM stops both hubs"
for p in "$HUB" "$UP"; do
	kill -TERM "$p"
	for ((i = 0; i < 50; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$p" 2>/dev/null && fail "a hub did not stop on SIGTERM"
	bg_kill "$p"
done
