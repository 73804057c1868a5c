/*
 * silver_store.h - a node's LMDB store: feeds of signed entries, the records
 * they produce, per-field heads and conflicts, and digests.
 *
 * One node directory holds one LMDB environment (data.mdb, lock.mdb) and
 * the node's identity (identity.key, mode 0600).  Every write goes through
 * silver_store_write(): one LMDB write transaction that appends the entries,
 * seals the last one, and updates every piece of derived state, so after a
 * crash either all of a change is there or none of it.
 *
 * Ownership: a silver_store is owned by the caller of silver_store_open and
 * freed by silver_store_close.  Records and entries handed to callbacks point
 * into LMDB's map or an arena and are valid only during the callback unless
 * said otherwise.
 */
#ifndef SILVER_STORE_H
#define SILVER_STORE_H

#include <signal.h>

#include "silver_proto.h"
#include "silver_schema.h"

#define SILVER_STORE_FORMAT 4
#define SILVER_SEAL_EVERY 1024 /* a long transaction seals at least every this many entries */
#define SILVER_MAX_SKEW_MS (10ull * 60 * 1000) /* clocks further ahead are not followed */

typedef struct silver_store silver_store;
typedef struct silver_wtxn silver_wtxn;

/* Why a refusal happened, for the message a user reads.  field and row are
 * empty/0 when they do not apply; reason is English (shown through _()). */
typedef struct silver_why {
	char field[SILVER_MAX_NAME + 1];
	char reason[256];
	char detail[256]; /* a value, an id, a feed: shown as is */
	long row;
} silver_why;

/* ---- opening ------------------------------------------------------------ */

/* Make a new node in dir, which must not exist or be an empty directory:
 * a fresh Ed25519 identity in dir/identity.key (0600) and an empty store
 * that records township (silver_township_ok) and name ("" or a label,
 * silver_label_check).  The node is built whole in dir + ".partial", synced,
 * and renamed to dir: a kill or a full disk leaves no node, or a whole one.
 * Errors: SILVER_EINVAL (a bad township or name), SILVER_EEXIST (dir holds
 * anything, or dir.partial exists: left by an init that was killed; it may
 * be removed), SILVER_EDISKFULL, SILVER_EIO, SILVER_ENOMEM. */
int silver_store_create(const char *dir, const char *township, const char *name) SILVER_WUR;
/* The same, and pin admin as the county admin's key in the same step (NULL:
 * none; SILVER_PIN_SELF: the new node's own key, for the county admin). */
extern const uint8_t silver__pin_self[1];
#define SILVER_PIN_SELF silver__pin_self
#define SILVER_PARTIAL_SUFFIX ".partial"
int silver_store_create_pinned(const char *dir, const char *township, const char *name,
			       const uint8_t *admin) SILVER_WUR;

#define SILVER_OPEN_RDONLY 1u
/* SILVER_ENOTFOUND when dir holds no store; SILVER_EVERSION when a newer
 * silversync wrote it.  A store of an older format is upgraded when opened
 * to write (rebuilt from its entries: seconds per million entries) and
 * refused read-only with SILVER_EOLDSTORE. */
int silver_store_open(const char *dir, unsigned flags, silver_store **out) SILVER_WUR;
/* The same, calling fn(from, to, ctx) just before an upgrade starts, so a
 * program can tell its user why this open takes a while. */
typedef void (*silver_upgrade_fn)(uint32_t from, uint32_t to, void *ctx);
int silver_store_open_ex(const char *dir, unsigned flags, silver_upgrade_fn fn, void *ctx,
			 silver_store **out) SILVER_WUR;
void silver_store_close(silver_store **s); /* NULLs *s */

const uint8_t *silver_store_self(const silver_store *s); /* our public key */
const char *silver_store_township(const silver_store *s);
const char *silver_store_name(const silver_store *s);

/* ---- backups ------------------------------------------------------------- */

