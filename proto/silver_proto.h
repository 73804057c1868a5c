/*
 * silver_proto.h - the proto layer of silversync: canonical MessagePack
 * encoding of log entries, hashing and sealing, and decoding of untrusted
 * bytes with hard limits.  No disk, no sockets, no printing.
 *
 * The byte-exact format is docs/FORMAT.md; the essay and byte table live at
 * the top of proto/entry.c.  In short:
 *
 *   entry  = array(2) [ body, seal ]
 *   body   = array(8) [ version, suite, author, township, seq, prev, hlc, op ]
 *   seal   = nil | bin(64)   Ed25519 over "silvseal" || hash(body)
 *   hash   = BLAKE2b-256 over the bytes of body, exactly as they stand in entry
 *
 * Ownership: every decoded structure points into the buffer it was decoded
 * from and into a silver_arena; both must outlive it.  Functions return 0 or
 * a negative SILVER_E* code and never print or exit.
 */
#ifndef SILVER_PROTO_H
#define SILVER_PROTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SILVER_WUR __attribute__((warn_unused_result))
#else
#define SILVER_WUR
#endif

/* ---- errors -------------------------------------------------------------
 * One enum for the whole project (proto, store, sync).  Library code returns
 * these; programs turn them into a message and an exit code (docs/EXIT.md). */
enum silver_err {
	SILVER_OK = 0,
	SILVER_ENOMEM = -1,      /* out of memory */
	SILVER_EINVAL = -2,      /* bad argument from the caller (a bug or bad user input) */
	SILVER_EMALFORMED = -3,  /* bytes are not a well-formed encoding */
	SILVER_ELIMIT = -4,      /* a declared size, count or depth is over a hard limit */
	SILVER_ENONCANON = -5,   /* well-formed, but not the one canonical encoding */
	SILVER_EVERSION = -6,    /* written by a newer format version or unknown suite */
	SILVER_EBADSIG = -7,     /* a seal does not verify */
	SILVER_ECHAIN = -8,      /* prev hash or sequence does not follow the feed */
	SILVER_EFORK = -9,       /* two different sealed entries for one (feed, seq) */
	SILVER_ENOTFOUND = -10,  /* no such record, feed or entry */
	SILVER_EEXIST = -11,     /* already exists (store, record, key file) */
	SILVER_ESCHEMA = -12,    /* a value does not fit the schema */
	SILVER_EDENIED = -13,    /* not authorised: uncertified, revoked, wrong township */
	SILVER_EIO = -14,        /* disk or OS error (see errno) */
	SILVER_EFULL = -15,      /* disk full or map cannot grow */
	SILVER_ESTORE = -16,     /* the LMDB store reported an error */
	SILVER_ECORRUPT = -17,   /* the store's contents contradict themselves */
	SILVER_EUNSEALED = -18,  /* entries without a seal after them */
	SILVER_ESKEW = -19,      /* a clock too far from ours */
	SILVER_ECONFLICT = -20,  /* an open conflict blocks the operation */
	SILVER_ENET = -21,       /* network or peer failure */
	SILVER_ECRYPTO = -22,    /* libsodium could not be initialised */
	SILVER_EDISKFULL = -23,  /* the disk is full */
	SILVER_ECATCHUP = -24,   /* restored from a backup: must receive its own latest entries first */
	SILVER_EOLDSTORE = -25,  /* a store of an older format, opened read-only: open it to write once */
	SILVER_ECLOCK = -26,     /* this computer's clock is outside the range silversync can record */
	SILVER_EINDEX = -27,     /* the search index is not up to date yet (node/search.c) */
};

/* A short English sentence for an error; wrap it in _() to show it. Static. */
const char *silver_strerror(int err);

/* ---- sizes and limits ---------------------------------------------------- */
#define SILVER_FORMAT_VERSION 1
#define SILVER_SUITE_ED25519_BLAKE2B 1

#define SILVER_KEY_BYTES 32      /* Ed25519 public key */
#define SILVER_SECRET_BYTES 64   /* Ed25519 secret key (seed || public) */
#define SILVER_HASH_BYTES 32     /* BLAKE2b-256 */
#define SILVER_SIG_BYTES 64      /* Ed25519 signature */
#define SILVER_FEEDTAG_BYTES 16  /* BLAKE2b-128(author || township) */

