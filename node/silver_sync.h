/*
 * silver_sync.h - replication between stores over ZeroMQ (docs/PROTOCOL.md).
 *
 * A session: the client (a DEALER) connects to a server (a ROUTER: a hub, or
 * a node that serves peers), both say what they hold per feed (HELLO), then
 * each streams the sealed entries the other lacks in BATCH messages, a few
 * in flight, each acknowledged (ACK) after the receiver verified and stored
 * it all-or-nothing; each ends its stream with DONE.  The session is over
 * when both DONEs are in and every batch is acknowledged.  An interrupted
 * session loses nothing that was acknowledged; the next HELLO resumes.
 *
 * Transport security: CURVE with key pairs derived from the Ed25519
 * identities (silver_store_curve_keys).  A server runs a ZAP handler thread
 * that admits only the CURVE keys of the county admin and of certified,
 * unrevoked keys (silver_store_certs), or anybody in open mode; the
 * client's HELLO must then name the Ed25519 key whose CURVE key made the
 * connection, and that key must pass silver_store_key_allowed.  A server
 * sends a client only the feeds silver_store_may_read lets it read; what a
 * client sends is verified by silver_store_ingest.
 *
 * Library code: nothing here prints or exits.  Servers report what happens
 * through a callback; clients fill a silver_sync_report.
 */
#ifndef SILVER_SYNC_H
#define SILVER_SYNC_H

#include <signal.h>

#include "silver_store.h"

#define SILVER_SYNC_WINDOW 4          /* batches in flight, default */
#define SILVER_SYNC_TIMEOUT_MS 20000  /* silence before a session is given up */
#define SILVER_SYNC_CONNECT_MS 2500   /* no CURVE handshake by then: the server is unreachable */
#define SILVER_SYNC_ZAP_DOMAIN "silversync"

/* What one session did, seen from this side. */
typedef struct silver_sync_report {
	uint8_t peer[SILVER_KEY_BYTES]; /* the other side's Ed25519 key (after HELLO) */
	char peer_township[SILVER_MAX_NAME + 1];
	uint32_t peer_role;
	int hello_done;            /* both HELLOs exchanged */
	int complete;              /* both streams finished and acknowledged */
	uint64_t to_send;          /* entries the peer lacked, at HELLO */
	uint64_t sent;             /* entries sent and acknowledged as stored or held */
	uint64_t batches_sent;
	uint64_t received;         /* entries received in batches */
	uint64_t stored;           /* of those, new here */
	uint64_t applied;
	uint64_t skewed;           /* of those applied, entries whose clock was too far ahead to follow */
	uint64_t batches_received;
	uint64_t refused_in;       /* entries in batches we refused */
	uint64_t refused_out;      /* entries in batches the peer refused */
	uint64_t conflicts_opened;
	uint64_t forks;            /* feeds forked at the handshake (either side saw it) */
	uint64_t forks_kept;       /* the peer's side of a fork received and kept as evidence */
	uint64_t feeds_skipped;    /* feeds the peer refused: left out for the rest of the session */
	uint64_t bytes_sent, bytes_received;
	uint64_t ms;               /* session time */
	int refusal;               /* first refusal: SILVER_E* code, 0 none */
	char refusal_reason[320];  /* English, with the feed/entry as detail */
	/* What the peer holds after the session, per feed (for 'status'):
	 * its HELLO, raised to what we hold for the feeds we sent it
	 * completely.  Owned by the report: silver_sync_report_release. */
	silver_have *peer_feeds;
	size_t npeer_feeds;
} silver_sync_report;
void silver_sync_report_release(silver_sync_report *r);

typedef void (*silver_sync_progress_fn)(const silver_sync_report *r, void *ctx);

typedef struct silver_sync_opts {
	uint32_t role;        /* stated in HELLO: SILVER_ROLE_BRANCH or _HUB (0: branch) */
	uint32_t window;      /* batches in flight (0: SILVER_SYNC_WINDOW) */
	int timeout_ms;       /* 0: SILVER_SYNC_TIMEOUT_MS */
	volatile sig_atomic_t *stop; /* set non-zero (e.g. by SIGTERM) to end at once */
	silver_sync_progress_fn progress; /* called at most ~4 times a second; may be NULL */
	void *progress_ctx;
} silver_sync_opts;