/* Copies what lives beside the store in a node directory and is not part of
 * it (the workbench's accounts, silver_users_copy) from node directory from
 * into to: 0, SILVER_ENOTFOUND when there is nothing to copy, or an error
 * after which it has left nothing behind. */
typedef int (*silver_copy_fn)(const char *from, const char *to);

/* A consistent, compacted copy of the store and the key file into a new
 * directory dir (mode 0700), taken while writers go on, then what extra
 * copies (may be NULL).  On failure nothing is left. */
int silver_store_backup(silver_store *s, const char *dir, silver_copy_fn extra) SILVER_WUR;
/* Make a node in dir (which must hold none) from a backup directory and mark
 * it restored: it refuses local writes (SILVER_ECATCHUP) until it receives
 * its own feed's entries newer than the backup, or silver_store_caught_up is
 * called by an operator who knows nothing newer exists.  Writing before
 * that could sign a second history for seqs the lost copy already used: a
 * fork that every other node would refuse.  extra (may be NULL) copies
 * what else the backup holds (its accounts); on failure nothing is left. */
int silver_store_restore(const char *backup, const char *dir, silver_copy_fn extra) SILVER_WUR;
int silver_store_caught_up(silver_store *s) SILVER_WUR;
/* 1 (and the own feed's seq at restore) while restored, 0 when not. */
int silver_store_restored(silver_store *s, uint64_t *tip);

/* ---- writing ------------------------------------------------------------- */

/* Runs fn inside one write transaction.  fn returns 0 to commit (the last
 * entry written is sealed first) or an error to abort.  When the map fills,
 * the transaction is aborted, the map doubled and fn run again from the
 * start, so fn must not keep state across calls except through its ctx in a
 * way that tolerates a rerun. */
typedef int (*silver_write_fn)(silver_wtxn *t, void *ctx);
int silver_store_write(silver_store *s, silver_write_fn fn, void *ctx) SILVER_WUR;
/* The same, and every CHANGE entry fn writes (add, set, delete, resolve)
 * carries operator_name, the office's account that made it (docs/FORMAT.md
 * section 6): NULL for none, as silver_store_write.  SILVER_EINVAL, with
 * nothing written, when it is not an account name (silver_operator_ok).
 * The string must stay valid until the call returns. */
int silver_store_write_as(silver_store *s, const char *operator_name, silver_write_fn fn,
			  void *ctx) SILVER_WUR;

/* A field assignment typed by a user: the key and the text. */
typedef struct silver_kv {
	const char *key;
	const char *text;
} silver_kv;

/* Create a record in collection from typed fields; required fields must be
 * present.  The id (township/collection/...) is written to id_out. */
int silver_wtxn_add(silver_wtxn *t, const char *collection, const silver_kv *kv, uint32_t n,
		    char id_out[SILVER_MAX_ID], silver_why *why) SILVER_WUR;
/* The same in another township's feed of this node's key (the hub moving a
 * retiree to a township, docs/OPERATIONS.md): the key's certificate must let
 * it write there (SILVER_EDENIED otherwise).  The id starts with township. */
int silver_wtxn_add_in(silver_wtxn *t, const char *township, const char *collection, const silver_kv *kv, uint32_t n,
		       char id_out[SILVER_MAX_ID], silver_why *why) SILVER_WUR;
/* A new record checked against the schema outside any transaction: its
 * values parsed, every field known and given once, the required ones
 * present.  silver_wtxn_add() is silver_draft_add() then
 * silver_wtxn_add_draft(); apart, a second thread can check rows while the
 * writer writes (silvernode import).  The draft lives in arena a (which
 * silver_draft_add may use from any one thread); silver_wtxn_add_draft
 * checks its references against the store, names and writes it. */
typedef struct silver_draft {
	const silver_collection *collection;
	silver_write *writes;
	uint32_t nwrites;
} silver_draft;
int silver_draft_add(silver_arena *a, const char *collection, const silver_kv *kv, uint32_t n, silver_draft *out,
		     silver_why *why) SILVER_WUR;
