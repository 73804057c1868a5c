/*
 * store_int.h - internals of the store shared by store.c (environment,
 * identity, transactions), feed.c (appending and sealing entries),
 * record.c (record state and the merge rule) and view.c (reads).
 *
 * LMDB databases (docs/STORE.md has the byte layout):
 *   meta      name                    -> value (format, self, township, name, hlc, state digest)
 *   feeds     tag(16)                 -> feed record (see feed.c)
 *   entries   tag(16) seq(8 BE)       -> entry bytes as sealed or received
 *   records   collection 0 id         -> record state (see record.c)
 *   touch     id 0 tag(16) seq(8 BE)  -> hlc(8 BE): every entry that changed the record
 *   conflicts id 0 field              -> "" : fields with several distinct heads
 *   certs     key(32)                 -> CERT op bytes (the admin's latest for the key)
 *   revoked   key(32)                 -> REVOKE op bytes (the admin's latest for the key)
 *   forks     tag(16) seq(8 BE)       -> fork proof bytes (docs/FORMAT.md, "Fork proofs")
 *   aggs      metric 0 township 0 date 0 dim -> count(8 LE) sum(8 LE): statistics (stats.c)
 *   search    collection 0 term       -> record id, MDB_DUPSORT: the search index (search.c)
 *   search_docs  id                   -> what the index holds for the record (search.c)
 *   search_feeds tag(16)              -> seq(8 BE): the index is up to date to this entry of the feed
 */
#ifndef SILVER_STORE_INT_H
#define SILVER_STORE_INT_H

#include <lmdb.h>

#include "silver_i18n.h"
#include "silver_store.h"

struct silver_store {
	MDB_env *env;
	MDB_dbi meta, feeds, entries, records, touch, conflicts, certs, revoked, forks, aggs;
	MDB_dbi search, search_docs, search_feeds; /* the search index, derived lazily (search.c) */
	uint8_t admin[SILVER_KEY_BYTES]; /* pinned county admin key */
	int pinned;
	char *dir;
	unsigned flags;
	uint8_t self[SILVER_KEY_BYTES];
	uint8_t *secret; /* sodium_malloc'd, SILVER_SECRET_BYTES; NULL when read-only */
	char township[SILVER_MAX_NAME + 1];
	char name[128];
	size_t mapsize;
	MDB_txn *snap; /* silver_store_snapshot's read transaction: every read uses it; NULL: none */
	int mapslot; /* its row in store.c's table of maps (silver_store_fault_addr), -1: none */
	struct silver__vpool *vpool; /* seal verification threads (ingest.c), started on first use */
};

/* The open feed a transaction appends to (one per township written). */
struct silver_tfeed {
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	char township[SILVER_MAX_NAME + 1];
	uint64_t seq;                    /* last written (maybe unsealed) */
	uint8_t hash[SILVER_HASH_BYTES]; /* its hash */
	uint64_t sealed_seq;             /* last sealed */
	uint8_t *body;                   /* body bytes of the unsealed last entry */
	size_t nbody;
	uint32_t unsealed;               /* entries written since the last seal */
};

struct silver_wtxn {
	silver_store *s;
	MDB_txn *txn;
	silver_arena *arena; /* reset after each change */
	silver_buf buf;      /* scratch for encoding */
	silver_buf rbuf;     /* scratch for record state */
	uint64_t hlc;
	const char *operator_name; /* every CHANGE written carries it; NULL: none (silver_store_write_as) */
	struct silver_tfeed feed[4];
	uint32_t nfeed;
	uint8_t digest[SILVER_HASH_BYTES]; /* running state digest */
	int digest_loaded;
	int rebuild; /* a revocation invalidated applied entries: rebuild derived state */
	int restored; /* restored from a backup: no local writes until our own feed catches up */
	struct silver_aggacc *aggacc; /* statistics deltas of this transaction (stats.c) */
	uint64_t restored_tip;
	struct silver_tdigest {
		char township[SILVER_MAX_NAME + 1];
		uint8_t digest[SILVER_HASH_BYTES];
	} tdig[32]; /* per-township state digests touched by this transaction */
	uint32_t ntdig;
};

/* Big-endian uint64, the byte order of every key holding a seq (sorts as numbers). */
static inline void silver__be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t silver__rd64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* store.c */
int silver__mdb_err(int rc); /* LMDB code -> SILVER_E* */
int silver__meta_get(silver_store *s, MDB_txn *txn, const char *key, MDB_val *v);
int silver__meta_put(silver_store *s, MDB_txn *txn, const char *key, const void *p, size_t n);
void silver__vpool_destroy(silver_store *s); /* ingest.c: stop the verification threads */
uint64_t silver__now_ms(void);
/* An errno from writing, syncing or closing a file as a SILVER_E* code: a
 * full disk or quota (ENOSPC, EDQUOT, EFBIG) says so, anything else is EIO. */
int silver__errno_err(int e);
/* fsync directory dir, so that names created or renamed in it last (a
 * filesystem that cannot sync a directory is not an error). */
int silver__fsync_dir(const char *dir);
int silver__fsync_dir_of(const char *path); /* the directory holding path */
char *silver__parent_dir(const char *path); /* malloc'd; "." for a bare name */
/* A compacted copy of env as dir/data.mdb (dir exists), taken in a read
 * transaction, mode 0600, synced with its directory; on failure no
 * data.mdb of this call is left.  Backups of the store and of the accounts. */
