/*
 * audit.h - the auditor's verifier behind silver-audit (docs/AUDIT.md).
 *
 * An audit walks the entries of a bundle file or of a node's store once, in
 * the order they stand (feed by feed, each feed in seq order), and checks
 * each one with the proto and node libraries: canonical decoding, the
 * chain and the sequence of its feed, the seal that covers it, the
 * certificates and revocations of the county admin's feeds and the
 * authorisation rule of node/trust.c (re-derived here from the entries
 * alone), and clock anomalies.  For a store it also checks the forks the
 * store holds and that the stored records equal a replay of every valid
 * entry into a fresh store.
 *
 * Memory: a bundle is read through one fixed buffer (1 MiB), never mapped
 * or indexed whole; per feed a fixed summary (last seq and hash, counts)
 * and a window of its 256 recent hashes; seals (hash, key, signature, no
 * entry bytes) wait in a bounded queue for the verifier threads; the
 * admin's certificates wait for their seal with their bytes, at most
 * SILVER_SEAL_EVERY of them.  Nothing is kept per entry, except for the
 * certificates and revocations in force and what a trace asks for.
 *
 * The report is a list of findings, each with a stable ASCII kind (the
 * AUDIT_K_* strings below), the feed (author key and township, when known),
 * a seq (0 when none) and a message in the user's language.
 *
 * Ownership: audit_report_release frees everything an audit put in the
 * report; a trace's entries point into memory the report owns.
 */
#ifndef SILVER_AUDIT_H
#define SILVER_AUDIT_H

#include <stdint.h>

#include "silver_store.h"

/* Finding kinds: stable keywords for scripts (docs/AUDIT.md, "Findings"). */
#define AUDIT_K_DAMAGED "damaged"         /* a bundle's framing broken after a valid header; a store LMDB cannot read through */
#define AUDIT_K_MALFORMED "malformed"     /* an entry does not decode (not canonical, over a limit) */
#define AUDIT_K_VERSION "version"         /* an entry of a newer format version or unknown suite */
#define AUDIT_K_SIGNATURE "signature"     /* a seal does not verify */
#define AUDIT_K_UNSEALED "unsealed"       /* entries at the end of a feed with no seal after them */
#define AUDIT_K_CHAIN "chain"             /* prev is not the hash of the entry before */
#define AUDIT_K_GAP "gap"                 /* sequence numbers missing */
#define AUDIT_K_ORDER "order"             /* a seq lower than one already seen in the feed */
#define AUDIT_K_DUPLICATE "duplicate"     /* the same entry twice */
#define AUDIT_K_FORK "fork"               /* two different entries for one (feed, seq) */
#define AUDIT_K_TRUNCATED "truncated"     /* entries others name (bases, revocations) are missing */
#define AUDIT_K_CERT "cert"               /* a certificate or revocation not by the admin, or undecodable */
#define AUDIT_K_UNCERTIFIED "uncertified" /* changes by a key with no certificate */
#define AUDIT_K_TOWNSHIP "township"       /* a township the author may not write */
#define AUDIT_K_REVOKED "revoked"         /* changes after the revocation's last valid seq */
#define AUDIT_K_CLOCK "clock"             /* a clock far from its neighbours or in the future */
#define AUDIT_K_STATE "state"             /* stored records differ from a replay of the entries */
#define AUDIT_K_STORE "store"             /* the store cannot be read as it claims */

/* Clock anomaly thresholds (docs/AUDIT.md, "Clocks"). */
#define AUDIT_CLOCK_BACK_MS (24ull * 3600 * 1000)   /* before the previous entry of the feed */
#define AUDIT_CLOCK_AHEAD_MS (24ull * 3600 * 1000)  /* after the bundle's time or the audit's */
#define AUDIT_CLOCK_EPOCH_MS 946684800000ull        /* 2000-01-01: earlier is not a real time */

typedef struct audit_finding {
	char kind[16];
	int has_feed;
	uint8_t author[SILVER_KEY_BYTES];
	char township[SILVER_MAX_NAME + 1];
	uint64_t seq;
	char *message;
} audit_finding;

/* One certificate in force (the latest the admin's feed holds for a key). */
typedef struct audit_cert {
	uint8_t key[SILVER_KEY_BYTES];
	char name[SILVER_MAX_CERT_NAME + 1];
	uint32_t role;
	char township[SILVER_MAX_NAME + 1]; /* the admin feed that holds it */
	uint64_t seq;                       /* its entry's seq in that feed */
	uint64_t hlc;
	uint8_t *raw; /* the CERT op bytes (malloc) */
	uint32_t nraw;
	uint8_t *rev; /* the latest REVOKE op bytes for the key, or NULL */
	uint32_t nrev;
	uint64_t rev_seq;
	int has_cert;
} audit_cert;