int silver_wtxn_add_draft(silver_wtxn *t, const silver_draft *d, char id_out[SILVER_MAX_ID],
			  silver_why *why) SILVER_WUR;
/* Change fields of an existing record (an empty text clears a field). */
int silver_wtxn_set(silver_wtxn *t, const char *id, const silver_kv *kv, uint32_t n, silver_why *why) SILVER_WUR;
int silver_wtxn_delete(silver_wtxn *t, const char *id, silver_why *why) SILVER_WUR;
/* Settle a field: write value (typed text, or the value of head number
 * take, 1-based, when text is NULL) superseding every current head. */
int silver_wtxn_resolve(silver_wtxn *t, const char *id, const char *field, const char *text, uint32_t take,
			silver_why *why) SILVER_WUR;

/* ---- receiving ------------------------------------------------------------- */

typedef struct silver_ingest_report {
	uint64_t received;   /* entries in the batch */
	uint64_t duplicates; /* already held: nothing to do */
	uint64_t stored;     /* new entries written */
	uint64_t applied;    /* entries sealed by this batch and applied to the records */
	uint64_t waiting;    /* entries held without a seal after them, not applied yet */
	uint64_t skewed;     /* applied entries whose clock was too far ahead to follow */
	uint64_t conflicts_before, conflicts_after;
} silver_ingest_report;

/* Verify and store a batch of encoded entries (a bundle, or a batch from a
 * peer) in one transaction.  Every entry is checked (canonical form, seal,
 * chain and sequence, schema) before anything is written; one bad entry
 * refuses the whole batch, why names its feed and seq, and the store is
 * left exactly as it was.  Receiving entries already held changes nothing. */
int silver_store_ingest(silver_store *s, const silver_slice *entries, size_t n, silver_ingest_report *rep,
			silver_why *why) SILVER_WUR;

/* silver_store_ingest in two steps, for a receiver that holds the next
 * batch while the one before is being written: _start decodes the entries
 * and has the store's verification threads start on their seals, without
 * reading or writing the store; _finish does everything else exactly as
 * silver_store_ingest does (it waits for every seal of the batch before
 * anything is written) and frees the batch.  Batches may be started ahead
 * and must be finished in order.  The entries' bytes must stay valid until
 * _finish or _cancel (which waits for the threads and drops the batch);
 * every started batch must be finished or cancelled before the store is
 * closed.  _start fails only for lack of memory: a malformed entry is
 * reported by _finish. */
typedef struct silver_ingest_prep silver_ingest_prep;
int silver_store_ingest_start(silver_store *s, const silver_slice *entries, size_t n,
			      silver_ingest_prep **out) SILVER_WUR;
int silver_store_ingest_finish(silver_ingest_prep **p, silver_ingest_report *rep, silver_why *why) SILVER_WUR;
void silver_store_ingest_cancel(silver_ingest_prep **p); /* NULLs *p; NULL is fine */

/* Entries beyond a peer's knowledge.  have lists, for each feed the peer
 * holds, its last seq (feeds the peer lacks are sent whole).  Calls fn with
 * each entry's bytes, feed by feed in seq order, only sealed entries;
 * filter (may be NULL) chooses feeds by township. */
typedef struct silver_have {
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	uint64_t seq;
} silver_have;
typedef int (*silver_bytes_fn)(const uint8_t *p, size_t n, void *ctx);
struct silver_feedinfo;
typedef int (*silver_feedfilter_fn)(const struct silver_feedinfo *f, void *ctx);
int silver_store_export(silver_store *s, const silver_have *have, size_t nhave, silver_feedfilter_fn filter,
			void *fctx, silver_bytes_fn fn, void *ctx) SILVER_WUR;

