#!/usr/bin/env bash
# tests/integration/test_audit.sh - silver-audit as an auditor uses it
# (docs/AUDIT.md): a county with two certified offices, bundles and stores
# audited clean, a backup restored and written on (a fork) found, its proof
# file checked, the report naming the key and the office; a revoked laptop;
# a record's trace; exit codes 0, 1 and 2; --json.
. "$(dirname "$0")/lib.sh"

AUD="$SILVER_BIN/silver-audit"
[[ -x $AUD ]] || die "no silver-audit in $SILVER_BIN"
aud() { "$AUD" "$@"; }
cd "$T" || die "no temporary directory"

# join_bundles A B OUT: the entries of A then B under one header (the
# header's count re-encoded: fixarray(5) [magic, version, suite, created, count]).
join_bundles() {
	python3 - "$@" <<'EOF' || fail "could not join $1 and $2"
import sys
def split(path):
    b = open(path, 'rb').read()
    assert b[0] == 0x95
    i = 2 + (b[1] & 0x1f) + 2
    assert b[i] == 0xcf
    i += 9
    c = b[i]
    if c < 0x80: count, n = c, 1
    elif c == 0xcc: count, n = b[i + 1], 2
    elif c == 0xcd: count, n = int.from_bytes(b[i + 1:i + 3], 'big'), 3
    else: count, n = int.from_bytes(b[i + 1:i + 5], 'big'), 5
    return b[:i], count, b[i + n:]
h1, c1, e1 = split(sys.argv[1])
h2, c2, e2 = split(sys.argv[2])
n = c1 + c2
if n < 0x80: cnt = bytes([n])
elif n < 0x100: cnt = bytes([0xcc, n])
elif n < 0x10000: cnt = bytes([0xcd]) + n.to_bytes(2, 'big')
else: cnt = bytes([0xce]) + n.to_bytes(4, 'big')
open(sys.argv[3], 'wb').write(h1 + cnt + e1 + e2)
EOF
}

say "a county: admin, two offices"
expect_exit 0 sn adm admin init
ADM=$(key_of adm)
expect_exit 0 sn xa init --township xinan --admin "$ADM" --name "Xinan office"
XA=$(key_of xa)
expect_exit 0 sn dh init --township donghu --admin "$ADM" --name "Donghu office"
DH=$(key_of dh)
expect_exit 0 sn adm admin certify "$XA" --role branch --write xinan --name "Xinan office"
expect_exit 0 sn adm admin certify "$DH" --role branch --write donghu --name "Donghu office"
expect_exit 0 sn adm export-bundle certs.bundle
expect_exit 0 sn xa import-bundle certs.bundle
expect_exit 0 sn dh import-bundle certs.bundle

say "work at the offices, carried to the county"
expect_exit 0 sn xa add retiree name=张建国 category=honorary gender=m birth_date=1928-03-15
R=$(cat "$T/out")
expect_exit 0 sn xa set "$R" phone=13900000001
expect_exit 0 sn dh add retiree name=李秀英 category=retired gender=f birth_date=1950-11-02
expect_exit 0 sn xa export-bundle xa1.bundle
expect_exit 0 sn dh export-bundle dh1.bundle
expect_exit 0 sn adm import-bundle xa1.bundle
expect_exit 0 sn adm import-bundle dh1.bundle

say "clean: the county's bundle and stores"
expect_exit 0 sn adm export-bundle all.bundle
expect_exit 0 aud --admin "$ADM" all.bundle
expect_stdout_contains "No findings"
expect_exit 0 aud --admin "$ADM" --store adm
expect_exit 0 aud --admin "$ADM" --store xa
expect_exit 0 aud --json --admin "$ADM" all.bundle
expect_json
expect_eq "clean" "$(json_get 'j["clean"]')" "True"
expect_eq "findings" "$(json_get 'len(j["findings"])')" "0"

say "trace: one record's signed history"
expect_exit 0 aud --admin "$ADM" trace "$R" all.bundle
expect_stdout_contains "Xinan office"
expect_stdout_contains "13900000001"
expect_stdout_contains "certificate county#"
expect_exit 0 aud --json --admin "$ADM" trace "$R" --store adm
expect_json
expect_eq "trace entries" "$(json_get 'len(j["entries"])')" "2"
expect_eq "trace office" "$(json_get 'j["entries"][1]["office"]')" "Xinan office"
expect_eq "trace field" "$(json_get 'j["entries"][1]["writes"][1]["field"]')" "phone"
expect_eq "trace new" "$(json_get 'j["entries"][1]["writes"][1]["new"]')" "13900000001"
expect_exit 2 aud --admin "$ADM" trace xinan/retiree/0000000000000ffff all.bundle

