#!/usr/bin/env bash
# test_status.sh - `silvernode status` at the hub: every office the county
# certified, by name, with the last data received from it by any route
# (network or bundle), the offices never heard from, and a warning past the
# county's limit; `status --prometheus` for monitoring (entries held, last
# sync per peer, refused keys, conflicts waiting).
. "$(dirname "$0")/lib.sh"

say "county: admin, hub, three offices"
expect_exit 0 sn "$T/admin" admin init
ADM=$(key_of "$T/admin")
expect_exit 0 sn "$T/hub" init --township county --admin "$ADM"
expect_exit 0 sn "$T/l" init --township longhu --admin "$ADM"
expect_exit 0 sn "$T/b" init --township baqian --admin "$ADM"
expect_exit 0 sn "$T/rogue" init --township longhu --admin "$ADM"
# Xinyan's office last wrote 20 days ago (its clock says so) and sends bundles.
XT=$((($(date +%s) - 20 * 86400) * 1000))
expect_exit 0 env SILVER_FAKE_TIME_MS=$XT "$SN" --dir "$T/x" init --township xinyan --admin "$ADM"
HUBKEY=$(key_of "$T/hub")
expect_exit 0 sn "$T/admin" admin certify "$HUBKEY" --role hub --name 县枢纽
expect_exit 0 sn "$T/admin" admin certify "$(key_of "$T/l")" --role branch --write longhu --name 龙湖镇老干部办
expect_exit 0 sn "$T/admin" admin certify "$(key_of "$T/x")" --role branch --write xinyan --name 新烟街道老干部办
expect_exit 0 sn "$T/admin" admin certify "$(key_of "$T/b")" --role branch --write baqian --name 八千乡老干部办
cat >"$T/hub/county.json" <<'JSON'
{"county": "新郑市", "unit": "新郑市委组织部老干部科", "stale_days": 14,
 "townships": [{"code": "xinyan", "name": "新烟街道"}, {"code": "longhu", "name": "龙湖镇"},
               {"code": "baqian", "name": "八千乡"}]}
JSON

PORT=$(free_port)
EP=tcp://127.0.0.1:$PORT
bg_start "$SN" --dir "$T/hub" hub --listen "$EP" 2>"$T/hub.log"
HUB=$BG_PID
wait_port "$PORT" || die "the hub does not listen on $PORT"
expect_exit 0 sn "$T/admin" sync "$EP" --server-key "$HUBKEY"
expect_exit 0 sn "$T/admin" export-bundle "$T/certs.bundle"
expect_exit 0 env SILVER_FAKE_TIME_MS=$XT "$SN" --dir "$T/x" import-bundle "$T/certs.bundle"

say "longhu syncs over the network, xinyan brings a bundle, baqian never shows up"
expect_exit 0 sn "$T/l" add retiree name=张德明 category=honorary birth_date=1928-03-15
expect_exit 0 sn "$T/l" sync "$EP" --server-key "$HUBKEY"
expect_exit 0 env SILVER_FAKE_TIME_MS=$XT "$SN" --dir "$T/x" add retiree name=陈桂兰 category=retired birth_date=1947-12-05
expect_exit 0 env SILVER_FAKE_TIME_MS=$XT "$SN" --dir "$T/x" export-bundle "$T/x.bundle"
expect_exit 0 sn "$T/hub" import-bundle "$T/x.bundle"
expect_exit 6 sn "$T/rogue" sync "$EP" --server-key "$HUBKEY" --timeout 3
expect_exit 6 sn "$T/rogue" sync "$EP" --server-key "$HUBKEY" --timeout 3

say "status at the hub: every office by name, never heard from, behind"
expect_exit 0 sn "$T/hub" status
expect_stdout_contains "Offices the county certified (3); behind after 14 days without data:"
python3 - "$T/out" <<'EOF' || fail "the office lines"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
def line(name):
    m = [l for l in lines if name in l]
    assert m, name
    return m[0]