/* ---- trust (docs/AUDIT.md, docs/FORMAT.md "Certificates") --------------------
 * A store may pin the county admin's public key when it is created; then
 * trust in every other key derives from the admin's feed: certificates
 * (key -> name, role, townships it may write and read) and revocations (key,
 * last valid seq per feed).  A store with no pinned admin key is in open
 * mode: it accepts any correctly sealed entries (trials and tests only). */
enum silver_role { SILVER_ROLE_BRANCH = 1, SILVER_ROLE_HUB = 2, SILVER_ROLE_ADMIN = 3 };

/* Pin the county admin key; only once, and only on a store that holds no
 * entries of other authors yet (SILVER_EEXIST otherwise). */
int silver_store_pin_admin(silver_store *s, const uint8_t key[SILVER_KEY_BYTES]) SILVER_WUR;
/* 0 and the key, or SILVER_ENOTFOUND in open mode. */
int silver_store_admin(silver_store *s, uint8_t key[SILVER_KEY_BYTES]);
/* May this key connect and send?  0 when it is the admin, or certified and
 * not revoked (or in open mode); SILVER_EDENIED with why otherwise. */
int silver_store_key_allowed(silver_store *s, const uint8_t key[SILVER_KEY_BYTES], silver_why *why);
/* May reader receive the feeds of township?  1 yes, 0 no.  The admin and
 * hubs read everything; a branch reads what its certificate lists (and the
 * admin's "county" feed, which holds the certificates).  In open mode: 1. */
int silver_store_may_read(silver_store *s, const uint8_t reader[SILVER_KEY_BYTES], const char *township);
/* The CURVE key pair (for ZeroMQ) derived from this node's Ed25519 identity,
 * and the CURVE public key of any Ed25519 public key.  Raw 32-byte keys. */
int silver_store_curve_keys(silver_store *s, uint8_t pub[32], uint8_t sec[32]) SILVER_WUR;
int silver_curve_public(const uint8_t ed_pk[SILVER_KEY_BYTES], uint8_t out[32]) SILVER_WUR;

/* The admin's acts (only on the admin's own node): certify a key, or revoke
 * it.  A revocation keeps valid, per feed of the key, what this node holds of
 * it now (sync before revoking), or the seqs given in last. */
int silver_wtxn_certify(silver_wtxn *t, const silver_cert *c, silver_why *why) SILVER_WUR;
int silver_wtxn_revoke(silver_wtxn *t, const uint8_t key[SILVER_KEY_BYTES], const char *reason, silver_why *why)
	SILVER_WUR;

/* Every certificate held, with its revocation if any (rev NULL otherwise). */
typedef int (*silver_cert_fn)(const silver_cert *c, const silver_revoke *rev, void *ctx);
int silver_store_certs(silver_store *s, silver_cert_fn fn, void *ctx) SILVER_WUR;

/* Forks held as evidence: feed, seq, and the proof's bytes (a file anyone can
 * verify with silver_fork_proof_verify). */
typedef int (*silver_fork_fn)(const struct silver_feedinfo *feed, uint64_t seq, const uint8_t *proof, size_t n, void *ctx);
int silver_store_forks(silver_store *s, silver_fork_fn fn, void *ctx) SILVER_WUR;

/* ---- bundle files ------------------------------------------------------------ */

/* Write the entries silver_store_export would send into a bundle file at
 * path (docs/FORMAT.md, "Bundles"): written beside it first, synced, then
 * renamed into place (and the directory synced), so a bundle file is never
 * half written.  An existing path that is not a regular file (a device such
 * as /dev/full, a FIFO, a directory) is refused with SILVER_EINVAL and left
 * alone; a full disk gives SILVER_EDISKFULL.  *count gets the number of
 * entries. */
int silver_bundle_write(silver_store *s, const char *path, const silver_have *have, size_t nhave,
			silver_feedfilter_fn filter, void *fctx, uint64_t *count) SILVER_WUR;

/* A bundle file read into memory: entries[i] points into map (malloc'd, not
 * a file mapping: a file that shrinks while it is read is refused, never a
 * SIGBUS). */