#define SILVER_MAX_ENTRY 65536   /* bytes in one encoded entry */
#define SILVER_MAX_STR 4096      /* bytes in one string value */
#define SILVER_MAX_NAME 64       /* bytes in a collection or field name */
#define SILVER_MAX_TOWNSHIP 32   /* bytes in a township code */
#define SILVER_MAX_ID 96         /* bytes in a record id */
#define SILVER_MAX_OPERATOR 32   /* bytes in an operator (an office's account name) */
#define SILVER_MAX_WRITES 64     /* field writes in one change */
#define SILVER_MAX_BASES 32      /* bases named by one write */
#define SILVER_MAX_LIST 32       /* items in a set value */
#define SILVER_MAX_DEPTH 6       /* nesting of arrays/maps in any message */
#define SILVER_MAX_ITEMS 4096    /* elements declared by one array/map header */

/* ---- byte slices and the arena ----------------------------------------- */
typedef struct silver_slice {
	const uint8_t *p; /* not NUL-terminated unless said so */
	uint32_t n;
} silver_slice;

/* A bump allocator for decoded structures; free it all at once. */
typedef struct silver_arena silver_arena;
silver_arena *silver_arena_new(void);
void *silver_arena_alloc(silver_arena *a, size_t n); /* zeroed; NULL on ENOMEM */
void silver_arena_reset(silver_arena *a);            /* keep blocks, forget contents */
void silver_arena_destroy(silver_arena **a);          /* NULLs *a */

/* ---- values -------------------------------------------------------------
 * Field values, in their canonical form:
 *   NIL  - msgpack nil        (unset field)
 *   STR  - msgpack str        (text, date "YYYY-MM-DD", enum value, record id; UTF-8 NFC)
 *   INT  - msgpack int        (integers; money in fen), shortest encoding
 *   BOOL - msgpack bool       (the reserved field "_del")
 *   LIST - msgpack array of str, strictly ascending by bytes (sets of enum values)
 */
enum silver_vtype { SILVER_V_NIL = 0, SILVER_V_STR, SILVER_V_INT, SILVER_V_BOOL, SILVER_V_LIST };

typedef struct silver_value {
	enum silver_vtype type;
	int64_t i;           /* INT, BOOL (0/1) */
	silver_slice s;      /* STR */
	silver_slice *items; /* LIST: n strings */
	uint32_t n;
} silver_value;

/* Byte-wise equality of two canonical values. */
int silver_value_equal(const silver_value *a, const silver_value *b);

/* ---- entries ------------------------------------------------------------ */

/* A reference to an entry: feed tag and sequence number (docs/FORMAT.md). */
typedef struct silver_ref {
	uint8_t feed[SILVER_FEEDTAG_BYTES];
	uint64_t seq;
} silver_ref;

/* Compare refs: memcmp of the tag, then seq.  Bases are sorted by this. */
int silver_ref_cmp(const silver_ref *a, const silver_ref *b);

/* One field set by a change, with the entries its author saw as the field's
 * current heads. */
typedef struct silver_write {
	silver_slice field;
	silver_value value;
	silver_ref *bases;
	uint32_t nbases;
} silver_write;

enum silver_optype {
	SILVER_OP_CHANGE = 1, /* set fields of one record (also create, delete, resolve) */
	SILVER_OP_CERT = 2,   /* county admin: certify a key (issue "trust") */
	SILVER_OP_REVOKE = 3, /* county admin: revoke a key */
};

/* op = array [ 1, collection, record, writes ] or [ 1, collection, record,
 * writes, operator ] where writes is an array of
 * array(3) [ field, value, bases ], strictly ascending by field bytes, and
 * bases is an array of array(2) [ bin(16) feedtag, seq ], strictly ascending.
 * operator, when present, is the account of the author's office that made the
 * change (SILVER_NAME_OPERATOR); absent means none was recorded, and a
 * present one is never empty (canonical form: one encoding per entry).
 * "_del" is a reserved field: a create or an edit writes "_del" = false, a
 * delete writes "_del" = true (so "edited here, deleted there" collides on
 * it); a resolution writes only the field it settles.  See docs/MERGE.md. */
typedef struct silver_op {
	enum silver_optype type;
	silver_slice collection;
	silver_slice record;
	silver_write *writes;
	uint32_t nwrites;
	/* CHANGE: the operator, or { NULL, 0 } when the change names none.  An
	 * encoder refuses a non-NULL empty one (SILVER_EMALFORMED). */
	silver_slice operator_name;
	silver_slice raw; /* for CERT / REVOKE: the op's bytes, decoded by node/ */
} silver_op;