int silver__env_copy(MDB_env *env, const char *dir);
void silver__map_note(silver_store *s);    /* the env's map moved or grew: tell the fault check */

/* Run fn in a write transaction of its own that appends no entry (derived
 * state kept up to date lazily: the search index), growing the map as
 * silver_store_write does and running fn again when it filled.  Not on a
 * store opened read-only (SILVER_EINVAL). */
typedef int (*silver__txn_fn)(silver_store *s, MDB_txn *txn, void *ctx);
int silver__store_txn(silver_store *s, silver__txn_fn fn, void *ctx);

/* search.c: empty the search index (a rebuild of the records), so that it
 * is built again from the first entry of every feed. */
int silver__search_clear(silver_store *s, MDB_txn *txn);

/* feed.c: feed records and appending our own entries */
typedef struct silver_feedrec {
	uint8_t author[SILVER_KEY_BYTES];
	uint64_t seq;                    /* last applied (sealed) entry */
	uint8_t hash[SILVER_HASH_BYTES];
	uint64_t tail_seq;               /* last stored entry (>= seq) */
	uint8_t tail_hash[SILVER_HASH_BYTES];
	char township[SILVER_MAX_NAME + 1];
} silver_feedrec;
int silver__feed_get(silver_store *s, MDB_txn *txn, const uint8_t tag[SILVER_FEEDTAG_BYTES], silver_feedrec *out);
int silver__feed_put(silver_store *s, MDB_txn *txn, const uint8_t tag[SILVER_FEEDTAG_BYTES],
		     const silver_feedrec *f);
void silver__entry_key(const uint8_t tag[SILVER_FEEDTAG_BYTES], uint64_t seq, uint8_t key[24]);
/* Append one change made here: assigns seq/prev/hlc, encodes, stores
 * unsealed, applies it to the records.  e->op must be filled. */
int silver__append(silver_wtxn *t, const char *township, silver_entry *e);
/* Seal the last entry of every open feed of t. */
int silver__seal_all(silver_wtxn *t);

/* ingest.c */
int silver__rtxn(silver_store *s, MDB_txn **txn); /* a read transaction, following a grown map */
void silver__rtxn_end(silver_store *s, MDB_txn *txn); /* end it (not the snapshot's, silver_store_snapshot) */
int silver__export(silver_store *s, MDB_txn *txn, const silver_have *have, size_t nhave,
		   silver_feedfilter_fn filter, void *fctx, silver_bytes_fn fn, void *ctx);

/* trust.c */
/* Apply a CERT or REVOKE entry (only the pinned admin's count). */
int silver__trust_apply(silver_wtxn *t, const silver_entry *e);
/* What the authorisation rule found for one feed (author, township), kept
 * by a caller that checks many entries of the feed in one transaction.  Set
 * checked = 0 before the first entry. */
typedef struct silver_feedauth {
	int checked;
	int rv;              /* 0, or the refusal for every entry of the feed */
	silver_why why;      /* with rv */
	uint64_t last_valid; /* the feed's last valid seq (UINT64_MAX: not revoked) */
} silver_feedauth;
/* May e be stored and applied?  SILVER_EDENIED with why when not.  fa may be
 * NULL; otherwise it must belong to e's feed, and is filled on first use. */
int silver__authorize(silver_store *s, MDB_txn *txn, const silver_entry *e, silver_feedauth *fa,
		      silver_why *why);
/* The last valid seq of (author, township) under a revocation, or UINT64_MAX. */
uint64_t silver__last_valid(silver_store *s, MDB_txn *txn, const uint8_t author[SILVER_KEY_BYTES],
			    const char *township);
/* May this node write records of township? */
int silver__may_write(silver_wtxn *t, const char *township);
/* Recompute records, heads and conflicts from the feeds alone. */
int silver__rebuild(silver_wtxn *t);

/* stats.c: a record's contribution to the statistics, taken before and
 * after a change; the difference is written to "aggs". */
struct silver_cell {
	const char *metric;
	silver_slice date, dim;
	int64_t sum;
};
typedef struct silver_contrib {
	struct silver_cell c[5];
	uint32_t n;
} silver_contrib;
void silver__stats_contrib(const silver_record *r, silver_contrib *out);
int silver__stats_update(silver_wtxn *t, const silver_slice *township, const silver_contrib *before,
			 const silver_contrib *after);
/* Write the transaction's summed statistics deltas (before commit), or drop them. */
int silver__stats_flush(silver_wtxn *t);
void silver__stats_discard(silver_wtxn *t);

/* record.c */
int silver__record_load(silver_wtxn *t, const silver_slice *collection, const silver_slice *id,
			silver_arena *a, silver_record *r, int *found);
int silver__record_decode(const uint8_t *p, size_t n, silver_arena *a, silver_record *r);
/* Apply a sealed (or being-sealed) change entry to the record it names. */
int silver__apply(silver_wtxn *t, const silver_entry *e);
int silver__state_digest_load(silver_wtxn *t);
int silver__state_digest_save(silver_wtxn *t);
void silver__record_pick(silver_record *r); /* sets winner/conflict/deleted */
int silver__record_key(const silver_slice *collection, const silver_slice *id, silver_buf *out) SILVER_WUR;

#endif