typedef struct silver_bundle {
	silver_bundle_header header;
	silver_slice *entries;
	size_t n;
	void *map;
	size_t size;
} silver_bundle;
/* Read path and split it into entries, checking the header, every entry's
 * length and the count (not the entries themselves: that is ingest's job).
 * SILVER_EVERSION for a bundle from a newer format; SILVER_EMALFORMED with
 * why for a truncated or damaged file, one that shrinks while it is read, and
 * anything but a regular file (a directory, device or FIFO: refused without
 * waiting for a FIFO's writer); SILVER_EIO when reading fails. */
int silver_bundle_open(const char *path, silver_bundle **out, silver_why *why) SILVER_WUR;
void silver_bundle_close(silver_bundle **b);

/* ---- damage ------------------------------------------------------------------
 *
 * A data.mdb shorter than the pages in use is refused at open (SILVER_ECORRUPT).
 * Damage met later (a file cut while open, a garbage page LMDB follows) shows
 * as SIGBUS or SIGSEGV on the store's map or as an LMDB assertion; a program
 * turns these into "the store is damaged" (node/cli.c, silver-audit) with: */

/* Does addr lie in the map of a store this process has open?  Safe in a
 * signal handler (reads a fixed table). */
int silver_store_fault_addr(const void *addr);
/* How many stores this process has open.  Safe in a signal handler. */
int silver_store_open_count(void);
/* Is this signal (a SA_SIGINFO handler's arguments) the store's damage: a
 * SIGBUS while a store is open, or a SIGSEGV on its map or in liblmdb's code?
 * Safe in a signal handler. */
int silver_store_fault(int sig, const siginfo_t *si, const void *ucontext);
/* fn is called when liblmdb finds its own pages inconsistent (an assertion);
 * it must not return (liblmdb aborts then): exit or siglongjmp. */
void silver_store_on_damage(void (*fn)(void));

/* ---- reading --------------------------------------------------------------- */

/* on = 1: from now on every read of s (get, list, entry, feeds, cells,
 * digests, ...) sees one state, that of this moment, through one LMDB read
 * transaction, whatever other processes write meanwhile (silver-audit of a
 * live node); on = 0 ends it (silver_store_close does too).  Only for a
 * store opened read-only, read by one thread at a time. */
int silver_store_snapshot(silver_store *s, int on) SILVER_WUR;

typedef struct silver_head {
	silver_ref ref;
	uint64_t hlc;
	silver_value value;
} silver_head;

typedef struct silver_fieldstate {
	silver_slice field;
	silver_head *heads; /* sorted by ref */
	uint32_t nheads;
	uint32_t winner;  /* index into heads: latest hlc, then feed tag, then seq */
	int conflict;     /* two or more heads with different values */
} silver_fieldstate;

typedef struct silver_record {
	silver_slice collection;
	silver_slice id;
	int deleted; /* "_del" winner is true */
	silver_fieldstate *fields; /* sorted by field; includes "_del" */
	uint32_t nfields;
} silver_record;

/* The state of field key in r, or NULL when the field was never written
 * or has no value (no heads).  Its winner is fields->heads[fields->winner]. */
const silver_fieldstate *silver_record_field(const silver_record *r, const char *key);
/* The winning value of field key, or NULL as above. */
const silver_value *silver_record_value(const silver_record *r, const char *key);

/* Look a record up by id.  Strings point into arena a. */
int silver_store_get(silver_store *s, const char *id, silver_arena *a, silver_record *out) SILVER_WUR;

/* Calls fn for each record of collection (all when NULL), in key order;
 * fn returns non-zero to stop (that value is returned). */
typedef int (*silver_record_fn)(const silver_record *r, void *ctx);
int silver_store_list(silver_store *s, const char *collection, silver_record_fn fn, void *ctx) SILVER_WUR;
/* The same for one collection from a record on: forward, the records whose
 * id sorts after from; backward (backward != 0), those before it, last
 * first.  from NULL: from the collection's first (or last) record.  Pages
 * of a list cost what they show, however deep (docs/WEB.md). */