typedef struct silver_entry {
	uint32_t version;
	uint32_t suite;
	uint8_t author[SILVER_KEY_BYTES];
	silver_slice township;
	uint64_t seq;
	uint8_t prev[SILVER_HASH_BYTES]; /* all zero when seq == 1 (encoded as nil) */
	uint64_t hlc;
	silver_op op;
	int sealed;
	uint8_t sig[SILVER_SIG_BYTES];
	/* filled by silver_entry_decode: */
	uint8_t hash[SILVER_HASH_BYTES];
	silver_slice body; /* the body's bytes within the decoded buffer */
} silver_entry;

/* Growable byte buffer: data is never NULL after init, len <= cap.
 * failed is sticky: set when the buffer could not grow, after which its
 * contents are incomplete and every append and reserve refuses; an encoder
 * may pack without checking each call and test silver_buf_failed once at
 * the end.  silver_buf_reset (or init/release) clears it. */
typedef struct silver_buf {
	uint8_t *data;
	size_t len, cap;
	int failed;
} silver_buf;
void silver_buf_init(silver_buf *b);
int silver_buf_append(silver_buf *b, const void *p, size_t n);
int silver_buf_reserve(silver_buf *b, size_t n);
static inline int silver_buf_failed(const silver_buf *b)
{
	return b->failed;
}
/* Empty the buffer for reuse (keeps its memory) and clear failed. */
static inline void silver_buf_reset(silver_buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->cap)
		b->data[0] = 0;
}
/* Encoders pack into a silver_buf with silver_pack_*() (silver_pack.h). */
void silver_buf_release(silver_buf *b); /* frees, leaves an empty buffer */

/* Encode an entry's body into out (appending) and compute e->hash.
 * Checks that writes and bases are sorted and within limits.  Does not seal. */
int silver_entry_encode_body(silver_entry *e, silver_buf *out) SILVER_WUR;

/* Append the whole entry (array(2) [body, seal]) given body bytes already
 * encoded; sig may be NULL for an unsealed entry. */
int silver_entry_wrap(const uint8_t *body, size_t nbody, const uint8_t *sig, silver_buf *out) SILVER_WUR;

/* Decode one entry from untrusted bytes.  Checks limits before allocating,
 * checks canonical form (re-encoding gives the same bytes), computes the
 * hash.  Does NOT verify the seal: see silver_seal_verify. */
int silver_entry_decode(const uint8_t *p, size_t n, silver_arena *a, silver_entry *out) SILVER_WUR;

/* feed tag = BLAKE2b-128(author(32) || township bytes) */
void silver_feedtag(const uint8_t author[SILVER_KEY_BYTES], const uint8_t *township, size_t n,
		    uint8_t out[SILVER_FEEDTAG_BYTES]);

/* ---- hashing and seals --------------------------------------------------- */
int silver_crypto_init(void) SILVER_WUR; /* sodium_init; SILVER_ECRYPTO on failure */
void silver_hash(const uint8_t *p, size_t n, uint8_t out[SILVER_HASH_BYTES]);
/* sig = Ed25519(sk, "silvseal" || hash) */
void silver_seal_sign(const uint8_t hash[SILVER_HASH_BYTES], const uint8_t sk[SILVER_SECRET_BYTES],
		      uint8_t sig[SILVER_SIG_BYTES]);
int silver_seal_verify(const uint8_t hash[SILVER_HASH_BYTES], const uint8_t pk[SILVER_KEY_BYTES],
		       const uint8_t sig[SILVER_SIG_BYTES]) SILVER_WUR; /* 0 or SILVER_EBADSIG */

/* ---- untrusted msgpack ---------------------------------------------------
 * Walks one msgpack object in p[0..n) without allocating: every declared
 * length must fit in the bytes remaining, every array/map header must declare
 * at most max_items elements, nesting at most max_depth.  On success *used is
 * the object's length.  Ext types and floats are refused (we never write them). */
int silver_msgpack_check(const uint8_t *p, size_t n, uint32_t max_items, uint32_t max_depth,
			 size_t *used) SILVER_WUR;