say "a backup restored and written on: a fork"
cp -r xa xa-restored
expect_exit 0 sn xa set "$R" phone=13900000002
expect_exit 0 sn xa export-bundle xa2.bundle
expect_exit 0 sn adm import-bundle xa2.bundle
expect_exit 0 sn xa-restored set "$R" phone=13900000003
expect_exit 0 sn xa-restored export-bundle restored.bundle
expect_exit 5 sn adm import-bundle restored.bundle
expect_stderr_contains "fork"
expect_exit 1 aud --admin "$ADM" --store adm
expect_stdout_contains "fork"
expect_stdout_contains "Xinan office"
expect_stdout_contains "${XA:0:16}"
expect_exit 1 aud --json --admin "$ADM" --store adm
expect_json
expect_eq "fork kind" "$(json_get '[f["kind"] for f in j["findings"]]')" "['fork']"
expect_eq "fork key" "$(json_get 'j["findings"][0]["author"]')" "$XA"
expect_eq "fork office" "$(json_get 'j["findings"][0]["office"]')" "Xinan office"
expect_eq "fork seq" "$(json_get 'j["findings"][0]["seq"]')" "3"
# both entries are kept: the proof file holds both sides
expect_exit 0 sn adm --json forks
FEED=$(json_get 'j[0]["feed"]')
expect_exit 0 sn adm forks "$FEED" 3 fork.proof
expect_exit 0 aud proof fork.proof
expect_stdout_contains "Valid fork proof: key $XA"
expect_stdout_contains "seq:      3"
expect_exit 0 aud --json proof fork.proof
expect_json
expect_eq "proof township" "$(json_get 'j["township"]')" "xinan"
expect_eq "proof hashes differ" "$(json_get 'j["hashes"][0] != j["hashes"][1]')" "True"
# both bundles side by side in one file are a fork too
join_bundles xa2.bundle restored.bundle both.bundle
expect_exit 1 aud --admin "$ADM" both.bundle
expect_stdout_contains "fork"

say "a revoked laptop writes on"
expect_exit 0 sn dh export-bundle dh-before.bundle
expect_exit 0 sn adm import-bundle dh-before.bundle
expect_exit 0 sn adm admin revoke "$DH" --reason "laptop lost"
expect_exit 0 sn dh set "$(sn dh list retiree --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')" phone=13900000009
expect_exit 0 sn adm export-bundle county.bundle
expect_exit 0 sn dh export-bundle dh-after.bundle
join_bundles county.bundle dh-after.bundle dh-all.bundle
expect_exit 1 aud --admin "$ADM" dh-all.bundle
expect_stdout_contains "revoked"
expect_stdout_contains "Donghu office"
# the office's own store, once it has the revocation, keeps the late entry as evidence
expect_exit 0 sn dh import-bundle county.bundle
expect_exit 1 aud --json --admin "$ADM" --store dh
expect_json
expect_eq "revoked in store" "$(json_get '[f["kind"] for f in j["findings"]]')" "['revoked']"

say "unusable input: exit 2"
expect_exit 2 aud --admin "$ADM" no-such.bundle
expect_exit 2 aud --admin "$ADM" "$SN"
expect_stderr_contains "not a silversync bundle"
expect_exit 2 aud all.bundle
expect_exit 2 aud --admin 1234 all.bundle
expect_exit 2 aud --admin "$ADM" --store no-such-dir
expect_exit 2 aud --admin "$ADM" --bogus all.bundle
expect_exit 0 aud --help
expect_stdout_contains "Usage: silver-audit"
printf 'not a proof' >bad.proof
expect_exit 1 aud proof bad.proof
expect_exit 2 aud proof no-such.proof

say "a damaged bundle is a finding"
head -c "$(($(stat -c %s all.bundle) - 10))" all.bundle >cut.bundle
expect_exit 1 aud --admin "$ADM" cut.bundle
expect_stdout_contains "damaged"