/* One entry of a traced record, in clock order. */
typedef struct audit_trace_entry {
	uint8_t *raw; /* the entry's bytes (malloc) */
	uint32_t nraw;
	int valid; /* covered by a verified seal, chained, authorised */
} audit_trace_entry;

typedef struct audit_opts {
	uint8_t admin[SILVER_KEY_BYTES];
	const char *bundle; /* exactly one of bundle and store */
	const char *store;
	const char *trace;  /* a record id: collect its history */
	uint64_t now_ms;    /* "now" for the future-clock check of a store (0: the real time) */
	int threads;        /* seal verifiers (0: 2) */
	int no_replay;      /* skip the state replay of a store */
} audit_opts;

typedef struct audit_report {
	audit_finding *findings;
	size_t nfindings, capfindings;
	size_t dropped;      /* findings beyond AUDIT_MAX_FINDINGS, counted only */
	uint64_t entries;    /* entries walked */
	uint64_t feeds;
	uint64_t seals;      /* seals verified */
	uint64_t bad_seals;
	uint64_t created;    /* the bundle header's clock (0 for a store) */
	audit_cert *certs;   /* sorted by key */
	size_t ncerts;
	uint64_t certs_total, revokes_total; /* CERT / REVOKE entries accepted */
	int state_checked;   /* a store's replay ran */
	uint64_t records;    /* a store's records, compared */
	uint64_t cells;      /* a store's statistics cells, compared */
	uint8_t state[SILVER_HASH_BYTES], replay_state[SILVER_HASH_BYTES];
	audit_trace_entry *trace;
	size_t ntrace, captrace;
} audit_report;

#define AUDIT_MAX_FINDINGS 100000

/* Run an audit.  Returns 0 when the input could be read (findings or not:
 * rep->nfindings says), or a negative SILVER_E* code with why when the input
 * is unusable: not a bundle (SILVER_EMALFORMED), a newer format
 * (SILVER_EVERSION), unreadable (SILVER_EIO, SILVER_ENOTFOUND), no store
 * (SILVER_ENOTFOUND), out of memory. */
/* The store walk's progress, for silver-audit's watchdog: a garbage page can
 * send liblmdb round a loop that never returns, and an audit must end with a
 * verdict.  walk_store sets audit_walking while it walks the entries and
 * counts each entry read in audit_progress. */
extern volatile unsigned long audit_progress;
extern volatile int audit_walking;
int audit_run(const audit_opts *o, audit_report *rep, silver_why *why);
void audit_report_release(audit_report *rep);

/* The certificate in force for key, or NULL (also NULL when only a
 * revocation is known). */
const audit_cert *audit_cert_find(const audit_report *rep, const uint8_t key[SILVER_KEY_BYTES]);

/* 1 when the report holds a finding of kind. */
int audit_has(const audit_report *rep, const char *kind);

/* ---- internal, shared by audit_scan.c and audit_state.c ------------------------ */
int audit__add(audit_report *rep, const char *kind, const uint8_t *author, const char *township, uint64_t seq,
	       const char *fmt, ...) __attribute__((format(printf, 6, 7)));
struct audit_feedsum;
/* The store part: forks held, and the state replay. */
int audit__store_checks(const audit_opts *o, silver_store *s, audit_report *rep, struct audit_feedsum **feeds,
			size_t nfeeds);

/* What the walk learnt of one feed; audit_state.c uses it to pick what to
 * replay. */
typedef struct audit_feedsum {
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	uint8_t author[SILVER_KEY_BYTES];
	char township[SILVER_MAX_NAME + 1];
	int seen;             /* entries of the feed were walked (not only named by others) */
	int admin;            /* author is the pinned admin key */
	uint64_t count;
	uint64_t last_seq;    /* the chain walked so far */
	uint8_t last_hash[SILVER_HASH_BYTES];
	uint64_t last_hlc;
	uint64_t pending_from; /* first entry after the last seal (0: none pending) */
	uint64_t pending_n;
	int hash_unknown;     /* the last entry could not be read (a damaged store value) */
	uint64_t problem;     /* a chain, gap, decode or seal problem: valid at most up to this seq
			       * (UINT64_MAX: none) */
	uint64_t last_seal;   /* last sealed seq of the chain */
	uint64_t chg_first, chg_last, chg_n; /* CHANGE entries */
	uint64_t maxref;      /* highest seq of this feed named by another entry */
	uint64_t valid_to;    /* after the walk: entries 1..valid_to are valid (replayable) */
	int denied;           /* after the walk: its changes are not authorised at all */
	int run_closed;       /* the walk moved to another feed after this one */
	struct audit_window *win; /* recent hashes (audit_scan.c) */
} audit_feedsum;

#endif