int silver_store_list_from(silver_store *s, const char *collection, const char *from, int backward,
			   silver_record_fn fn, void *ctx) SILVER_WUR;

/* Every entry that touched the record, in clock order. */
typedef int (*silver_entry_fn)(const silver_entry *e, void *ctx);
int silver_store_history(silver_store *s, const char *id, silver_entry_fn fn, void *ctx) SILVER_WUR;

/* Entries of every feed held (feed order, then seq); the entry's author and
 * township identify the feed. */
int silver_store_log(silver_store *s, silver_entry_fn fn, void *ctx) SILVER_WUR;

/* Look an entry up by reference (e.g. a head's) and decode it into a. */
int silver_store_entry(silver_store *s, const silver_ref *ref, silver_arena *a, silver_entry *out) SILVER_WUR;
/* How many entries the store holds (every feed, sealed or not). */
int silver_store_entry_count(silver_store *s, uint64_t *n) SILVER_WUR;

typedef struct silver_feedinfo {
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	uint8_t author[SILVER_KEY_BYTES];
	char township[SILVER_MAX_NAME + 1];
	uint64_t seq;                   /* last applied (sealed) entry */
	uint8_t hash[SILVER_HASH_BYTES]; /* its hash */
} silver_feedinfo;
typedef int (*silver_feed_fn)(const silver_feedinfo *f, void *ctx);
int silver_store_feeds(silver_store *s, silver_feed_fn fn, void *ctx) SILVER_WUR;

typedef struct silver_digest {
	uint8_t log[SILVER_HASH_BYTES];   /* over (tag, seq, hash) of every feed, in tag order */
	uint8_t state[SILVER_HASH_BYTES]; /* sum of BLAKE2b(key || value) of every record */
	uint64_t entries;
	uint64_t feeds;
	uint64_t records;
	uint64_t conflicts;
} silver_digest;
int silver_store_digest(silver_store *s, silver_digest *out) SILVER_WUR;
/* A number that grows with every committed write to the store, by this
 * process or another: equal numbers mean nothing was written in between.
 * (LMDB's last transaction id; reads nothing.) */
uint64_t silver_store_generation(silver_store *s);
/* The same for one township's scope: the log digest over the feeds of that
 * township only, and the state digest of its records (records and conflicts
 * are not counted: 0).  Nodes that share a township compare these. */
int silver_store_digest_township(silver_store *s, const char *township, silver_digest *out) SILVER_WUR;

/* Statistics cells (node/stats.c has the table of metrics): for township
 * (NULL: all), every event within [from, to] (either may be NULL) exactly
 * once — as month cells (date "YYYY-MM") for months wholly inside the range
 * and day cells ("YYYY-MM-DD") for the rest — and every other cell (the
 * snapshots, date "", and honorary_checkup by check-up date), in key order.
 * fn returns 0 to go on, SILVER_AGG_SKIP to skip the rest of this metric
 * for this township (the cursor seeks past it), or an error, which stops
 * the walk and is returned. */
#define SILVER_AGG_SKIP 1
typedef int (*silver_agg_fn)(const char *metric, const char *township, const char *date, const char *dim,
			     int64_t count, int64_t sum, void *ctx);
int silver_store_aggregates(silver_store *s, const char *township, const char *from, const char *to,
			    silver_agg_fn fn, void *ctx) SILVER_WUR;

/* Every statistics cell exactly as stored, in key order, internal ones
 * included (the audit compares them with a replay's); fn as above, except
 * that SILVER_AGG_SKIP stops the walk with SILVER_EINVAL. */
int silver_store_cells(silver_store *s, silver_agg_fn fn, void *ctx) SILVER_WUR;

/* One cell's count and sum (out[0], out[1]); SILVER_ENOTFOUND when there
 * is no such cell (its count and sum are both 0). */