/* ---- names (proto/names.c) -------------------------------------------------
 * The one rule for each kind of name; every layer and program uses these.
 *   township    [a-z0-9_]{1,32}, not starting with '_'
 *   collection  [a-z0-9_]{1,64}, not starting with '_'
 *   field       [a-z0-9_]{1,64} ('_' first: the reserved fields)
 *   operator    [a-z0-9_.-]{1,32}: an office's account name (the workbench's
 *               accounts), carried by a CHANGE as the person who made it
 * Returns 0, SILVER_EMALFORMED (a byte outside the set, empty, or a leading
 * '_'), SILVER_ELIMIT (too long) or SILVER_EINVAL (p NULL). */
enum silver_name_kind {
	SILVER_NAME_TOWNSHIP,
	SILVER_NAME_COLLECTION,
	SILVER_NAME_FIELD,
	SILVER_NAME_OPERATOR
};
int silver_name_check(const uint8_t *p, size_t n, enum silver_name_kind kind) SILVER_WUR;
/* 1 if the NUL-terminated code is a township code, else 0 (also for NULL). */
int silver_township_ok(const char *code);
/* 1 if the NUL-terminated name is an operator (account) name, else 0 (also
 * for NULL). */
int silver_operator_ok(const char *name);
/* A display name (a node's, a certificate's): valid UTF-8 of 1..128 bytes
 * without control characters, line/paragraph separators or bidirectional
 * controls.  Returns 0, SILVER_EMALFORMED, SILVER_ELIMIT or SILVER_EINVAL. */
int silver_label_check(const uint8_t *p, size_t n) SILVER_WUR;
/* 1 if code point c may stand in a label or a message as it is; 0 for the
 * control characters, line/paragraph separators and bidirectional controls
 * (the set silver_label_check refuses and messages escape). */
int silver_char_plain(int32_t c);

/* ---- hybrid logical clock ------------------------------------------------
 * 64 bits: milliseconds since the Unix epoch << 16 | a 16-bit counter. */
#define SILVER_HLC_MS(h) ((h) >> 16)
/* The largest wall clock a local event may read: 2^48 - 1 ms after the
 * epoch (the year 10889). */
#define SILVER_HLC_MAX_MS (UINT64_MAX >> 16)
/* The clock for a local event after last, at wall time now_ms: max(last + 1,
 * now_ms << 16).  Returns 0 (never a valid result) when now_ms is past
 * SILVER_HLC_MAX_MS or last is UINT64_MAX: the caller
 * must refuse to write (SILVER_ECLOCK), never reuse a value. */
uint64_t silver_hlc_next(uint64_t last, uint64_t now_ms);
/* Merge a received clock.  Returns SILVER_ESKEW (and leaves *clock alone)
 * when remote is more than max_skew_ms ahead of now_ms. */
int silver_hlc_observe(uint64_t *clock, uint64_t remote, uint64_t now_ms, uint64_t max_skew_ms);

/* ---- bundles ----------------------------------------------------------------
 * A bundle is a header followed by count entries, each encoded as above, back
 * to back with nothing between them (docs/FORMAT.md, "Bundles"):
 *   header = array(5) [ "silversync-bundle", version, suite, created hlc, count ]
 * Entries appear feed by feed, each feed's in ascending seq. */
#define SILVER_BUNDLE_MAGIC "silversync-bundle"
typedef struct silver_bundle_header {
	uint32_t version;
	uint32_t suite;
	uint64_t created; /* hlc of the exporting node when it wrote the bundle */
	uint64_t count;   /* entries that follow */
} silver_bundle_header;
int silver_bundle_header_encode(const silver_bundle_header *h, silver_buf *out) SILVER_WUR;
/* SILVER_EMALFORMED when p does not start with a bundle header,
 * SILVER_EVERSION when the header is from a newer format. */
int silver_bundle_header_decode(const uint8_t *p, size_t n, silver_bundle_header *h, size_t *used) SILVER_WUR;
/* Length of the entry starting at p, checked against the limits without
 * allocating (it is not decoded). */
int silver_bundle_next(const uint8_t *p, size_t n, size_t *len) SILVER_WUR;

/* ---- certificates and revocations (ops 2 and 3 of the admin's feed) --------
 * CERT   op = array(6) [ 2, key bin(32), name str, role uint (1 branch, 2 hub,
 *                        3 admin), write: array of str, read: array of str ]
 * REVOKE op = array(4) [ 3, key bin(32), last: array of array(2) [ township
 *                        str, seq uint ], reason str ]
 * Township lists are strictly ascending by bytes; "*" stands for every
 * township.  A revocation's last lists, per feed of the key, the last entry
 * that stays valid; entries of feeds it does not list are all invalid. */