/* One session with the server at endpoint ("tcp://host:port") whose Ed25519
 * public key is server_key.  0 when the session completed (rep->refusal
 * may still say that a batch was refused); SILVER_ENET with why when the
 * server cannot be reached, does not answer, or the connection breaks;
 * SILVER_EDENIED when the server refused our key; the peer's ERROR code
 * otherwise.  rep is filled in every case (release it). */
int silver_sync_client(silver_store *s, const char *endpoint, const uint8_t server_key[SILVER_KEY_BYTES],
		       const silver_sync_opts *o, silver_sync_report *rep, silver_why *why) SILVER_WUR;

/* The same in steps, to keep one connection for several sessions (a daemon,
 * a benchmark): silver_sync_connect sets up the socket (the CURVE handshake
 * happens with the first session), silver_sync_session runs one session on
 * it, silver_sync_disconnect closes it and NULLs *c.  After a session that
 * did not return 0 the connection is in an unknown state: disconnect. */
typedef struct silver_sync_conn silver_sync_conn;
int silver_sync_connect(silver_store *s, const char *endpoint, const uint8_t server_key[SILVER_KEY_BYTES],
			silver_sync_conn **out, silver_why *why) SILVER_WUR;
int silver_sync_session(silver_sync_conn *c, const silver_sync_opts *o, silver_sync_report *rep,
			silver_why *why) SILVER_WUR;
void silver_sync_disconnect(silver_sync_conn **c);

/* ---- serving -------------------------------------------------------------- */

typedef struct silver_server silver_server;

enum silver_server_evkind {
	SILVER_EV_LISTENING = 1, /* reason = endpoint */
	SILVER_EV_SESSION_OK,    /* rep set */
	SILVER_EV_SESSION_FAIL,  /* rep set, code and reason say why */
	SILVER_EV_KEY_REFUSED,   /* the ZAP handler refused a CURVE key (peer holds it, not Ed25519) */
	SILVER_EV_BAD_MESSAGE,   /* a malformed or oversized message ended a session */
};

/* Why the ZAP handler refused a key (SILVER_EV_KEY_REFUSED). */
enum silver_refusal {
	SILVER_REFUSED_UNKNOWN = 1, /* no certificate from the county: peer is the CURVE key */
	SILVER_REFUSED_REVOKED,     /* certified, then revoked: peer is the Ed25519 key */
	SILVER_REFUSED_NOT_ALLOWED, /* certified, but silver_store_key_allowed says no: peer is the Ed25519 key */
};

typedef struct silver_server_event {
	enum silver_server_evkind kind;
	const silver_sync_report *rep; /* may be NULL */
	uint8_t peer[32];               /* Ed25519 key, or the CURVE key of an unknown key (KEY_REFUSED) */
	const char *address;            /* the peer's IP address, when known */
	int code;
	const char *reason; /* English */
	enum silver_refusal refusal; /* KEY_REFUSED only */
	const char *office;          /* KEY_REFUSED of a certified key: the name on its certificate */
	uint64_t refused;            /* KEY_REFUSED: connections refused since the last such event (>= 1);
				      * peer, address and office are those of the last one */
} silver_server_event;
typedef void (*silver_server_event_fn)(const silver_server_event *ev, void *ctx);

/* Bind endpoint with CURVE and the ZAP handler.  The store stays owned by
 * the caller and must outlive the server.  SILVER_ENET with why when the
 * endpoint cannot be bound. */
int silver_server_new(silver_store *s, const char *endpoint, const silver_sync_opts *o, silver_server **out,
		      silver_why *why) SILVER_WUR;
/* Serve until *o->stop is set: 0, or an error that stops every session. */
int silver_server_run(silver_server *srv, silver_server_event_fn fn, void *ctx) SILVER_WUR;
void silver_server_destroy(silver_server **srv); /* NULLs *srv */

#endif