int silver_store_cell(silver_store *s, const char *metric, const char *township, const char *date, const char *dim,
		      int64_t out[2]) SILVER_WUR;

/* ---- searching (node/search.c, docs/STORE.md 3.5, docs/WEB.md "Searching") ----------------
 *
 * A list's free-text search and its filters, answered from a search index
 * that is derived from the records and brought up to date lazily: writing a
 * change does not touch it; silver_store_search_update reads the entries
 * applied since it last ran and indexes their records again. */

/* The search text as the index compares it: valid UTF-8 (SILVER_EINVAL
 * otherwise), normalised to NFC, ASCII letters in lower case; written to
 * out, NUL-terminated (the NUL not counted in out->len). */
int silver_search_fold(const char *text, silver_buf *out) SILVER_WUR;
/* The rule of a list's free-text search, for a record r of collection c
 * and a folded text (n bytes): 1 when the winning value of one of c's
 * searched fields (silver_schema_searched) contains it with ASCII letters
 * taken in lower case, else 0; an empty text matches every record.  The
 * index answers by this rule and a full scan must use it too. */
int silver_search_match(const silver_collection *c, const silver_record *r, const char *folded, size_t n);
/* The same for one field (the reference picker searches name and ID number). */
int silver_search_field_match(const silver_record *r, const char *field, const char *folded, size_t n);

/* Bring the search index up to date for at most budget_ms milliseconds (0:
 * until it is), in write transactions of at most 20,000 entries (the first
 * small, then sized to the budget left), each of which moves the index
 * forward.  fn (may be NULL) is called after each transaction with the
 * entries done so far in this call and the number that were behind at its
 * start.  Returns 1 when the index is complete, 0 when entries are left
 * (always the case for a store opened read-only that is behind: it cannot
 * write), or an error (SILVER_EFULL, SILVER_EDISKFULL, SILVER_EIO,
 * SILVER_ECORRUPT, SILVER_ENOMEM); the index is then as the last
 * committed transaction left it, never inconsistent. */
typedef void (*silver_search_progress_fn)(uint64_t done, uint64_t total, void *ctx);
int silver_store_search_update(silver_store *s, uint64_t budget_ms, silver_search_progress_fn fn, void *ctx);

/* A search of one collection: records whose searched text contains text
 * (NULL or "": any) and whose winning values of the fields fkey[i] (ENUM or
 * REF fields only) equal fval[i] (STR values). */
typedef struct silver_find {
	const char *text;
	const char *const *fkey;
	const silver_value *fval;
	uint32_t nf;
	const char *after; /* NULL, or only the records whose id sorts after this one (the next page) */
} silver_find;
/* Calls fn for every record of collection that matches q and is not
 * deleted, in key order (record id order: the order of silver_store_list),
 * in one read transaction; fn returns non-zero to stop (that value is
 * returned).  SILVER_EINDEX when the index is not complete (entries applied
 * that silver_store_search_update has not read yet; the caller reads the
 * whole collection instead), SILVER_EINVAL for an unknown collection, a
 * filter on another type of field, a text that is not UTF-8, or a q with
 * neither text nor filters. */
int silver_store_find(silver_store *s, const char *collection, const silver_find *q, silver_record_fn fn,
		      void *ctx) SILVER_WUR;

typedef struct silver_search_stat {
	uint64_t bytes;    /* pages of its three databases, posting sub-trees included, times the page size */
	uint64_t postings; /* (term, record) pairs */
	uint64_t records;  /* records with terms */
	uint64_t behind;   /* applied entries not indexed yet: 0 when complete */
} silver_search_stat;
int silver_store_search_stat(silver_store *s, silver_search_stat *out) SILVER_WUR;

/* Open conflicts: (record id, field) pairs, in key order. */
typedef int (*silver_conflict_fn)(const char *id, const char *field, void *ctx);
int silver_store_conflicts(silver_store *s, silver_conflict_fn fn, void *ctx) SILVER_WUR;

#endif