#define SILVER_MAX_CERT_NAME 128
#define SILVER_MAX_REASON 1024
#define SILVER_MAX_TOWNSHIPS 64
#define SILVER_ROLE_MIN 1
#define SILVER_ROLE_MAX 3

typedef struct silver_cert {
	uint8_t key[SILVER_KEY_BYTES];
	silver_slice name;
	uint32_t role;
	silver_slice *write;
	uint32_t nwrite;
	silver_slice *read;
	uint32_t nread;
} silver_cert;

typedef struct silver_lastvalid {
	silver_slice township;
	uint64_t seq;
} silver_lastvalid;

typedef struct silver_revoke {
	uint8_t key[SILVER_KEY_BYTES];
	silver_lastvalid *last;
	uint32_t nlast;
	silver_slice reason;
} silver_revoke;

/* Append the op bytes (to be used as op.raw of a CERT / REVOKE entry). */
int silver_cert_encode(const silver_cert *c, silver_buf *out) SILVER_WUR;
int silver_revoke_encode(const silver_revoke *r, silver_buf *out) SILVER_WUR;
/* Decode op.raw; checks every rule and canonical form; slices point into raw. */
int silver_cert_decode(const silver_slice *raw, silver_arena *a, silver_cert *out) SILVER_WUR;
int silver_revoke_decode(const silver_slice *raw, silver_arena *a, silver_revoke *out) SILVER_WUR;
/* 1 when list (sorted) holds township or "*". */
int silver_township_in(const silver_slice *list, uint32_t n, const uint8_t *township, size_t len);

/* ---- fork proofs ------------------------------------------------------------
 * Evidence that a key signed two different entries for one (feed, seq):
 *   proof = array(3) [ "silversync-fork-proof", 1, array(2) [ side, side ] ]
 *   side  = array(1..4096) of bin(entry bytes): entries seq, seq+1, ... of the
 *           feed, each linked to the one before by prev, the last one sealed.
 * Valid iff both sides decode, start at the same (author, township, seq) with
 * different hashes, chain, and end in seals that verify with the author key. */
#define SILVER_FORK_PROOF_MAGIC "silversync-fork-proof"
#define SILVER_MAX_PROOF_SIDE 4096
typedef struct silver_fork_info {
	uint8_t author[SILVER_KEY_BYTES];
	char township[SILVER_MAX_NAME + 1];
	uint64_t seq;
	uint8_t hash[2][SILVER_HASH_BYTES];
	uint64_t hlc[2];
} silver_fork_info;
int silver_fork_proof_encode(const silver_slice *a, size_t na, const silver_slice *b, size_t nb, silver_buf *out)
	SILVER_WUR;
/* 0 when p is a valid proof (info filled); otherwise the first problem. */
int silver_fork_proof_verify(const uint8_t *p, size_t n, silver_fork_info *info) SILVER_WUR;

/* ---- hex ------------------------------------------------------------------ */
void silver_hex(const uint8_t *p, size_t n, char *out); /* out: 2n+1 bytes */
int silver_unhex(const char *s, uint8_t *out, size_t n); /* exactly 2n hex digits */

/* ---- sync messages (docs/PROTOCOL.md; proto/sync_msg.c) -------------------
 * One ZeroMQ frame holds one message, a MessagePack array in canonical form
 * (shortest encodings, as for entries):
 *   [ "silversync", 1, type, fields... ]
 * HELLO  [.., 1, key bin(32), township str, role uint, window uint,
 *         feeds array of [tag bin(16), seq uint, hash bin(32)]]
 * BATCH  [.., 2, batch uint, entries array(<=1024) of bin]
 * ACK    [.., 3, batch uint, code int, reason str, received, stored, applied]
 * DONE   [.., 4, batches uint, entries uint]
 * FORK   [.., 5, tag bin(16), seq uint, sender's hash bin(32), receiver's hash bin(32)]
 * ERROR  [.., 6, code int, reason str]
 * Decoding checks limits with silver_msgpack_check before unpacking, and the
 * decoded message must re-encode to the very same bytes (SILVER_ENONCANON). */
