#!/usr/bin/env bash
# tests/bench/peers/pouchdb.sh [BENCH_SYNC_OUTPUT] - the same replication by
# PouchDB, for comparison with bench_sync: N records (default 100,000;
# POUCH_N) written to a local PouchDB (LevelDB) in one bulkDocs, then
# replicated over HTTP on loopback to express-pouchdb (one-shot
# replicate.to): records/s; then a replication with nothing new, and with 100
# new records.  npm installs pouchdb-node, express-pouchdb and express into a
# temporary directory at run time (nothing is committed).  Given the output
# of bench_sync (its RESULT lines), the ratio silversync / PouchDB is printed.
# Skips with a message when npm or node is absent.
set -u
N=${POUCH_N:-100000}
command -v npm >/dev/null && command -v node >/dev/null || { echo "pouchdb: npm/node not installed: skipped"; exit 0; }
W=$(mktemp -d "${TMPDIR:-/tmp}/silver-pouch.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
echo '{"name":"silver-pouch-bench","private":true}' >package.json
if ! npm install --no-audit --no-fund --loglevel=error pouchdb-node express-pouchdb express >npm.log 2>&1; then
	echo "pouchdb: npm install failed (offline?): skipped"; tail -3 npm.log; exit 0
fi
cat >bench.js <<'JS'
const PouchDB = require('pouchdb-node');
const express = require('express');
const N = parseInt(process.argv[2], 10);
const now = () => Number(process.hrtime.bigint()) / 1e9;
(async () => {
  const RemoteDB = PouchDB.defaults({ prefix: __dirname + '/remote/' });
  require('fs').mkdirSync(__dirname + '/remote', { recursive: true });
  const app = express();
  app.use('/', require('express-pouchdb')(RemoteDB, { mode: 'minimumForPouchDB', logPath: __dirname + '/log.txt' }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise(r => server.on('listening', r));
  const url = 'http://127.0.0.1:' + server.address().port + '/hub';
  const local = new PouchDB(__dirname + '/local');
  const row = i => ({ _id: 't1/retiree/' + String(i).padStart(9, '0'), name: '退休干部' + i, category: 'retired',
    gender: i % 2 ? 'm' : 'f', birth_date: '1950-01-' + String(i % 28 + 1).padStart(2, '0'), unit: '单位' + i % 50,
    address: '新郑市 ' + i + ' 号', phone: '1380000' + String(i % 10000).padStart(4, '0') });
  for (let i = 0; i < N; i += 5000) {
    const docs = [];
    for (let k = i; k < Math.min(N, i + 5000); k++) docs.push(row(k));
    await local.bulkDocs(docs);
  }
  const remote = new PouchDB(url);
  let t = now();
  await local.replicate.to(remote, { batch_size: 500, batches_limit: 4 });
  const full = now() - t;
  console.log(`RESULT\tpouchdb replication ${N} records\t${(N / full).toFixed(0)}\trecords/s\t-\t-`);
  const noop = [];
  for (let k = 0; k < 10; k++) { t = now(); await local.replicate.to(remote); noop.push((now() - t) * 1000); }
  noop.sort((a, b) => a - b);
  console.log(`RESULT\tpouchdb nothing new\t${noop[5].toFixed(2)}\tms\t-\t-`);
  const more = [];
  for (let k = 0; k < 5; k++) {
    const docs = [];
    for (let j = 0; j < 100; j++) docs.push(row(10000000 + k * 100 + j));
    await local.bulkDocs(docs);
    t = now(); await local.replicate.to(remote); more.push((now() - t) * 1000);
  }
  more.sort((a, b) => a - b);
  console.log(`RESULT\tpouchdb 100 new records\t${more[2].toFixed(2)}\tms\t-\t-`);
  server.close();
  process.exit(0);
})().catch(e => { console.error(e); process.exit(1); });
JS
node bench.js "$N" | tee result.txt || exit 1
if [[ -n ${1:-} && -f $1 ]]; then
	ours=$(awk -F'\t' '$2 == "sync bulk entries/s" {print $3}' "$1")
	theirs=$(awk -F'\t' '$2 ~ /^pouchdb replication/ {print $3}' result.txt)
	[[ -n $ours && -n $theirs ]] && awk -v a="$ours" -v b="$theirs" \
		'BEGIN {printf "RESULT\tsilversync / pouchdb catch-up\t%.1f\tx\t-\t-\n", a / b}'
fi
