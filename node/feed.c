/*
 * feed.c - feeds: the append-only, hash-chained, sealed logs of one author
 * for one township.
 *
 * A feed record (database "feeds", key = feed tag) is, byte for byte:
 *   author(32) | seq(8 BE) | hash(32) | tail_seq(8 BE) | tail_hash(32) | n(1) | township(n)
 * seq/hash name the last entry that is sealed and applied; tail_seq/tail_hash
 * the last entry stored, which may be an unsealed tail waiting for its seal
 * (only received feeds ever have one: our own transactions always seal).
 *
 * Entries live in "entries" under tag(16) || seq(8 BE), so a feed's entries
 * are contiguous and appended in key order (LMDB's fast path).
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define FEEDREC_FIXED (32 + 8 + 32 + 8 + 32 + 1)

void silver__entry_key(const uint8_t tag[SILVER_FEEDTAG_BYTES], uint64_t seq, uint8_t key[24])
{
	memcpy(key, tag, SILVER_FEEDTAG_BYTES);
	silver__be64(key + SILVER_FEEDTAG_BYTES, seq);
}

int silver__feed_get(silver_store *s, MDB_txn *txn, const uint8_t tag[SILVER_FEEDTAG_BYTES], silver_feedrec *out)
{
	MDB_val k = {SILVER_FEEDTAG_BYTES, (void *)tag}, v;
	const uint8_t *p;
	int rc = mdb_get(txn, s->feeds, &k, &v);

	memset(out, 0, sizeof(*out));
	if (rc != 0)
		return silver__mdb_err(rc);
	p = v.mv_data;
	if (v.mv_size < FEEDREC_FIXED || v.mv_size != (size_t)FEEDREC_FIXED + p[FEEDREC_FIXED - 1] ||
	    p[FEEDREC_FIXED - 1] > SILVER_MAX_NAME)
		return SILVER_ECORRUPT;
	memcpy(out->author, p, 32);
	out->seq = silver__rd64(p + 32);
	memcpy(out->hash, p + 40, 32);
	out->tail_seq = silver__rd64(p + 72);
	memcpy(out->tail_hash, p + 80, 32);
	memcpy(out->township, p + FEEDREC_FIXED, p[FEEDREC_FIXED - 1]);
	out->township[p[FEEDREC_FIXED - 1]] = 0;
	return 0;
}

int silver__feed_put(silver_store *s, MDB_txn *txn, const uint8_t tag[SILVER_FEEDTAG_BYTES], const silver_feedrec *f)
{
	uint8_t buf[FEEDREC_FIXED + SILVER_MAX_NAME];
	size_t n = strlen(f->township);
	MDB_val k = {SILVER_FEEDTAG_BYTES, (void *)tag}, v = {FEEDREC_FIXED + n, buf};

	memcpy(buf, f->author, 32);
	silver__be64(buf + 32, f->seq);
	memcpy(buf + 40, f->hash, 32);
	silver__be64(buf + 72, f->tail_seq);
	memcpy(buf + 80, f->tail_hash, 32);
	buf[FEEDREC_FIXED - 1] = (uint8_t)n;
	memcpy(buf + FEEDREC_FIXED, f->township, n);
	return silver__mdb_err(mdb_put(txn, s->feeds, &k, &v, 0));
}

/* The transaction's handle on our feed for township, loaded on first use. */
static int tfeed_open(silver_wtxn *t, const char *township, struct silver_tfeed **out)
{
	struct silver_tfeed *tf;
	silver_feedrec fr;
	size_t n = strlen(township);
	int rv;

	for (uint32_t i = 0; i < t->nfeed; i++) {
		if (strcmp(t->feed[i].township, township) == 0) {
			*out = &t->feed[i];
			return 0;
		}
	}
	if (t->nfeed == sizeof(t->feed) / sizeof(t->feed[0]) || n == 0 || n > SILVER_MAX_NAME)
		return SILVER_EINVAL;
	tf = &t->feed[t->nfeed];
	memset(tf, 0, sizeof(*tf));
	memcpy(tf->township, township, n);
	silver_feedtag(t->s->self, (const uint8_t *)township, n, tf->tag);
	rv = silver__feed_get(t->s, t->txn, tf->tag, &fr);
	if (rv == 0) {
		if (fr.tail_seq != fr.seq)
			return SILVER_EUNSEALED; /* our own feed with a tail we did not seal */
		tf->seq = tf->sealed_seq = fr.seq;
		memcpy(tf->hash, fr.hash, SILVER_HASH_BYTES);
	} else if (rv != SILVER_ENOTFOUND) {
		return rv;
	}
	t->nfeed++;
	*out = tf;
	return 0;
}