#define SILVER_SYNC_MAGIC "silversync"
#define SILVER_SYNC_VERSION 1
#define SILVER_SYNC_MAX_MSG (8u << 20)         /* bytes in one message (ZMQ_MAXMSGSIZE) */
#define SILVER_SYNC_MAX_FEEDS 65536u           /* feeds stated in one HELLO */
#define SILVER_SYNC_MAX_BATCH 1024u            /* entries in one BATCH: one bulk transaction (SILVER_SEAL_EVERY) */
#define SILVER_SYNC_MAX_BATCH_BYTES (4u << 20) /* entry bytes in one BATCH */
#define SILVER_SYNC_MAX_REASON 256u            /* bytes of reason text */
#define SILVER_SYNC_MAX_WINDOW 64u             /* batches in flight a peer may ask for */

enum silver_msgtype {
	SILVER_MSG_HELLO = 1,
	SILVER_MSG_BATCH = 2,
	SILVER_MSG_ACK = 3,
	SILVER_MSG_DONE = 4,
	SILVER_MSG_FORK = 5,
	SILVER_MSG_ERROR = 6,
};

/* What a node holds of one feed: last sealed seq and that entry's hash. */
typedef struct silver_feedstate {
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	uint64_t seq;
	uint8_t hash[SILVER_HASH_BYTES];
} silver_feedstate;

/* A decoded message.  Only the fields of its type are set; slices point
 * into the decoded bytes, arrays into the arena given to the decoder. */
typedef struct silver_msg {
	enum silver_msgtype type;
	/* HELLO */
	uint8_t key[SILVER_KEY_BYTES];
	silver_slice township;
	uint32_t role;
	uint32_t window;
	silver_feedstate *feeds;
	uint32_t nfeeds;
	/* BATCH, ACK */
	uint64_t batch;
	silver_slice *entries;
	uint32_t nentries;
	/* ACK, ERROR */
	int32_t code; /* 0 or a SILVER_E* code */
	silver_slice reason;
	uint64_t received, stored, applied;
	/* DONE */
	uint64_t batches, sent;
	/* FORK */
	silver_feedstate fork;             /* tag, seq, the sender's hash */
	uint8_t fork_theirs[SILVER_HASH_BYTES]; /* the receiver's hash, as the sender saw it */
} silver_msg;

/* Encoders append one whole message to out; SILVER_ELIMIT when a count or
 * size is over the limits above, SILVER_EINVAL on bad arguments. */
int silver_msg_hello_encode(const uint8_t key[SILVER_KEY_BYTES], const char *township, uint32_t role,
			    uint32_t window, const silver_feedstate *feeds, uint32_t nfeeds, silver_buf *out) SILVER_WUR;
int silver_msg_batch_encode(uint64_t batch, const silver_slice *entries, uint32_t n, silver_buf *out) SILVER_WUR;
/* A BATCH in two steps, for senders that gather entries as they stream:
 * silver_msg_bin_append appends one entry as a MessagePack bin to a scratch
 * buffer; silver_msg_batch_head appends the message head for n entries; the
 * message is the head followed by the scratch bytes. */
int silver_msg_batch_head(uint64_t batch, uint32_t n, silver_buf *out) SILVER_WUR;
int silver_msg_bin_append(const uint8_t *p, size_t n, silver_buf *out) SILVER_WUR;
int silver_msg_ack_encode(uint64_t batch, int32_t code, const char *reason, uint64_t received, uint64_t stored,
			  uint64_t applied, silver_buf *out) SILVER_WUR;
int silver_msg_done_encode(uint64_t batches, uint64_t sent, silver_buf *out) SILVER_WUR;
int silver_msg_fork_encode(const silver_feedstate *ours, const uint8_t theirs[SILVER_HASH_BYTES],
			   silver_buf *out) SILVER_WUR;
int silver_msg_error_encode(int32_t code, const char *reason, silver_buf *out) SILVER_WUR;

/* Decode one message from untrusted bytes (at most SILVER_SYNC_MAX_MSG).
 * SILVER_EMALFORMED for anything that is not a message, SILVER_ELIMIT over a
 * limit, SILVER_EVERSION for a newer protocol version or an unknown type,
 * SILVER_ENONCANON when it does not re-encode to the same bytes.  Reason
 * text is truncated to SILVER_SYNC_MAX_REASON on encode and refused over it
 * on decode. */
int silver_msg_decode(const uint8_t *p, size_t n, silver_arena *a, silver_msg *out) SILVER_WUR;


#ifdef __cplusplus
}
#endif
#endif