l = line("龙湖镇老干部办"); assert l.startswith(" ") and "龙湖镇" in l and "s ago" in l and "behind" not in l, l
x = line("新烟街道老干部办"); assert x.startswith("!") and "新烟街道" in x and "20 days ago" in x and "behind" in x, x
b = line("八千乡老干部办"); assert b.startswith("!") and "八千乡" in b and "never heard from" in b, b
assert any("2 offices are behind or were never heard from." in l for l in lines), lines
assert lines.index(x) < lines.index(l) < lines.index(b), "the county's order of townships"
EOF
CHECKS=$((CHECKS + 1))
expect_exit 0 sn "$T/hub" status --stale-days 30
expect_stdout_contains "1 office is behind or was never heard from."
expect_exit 0 sn "$T/hub" --json status --offices && expect_json
expect_eq "offices as JSON" "$(json_get 'sorted((o["name"], o["township_name"], o["behind"], o["last_heard"] > 0, o["last_network_sync"] > 0) for o in j if o["role"] == "branch")')" \
	"[('八千乡老干部办', '八千乡', True, False, False), ('新烟街道老干部办', '新烟街道', True, True, False), ('龙湖镇老干部办', '龙湖镇', False, True, True)]"
expect_exit 0 sn "$T/hub" --json status && expect_json
expect_eq "peers as before" "$(json_get 'sorted(p["township"] for p in j)')" "['county', 'longhu']"
# an office's own status has no office list unless asked
expect_exit 0 sn "$T/l" status
CHECKS=$((CHECKS + 1))
grep -q "Offices the county certified" "$T/out" && fail "an office lists the offices"
expect_exit 2 sn "$T/hub" status --stale-days 0
expect_exit 2 sn "$T/hub" status --out "$T/x.prom"
echo '{"stale_days": "soon"}' >"$T/bad.json"
expect_exit 3 sn "$T/hub" status --county "$T/bad.json"

say "status --prometheus: the text exposition format"
# the hub counts a refusal after the rogue has given up: wait for it (at most 5 s)
for ((i = 0; i < 50; i++)); do
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])).get("refused",{}); sys.exit(0 if sum(v["count"] for v in r.values()) >= 2 else 1)' \
		"$T/hub/peers.json" 2>/dev/null && break
	sleep 0.1
done
expect_exit 0 sn "$T/l" set "$(sn "$T/l" list retiree | cut -d' ' -f1)" phone=1
expect_exit 0 sn "$T/hub" status --prometheus --out "$T/silversync.prom"
expect_stdout_empty
[[ -e $T/silversync.prom.tmp ]] && fail "the .tmp file is left"
python3 - "$T/silversync.prom" "$(sn "$T/hub" --json digest)" <<'EOF' || fail "prometheus text"
import json, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
dig = json.loads(sys.argv[2])
samples, types = {}, {}
for l in text.splitlines():
    if l.startswith("# TYPE "):
        _, _, name, kind = l.split(" ")
        types[name] = kind
        continue
    if l.startswith("#") or not l:
        continue
    m = re.fullmatch(r'([a-z_]+)(\{(.*)\})? (-?[0-9.e+]+)', l)
    assert m, l
    name, labels, value = m.group(1), m.group(3) or "", float(m.group(4))
    assert name in types, ("no TYPE before", name)
    samples.setdefault(name, []).append((dict(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', labels)), value))
def one(name, **want):
    got = [v for lab, v in samples[name] if all(lab.get(k) == w for k, w in want.items())]
    assert len(got) == 1, (name, want, samples.get(name), text)
    return got[0]
assert one("silversync_entries") == dig["entries"], (one("silversync_entries"), dig)
assert one("silversync_conflicts_open") == 0
assert one("silversync_refused_keys") == 1
assert one("silversync_refused_connections_total") >= 2  # zmq may retry within a session
assert one("silversync_office_behind", office="八千乡老干部办") == 1
assert one("silversync_office_behind", office="新烟街道老干部办") == 1
assert one("silversync_office_behind", office="龙湖镇老干部办") == 0
assert one("silversync_office_last_data_timestamp_seconds", office="八千乡老干部办") == 0
assert one("silversync_stale_days") == 14
assert types["silversync_refused_connections_total"] == "counter"
last = [v for lab, v in samples["silversync_peer_last_sync_timestamp_seconds"] if lab.get("township") == "longhu"]
assert len(last) == 1 and last[0] > 1.7e9, last
EOF
CHECKS=$((CHECKS + 1))
if command -v promtool >/dev/null 2>&1; then
	CHECKS=$((CHECKS + 1))
	promtool check metrics <"$T/silversync.prom" || fail "promtool check metrics"
fi

bg_kill "$HUB"