static int put_entry(silver_wtxn *t, const struct silver_tfeed *tf, const uint8_t *sig)
{
	uint8_t key[24];
	MDB_val k = {sizeof(key), key}, v;
	int rv;

	silver_buf_reset(&t->buf);
	if ((rv = silver_entry_wrap(tf->body, tf->nbody, sig, &t->buf)) != 0)
		return rv;
	silver__entry_key(tf->tag, tf->seq, key);
	v.mv_size = t->buf.len;
	v.mv_data = t->buf.data;
	return silver__mdb_err(mdb_put(t->txn, t->s->entries, &k, &v, 0));
}

static int tfeed_seal(silver_wtxn *t, struct silver_tfeed *tf)
{
	uint8_t sig[SILVER_SIG_BYTES];
	silver_feedrec fr;
	int rv;

	if (tf->seq == tf->sealed_seq)
		return 0;
	silver_seal_sign(tf->hash, t->s->secret, sig);
	if ((rv = put_entry(t, tf, sig)) != 0)
		return rv;
	memset(&fr, 0, sizeof(fr));
	memcpy(fr.author, t->s->self, SILVER_KEY_BYTES);
	fr.seq = fr.tail_seq = tf->seq;
	memcpy(fr.hash, tf->hash, SILVER_HASH_BYTES);
	memcpy(fr.tail_hash, tf->hash, SILVER_HASH_BYTES);
	memcpy(fr.township, tf->township, strlen(tf->township) + 1);
	if ((rv = silver__feed_put(t->s, t->txn, tf->tag, &fr)) != 0)
		return rv;
	tf->sealed_seq = tf->seq;
	tf->unsealed = 0;
	return 0;
}

int silver__seal_all(silver_wtxn *t)
{
	int rv;
	for (uint32_t i = 0; i < t->nfeed; i++)
		if ((rv = tfeed_seal(t, &t->feed[i])) != 0)
			return rv;
	return 0;
}

int silver__append(silver_wtxn *t, const char *township, silver_entry *e)
{
	struct silver_tfeed *tf;
	silver_buf body;
	int rv;

	if (t->restored)
		return SILVER_ECATCHUP; /* writing now could fork our own feed */
	if ((rv = tfeed_open(t, township, &tf)) != 0)
		return rv;
	e->version = SILVER_FORMAT_VERSION;
	e->suite = SILVER_SUITE_ED25519_BLAKE2B;
	memcpy(e->author, t->s->self, SILVER_KEY_BYTES);
	e->township.p = (const uint8_t *)tf->township;
	e->township.n = (uint32_t)strlen(tf->township);
	e->seq = tf->seq + 1;
	memcpy(e->prev, tf->hash, SILVER_HASH_BYTES);
	if (e->hlc == 0) {
		/* refused, never reused: equal stamps would make equal record ids */
		if ((e->hlc = silver_hlc_next(t->hlc, silver__now_ms())) == 0)
			return SILVER_ECLOCK;
		t->hlc = e->hlc;
	}
	e->sealed = 0;

	/* The body is kept so that the seal can be added when the transaction
	 * (or a run of SILVER_SEAL_EVERY entries) ends. */
	silver_buf_init(&body);
	/* room for a body like the last one: one allocation, not a doubling run */
	if (tf->nbody && (rv = silver_buf_reserve(&body, tf->nbody + 64)) != 0)
		return rv;
	if ((rv = silver_entry_encode_body(e, &body)) != 0) {
		silver_buf_release(&body);
		return rv;
	}
	free(tf->body);
	tf->body = body.data;
	tf->nbody = body.len;
	tf->seq = e->seq;
	memcpy(tf->hash, e->hash, SILVER_HASH_BYTES);
	e->body.p = tf->body;
	e->body.n = (uint32_t)tf->nbody;
	if ((rv = put_entry(t, tf, NULL)) != 0)
		return rv;
	if ((rv = silver__apply(t, e)) != 0)
		return rv;
	if (++tf->unsealed >= SILVER_SEAL_EVERY)
		return tfeed_seal(t, tf);
	return 0;
}
