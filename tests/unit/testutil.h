/*
 * testutil.h - helpers shared by the store tests (test_store.c,
 * test_merge.c, test_converge.c, test_tamper.c): temporary node
 * directories, one-call writes, exporting a node's entries into owned byte
 * slices, ingesting them, digests.
 *
 * Helpers return 0 or a SILVER_E* code and never call cmocka: the caller
 * asserts, so that the property test can print its seed and step first.
 * Everything made here lives under one directory made with mkdtemp in
 * $TMPDIR (or /tmp); tu_cleanup() removes it (call it at the end, and it is
 * also registered with atexit).
 */
#ifndef SILVER_TESTUTIL_H
#define SILVER_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "silver_store.h"

/* ---- determinism --------------------------------------------------------- */

/* Replace libsodium's random source by a splitmix64 stream (identity keys
 * become a function of the seed).  Must be called before anything calls
 * sodium_init (silver_crypto_init, silver_store_create, ...); tu_reseed()
 * may be called at any time after. */
void tu_deterministic_random(uint64_t seed);
void tu_reseed(uint64_t seed);

/* splitmix64: the tests' PRNG. */
typedef struct tu_rng {
	uint64_t s;
} tu_rng;
uint64_t tu_rand(tu_rng *r);
uint32_t tu_below(tu_rng *r, uint32_t n); /* 0..n-1, n > 0 */

/* The clock every store call reads (SILVER_FAKE_TIME_MS); 0 = the real clock. */
void tu_set_time(uint64_t ms);

/* ---- directories and nodes ----------------------------------------------- */

/* A fresh empty directory path under the test root (not created).  Static
 * storage per call: copy it if you keep it. */
const char *tu_path(const char *name);
/* A fresh directory (created). */
const char *tu_mkdir(const char *name);
/* silver_store_create in a fresh directory, then silver_store_open. */
int tu_node(const char *township, const char *name, silver_store **out) SILVER_WUR;
void tu_cleanup(void);

/* ---- writing ----------------------------------------------------------------- */

/* One write transaction each; why may be NULL. */
int tu_add(silver_store *s, const char *collection, const silver_kv *kv, uint32_t n, char id[SILVER_MAX_ID],
	   silver_why *why) SILVER_WUR;
int tu_set(silver_store *s, const char *id, const silver_kv *kv, uint32_t n, silver_why *why) SILVER_WUR;
int tu_set1(silver_store *s, const char *id, const char *key, const char *text) SILVER_WUR;
int tu_delete(silver_store *s, const char *id, silver_why *why) SILVER_WUR;
int tu_resolve(silver_store *s, const char *id, const char *field, const char *text, uint32_t take,
	       silver_why *why) SILVER_WUR;
/* A retiree with the required fields and the given name. */
int tu_retiree(silver_store *s, const char *name, char id[SILVER_MAX_ID]) SILVER_WUR;

/* ---- entries as byte slices ---------------------------------------------------- */

/* Owned copies of encoded entries. */
typedef struct tu_batch {
	silver_slice *v;
	size_t n, cap;
} tu_batch;
void tu_batch_init(tu_batch *b);
void tu_batch_free(tu_batch *b);
int tu_batch_push(tu_batch *b, const uint8_t *p, size_t n) SILVER_WUR; /* copies */
int tu_batch_append(tu_batch *b, const tu_batch *from, size_t i, size_t j) SILVER_WUR; /* [i, j) */

/* What s would send to a peer holding have (NULL: everything), appended to b. */
int tu_export(silver_store *s, const silver_have *have, size_t nhave, silver_feedfilter_fn filter, void *fctx,
	      tu_batch *b) SILVER_WUR;
/* Only the feeds written by author. */
int tu_export_author(silver_store *s, const uint8_t author[SILVER_KEY_BYTES], tu_batch *b) SILVER_WUR;
/* The have list of s (every feed it holds, last sealed seq); *out is malloc'd. */
int tu_have(silver_store *s, silver_have **out, size_t *n) SILVER_WUR;
/* Send from -> to whatever to lacks; rep may be NULL. */
int tu_sync(silver_store *from, silver_store *to, silver_ingest_report *rep, silver_why *why) SILVER_WUR;
int tu_ingest(silver_store *s, const tu_batch *b, silver_ingest_report *rep, silver_why *why) SILVER_WUR;

/* ---- reading ------------------------------------------------------------------- */

int tu_digest(silver_store *s, silver_digest *d) SILVER_WUR;
int tu_digest_equal(const silver_digest *a, const silver_digest *b);
/* Entries stored, sealed or not (walks silver_store_log). */
int tu_log_count(silver_store *s, uint64_t *n) SILVER_WUR;
int tu_conflict_count(silver_store *s, uint64_t *n) SILVER_WUR;
/* The value of field as text ("" when unset or absent, "<conflict>" never:
 * the provisional winner); rv SILVER_ENOTFOUND if no record. */
int tu_field(silver_store *s, const char *id, const char *field, char *out, size_t outlen) SILVER_WUR;
/* The field's state copied out: number of heads, conflict flag. */
int tu_fieldstate(silver_store *s, const char *id, const char *field, uint32_t *nheads, int *conflict) SILVER_WUR;
/* The record exists in the store (deleted or not). */
int tu_exists(silver_store *s, const char *id);

/* Byte image of a value (type, then bytes) for comparisons; appended. */
int tu_value_image(const silver_value *v, silver_buf *out) SILVER_WUR;
/* Byte image of a whole record (fields, heads with ref, hlc, value). */
int tu_record_image(const silver_record *r, silver_buf *out) SILVER_WUR;

#endif
