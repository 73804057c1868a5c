/*
 * silvernode_net.c - the network commands of silvernode: hub, serve, sync,
 * daemon, status (docs/PROTOCOL.md).  A program of its own so that only it
 * links libzmq (and the libraries libzmq pulls in): `silvernode hub ...`
 * execs this program, found beside silvernode's real path, and every other
 * silvernode command starts without loading ZeroMQ.  Messages and log lines
 * still say "silvernode": users type `silvernode hub`.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "county.h"
#include "silver_sync.h"

static int open_store(silver_cli_opts *o, unsigned flags, silver_store **s)
{
	return silver_cli_open(o->dir, flags, s);
}

/* ---- sync: hub, serve, sync, daemon, status (docs/PROTOCOL.md) ---------------------------
 * What this node knows of its peers lives in DIR/peers.json, written whole
 * (beside, then renamed) after every session:
 *   { "peers": { NAME: { "endpoint", "key", "township", "direction" ("out"
 *     for sync/daemon, "in" for hub/serve), "last_ok", "last_attempt" (Unix
 *     seconds), "last_error", "sent", "received", "waiting_in",
 *     "feeds": { TAG-HEX: SEQ the peer holds } } },
 *   "refused": { KEY-HEX: { "count", "last" (Unix seconds), "why" ("revoked",
 *     "not_allowed", "unknown"), "address" } } }
 * NAME is the endpoint for peers we connect to and the key for peers that
 * connect to us.  "refused" counts the connections a hub or server refused,
 * per key (status --prometheus). */

static volatile sig_atomic_t sync_stop;

static void sync_on_signal(int sig)
{
	(void)sig;
	sync_stop = 1;
}

static void sync_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sync_on_signal; /* no SA_RESTART: waits return at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* A line for journald/syslog: "<PRIORITY>silvernode: text" on stderr. */
static void sync_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sync_log(int prio, const char *fmt, ...)
{
	va_list ap;
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "<%d>silvernode: ", prio);
	va_start(ap, fmt);
	silver_cli_vmessage(prefix, fmt, ap); /* escaped: a peer's words cannot forge a log line */
	va_end(ap);
	fflush(stderr);
}

static char *peers_path(silver_cli_opts *o)
{
	size_t n = strlen(o->dir) + 16;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/peers.json", o->dir);
	return p;
}

static json_t *peers_load(silver_cli_opts *o)
{
	char *path = peers_path(o);
	json_t *j = path ? json_load_file(path, 0, NULL) : NULL;
	free(path);
	if (!j || !json_is_object(json_object_get(j, "peers"))) {
		json_decref(j);
		j = json_pack("{s:{}}", "peers");
	}
	return j;
}

static void peers_save(silver_cli_opts *o, json_t *j)
{
	char *path = peers_path(o), tmp[4200];
	if (!path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(j, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) == 0)
		rename(tmp, path);
	free(path);
}

/* Count a refused connection in peers.json. */
static void peers_refused(silver_cli_opts *o, const char *key, const char *why, const char *address, uint64_t n)
{
	json_t *j = peers_load(o), *ref = json_object_get(j, "refused"), *p;
	if (!json_is_object(ref)) {
		ref = json_object();
		json_object_set_new(j, "refused", ref);
	}
	p = json_object_get(ref, key);
	if (!json_is_object(p)) {
		p = json_object();
		json_object_set_new(ref, key, p);
	}
	json_object_set_new(p, "count", json_integer(json_integer_value(json_object_get(p, "count")) + (json_int_t)n));
	json_object_set_new(p, "last", json_integer((json_int_t)time(NULL)));
	json_object_set_new(p, "why", json_string(why));
	json_object_set_new(p, "address", json_string(address ? address : ""));
	peers_save(o, j);
	json_decref(j);
}

/* Record a session in peers.json (re-read first: other processes write it too). */
static void peers_note(silver_cli_opts *o, const char *name, const char *endpoint, const char *direction,
		       const silver_sync_report *r, int rv, const char *err)
{
	json_t *j = peers_load(o), *peers = json_object_get(j, "peers"), *p, *feeds;
	char key[2 * SILVER_KEY_BYTES + 1], tag[2 * SILVER_FEEDTAG_BYTES + 1];
	json_int_t now = (json_int_t)time(NULL);

	p = json_object_get(peers, name);
	if (!json_is_object(p)) {
		p = json_object();
		json_object_set_new(peers, name, p);
	}
	if (endpoint)
		json_object_set_new(p, "endpoint", json_string(endpoint));
	json_object_set_new(p, "direction", json_string(direction));
	json_object_set_new(p, "last_attempt", json_integer(now));
	if (r && r->hello_done) {
		silver_hex(r->peer, SILVER_KEY_BYTES, key);
		json_object_set_new(p, "key", json_string(key));
		json_object_set_new(p, "township", json_string(r->peer_township));
		json_object_set_new(p, "role", json_integer(r->peer_role));
		feeds = json_object();
		for (size_t i = 0; i < r->npeer_feeds; i++) {
			silver_hex(r->peer_feeds[i].tag, SILVER_FEEDTAG_BYTES, tag);
			json_object_set_new(feeds, tag, json_integer((json_int_t)r->peer_feeds[i].seq));
		}
		json_object_set_new(p, "feeds", feeds);
	}
	if (rv == 0 && r && r->complete) {
		json_object_set_new(p, "last_ok", json_integer(now));
		json_object_set_new(p, "sent", json_integer((json_int_t)r->sent));
		json_object_set_new(p, "received", json_integer((json_int_t)r->stored));
		json_object_set_new(p, "waiting_in", json_integer((json_int_t)r->refused_in));
		json_object_set_new(p, "last_error", json_string(r->refusal ? r->refusal_reason : ""));
	} else {
		json_object_set_new(p, "last_error", json_string(err ? err : ""));
	}
	peers_save(o, j);
	json_decref(j);
}

static int parse_key(const char *hex, uint8_t key[SILVER_KEY_BYTES])
{
	return hex && silver_unhex(hex, key, SILVER_KEY_BYTES) == 0 ? 0 : -1;
}

/* --server-key HEX, else the key remembered for this endpoint in peers.json. */
static int server_key_for(silver_cli_opts *o, const char *endpoint, const char *hex, uint8_t key[SILVER_KEY_BYTES])
{
	if (hex) {
		if (parse_key(hex, key) != 0) {
			silver_cli_error(_("--server-key: expected 64 hex digits (the server's 'silvernode id' key)"));
			return SILVER_EXIT_USAGE;
		}
		return 0;
	} else {
		json_t *j = peers_load(o);
		const char *k = json_string_value(json_object_get(json_object_get(json_object_get(j, "peers"), endpoint), "key"));
		int ok = k && parse_key(k, key) == 0;
		json_decref(j);
		if (ok)
			return 0;
	}
	silver_cli_error(_("no key known for %s: give --server-key HEX (the server's 'silvernode id' key)"), endpoint);
	return SILVER_EXIT_USAGE;
}

static void sync_progress(const silver_sync_report *r, void *ctx)
{
	double s = r->ms / 1000.0, rate = s > 0 ? (r->sent + r->received) / s : 0;
	char left[48] = "";

	if (!silver_cli_progress_due(ctx))
		return;
	if (r->to_send > r->sent && r->sent > 0 && s > 0)
		snprintf(left, sizeof(left), _(", about %.0f s left"), (double)(r->to_send - r->sent) * s / (double)r->sent);
	silver_cli_progress_print(_("sent %llu/%llu, received %llu entries, %.1f MiB, %.0f entries/s%s"),
				  (unsigned long long)r->sent, (unsigned long long)r->to_send,
				  (unsigned long long)r->received,
				  (double)(r->bytes_sent + r->bytes_received) / 1048576.0, rate, left);
}

/* One session; the summary goes to stdout (or a log line when quiet). */
static int sync_once(silver_cli_opts *o, silver_store *s, const char *endpoint, const uint8_t key[SILVER_KEY_BYTES],
		     const silver_sync_opts *so, int daemon_mode)
{
	silver_sync_report rep;
	silver_why why;
	silver_cli_progress pc;
	silver_sync_opts local = *so;
	char err[600] = "";
	int rv;

	silver_cli_progress_begin(&pc);
	if (!daemon_mode && pc.on) {
		local.progress = sync_progress;
		local.progress_ctx = &pc;
	}
	rv = silver_sync_client(s, endpoint, key, &local, &rep, &why);
	silver_cli_progress_end(&pc);
	if (rv != 0) {
		if (why.reason[0] && why.detail[0])
			snprintf(err, sizeof(err), "%s (%s)", _(why.reason), why.detail);
		else
			snprintf(err, sizeof(err), "%s", why.reason[0] ? _(why.reason) : _(silver_strerror(rv)));
	}
	peers_note(o, endpoint, endpoint, "out", &rep, rv, err);
	if (rv != 0) {
		if (daemon_mode)
			sync_log(rv == SILVER_EDENIED ? 3 : 4, _("sync with %s failed: %s"), endpoint, err);
		else
			silver_cli_error(_("sync with %s failed: %s"), endpoint, err);
	} else if (daemon_mode) {
		sync_log(6, _("synced with %s (%s): sent %llu, received %llu (%llu new), conflicts opened %llu, %.2f s"),
			 endpoint, rep.peer_township, (unsigned long long)rep.sent, (unsigned long long)rep.received,
			 (unsigned long long)rep.stored, (unsigned long long)rep.conflicts_opened, rep.ms / 1000.0);
	} else if (o->json) {
		json_t *j = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "peer", endpoint, "township",
				      rep.peer_township, "sent", (json_int_t)rep.sent, "received",
				      (json_int_t)rep.received, "new", (json_int_t)rep.stored, "applied",
				      (json_int_t)rep.applied, "skewed", (json_int_t)rep.skewed, "conflicts_opened",
				      (json_int_t)rep.conflicts_opened,
				      "forks", (json_int_t)rep.forks, "refused", (json_int_t)(rep.refused_in + rep.refused_out),
				      "ms", (json_int_t)rep.ms, "refusal", rep.refusal ? rep.refusal_reason : "");
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(j);
	} else {
		printf(_("Synced with %s (township %s).\n"), endpoint, rep.peer_township);
		printf(_("Sent %llu entries, received %llu (%llu new), conflicts opened %llu, in %.2f s.\n"),
		       (unsigned long long)rep.sent, (unsigned long long)rep.received, (unsigned long long)rep.stored,
		       (unsigned long long)rep.conflicts_opened, rep.ms / 1000.0);
		if (rep.skewed) /* as import-bundle says it */
			printf(_("%llu entries carry a clock far ahead of this machine's; they are kept and flagged.\n"),
			       (unsigned long long)rep.skewed);
	}
	if (rv == 0 && rep.skewed && daemon_mode)
		sync_log(4, _("%llu entries received from %s carry a clock far ahead of this machine's; they are kept "
			      "and flagged"),
			 (unsigned long long)rep.skewed, endpoint);
	if (rv == 0 && rep.forks) {
		if (daemon_mode)
			sync_log(3, _("%llu feeds are forked (one key signed two histories); they were not synced"),
				 (unsigned long long)rep.forks);
		else
			silver_cli_error(_("%llu feeds are forked (one key signed two histories); they were not synced"),
					 (unsigned long long)rep.forks);
	}
	if (rv == 0 && rep.refusal) {
		if (daemon_mode)
			sync_log(4, _("entries were refused: %s"), rep.refusal_reason);
		else
			silver_cli_error(_("some entries were refused: %s"), rep.refusal_reason);
	}
	silver_sync_report_release(&rep);
	if (rv != 0)
		return silver_cli_exit_code(rv);
	return rep.refusal ? SILVER_EXIT_REFUSED : 0;
}

struct sync_args {
	const char *listen, *endpoint, *key_hex;
	double interval, timeout;
};

static int sync_parse(silver_cli_opts *o, const char *cmd, struct sync_args *a)
{
	memset(a, 0, sizeof(*a));
	a->interval = 60;
	for (int i = 0; i < o->argc; i++) {
		const char *v = i + 1 < o->argc ? o->argv[i + 1] : NULL;
		if (strcmp(o->argv[i], "--listen") == 0 && v)
			a->listen = o->argv[++i];
		else if (strcmp(o->argv[i], "--peer") == 0 && v)
			a->endpoint = o->argv[++i];
		else if (strcmp(o->argv[i], "--server-key") == 0 && v)
			a->key_hex = o->argv[++i];
		else if (strcmp(o->argv[i], "--interval") == 0 && v && atof(v) > 0)
			a->interval = atof(o->argv[++i]);
		else if (strcmp(o->argv[i], "--timeout") == 0 && v && atof(v) > 0)
			a->timeout = atof(o->argv[++i]);
		else if (!a->endpoint && o->argv[i][0] != '-')
			a->endpoint = o->argv[i];
		else {
			silver_cli_error(_("%s: unexpected argument '%s'"), cmd, o->argv[i]);
			return SILVER_EXIT_USAGE;
		}
	}
	return 0;
}

static void server_event(const silver_server_event *ev, void *ctx)
{
	silver_cli_opts *o = ctx;
	char key[2 * SILVER_KEY_BYTES + 1], name[80];

	silver_hex(ev->peer, SILVER_KEY_BYTES, key);
	switch (ev->kind) {
	case SILVER_EV_LISTENING:
		sync_log(6, _("listening on %s"), ev->reason);
		return;
	case SILVER_EV_KEY_REFUSED: {
		const char *from = ev->address && *ev->address ? ev->address : "?";
		peers_refused(o, key,
			      ev->refusal == SILVER_REFUSED_REVOKED       ? "revoked"
			      : ev->refusal == SILVER_REFUSED_NOT_ALLOWED ? "not_allowed"
									  : "unknown",
			      ev->address, ev->refused ? ev->refused : 1);
		if (ev->refusal == SILVER_REFUSED_REVOKED)
			sync_log(4, _("refused a connection from %s: the county revoked the key %.16s... (%s)"), from, key,
				 ev->office ? ev->office : "");
		else if (ev->refusal == SILVER_REFUSED_NOT_ALLOWED)
			sync_log(4, _("refused a connection from %s: the certificate of key %.16s... (%s) does not let it "
				      "connect"),
				 from, key, ev->office ? ev->office : "");
		else
			sync_log(4, _("refused a connection from %s: CURVE key %.16s... belongs to no office the county "
				      "certified"),
				 from, key);
		return;
	}
	default:
		break;
	}
	snprintf(name, sizeof(name), "in:%s", key);
	if (ev->rep && ev->rep->hello_done)
		peers_note(o, name, NULL, "in", ev->rep, ev->kind == SILVER_EV_SESSION_OK ? 0 : ev->code, ev->reason);
	if (ev->kind == SILVER_EV_SESSION_OK)
		sync_log(6, _("session with %.16s (%s, %s): sent %llu, received %llu (%llu new), %.2f s"), key,
			 ev->rep->peer_township, ev->address ? ev->address : "", (unsigned long long)ev->rep->sent,
			 (unsigned long long)ev->rep->received, (unsigned long long)ev->rep->stored, ev->rep->ms / 1000.0);
	else
		sync_log(4, _("session with %.16s (%s) ended: %s"), key, ev->address ? ev->address : "",
			 ev->reason ? ev->reason : _(silver_strerror(ev->code)));
	if (ev->rep && ev->rep->refusal)
		sync_log(4, _("entries from %.16s refused: %s"), key, ev->rep->refusal_reason);
}

static int run_server(silver_cli_opts *o, const char *cmd, uint32_t role)
{
	struct sync_args a;
	silver_sync_opts so;
	silver_server *srv;
	silver_store *s;
	silver_why why;
	int rv;

	if ((rv = sync_parse(o, cmd, &a)) != 0)
		return rv;
	if (!a.listen || a.endpoint) {
		silver_cli_error(_("%s: usage: silvernode %s --listen tcp://ADDRESS:PORT"), cmd, cmd);
		return SILVER_EXIT_USAGE;
	}
	if ((rv = open_store(o, 0, &s)) != 0)
		return rv;
	sync_signals();
	memset(&so, 0, sizeof(so));
	so.role = role;
	so.stop = &sync_stop;
	if (a.timeout > 0)
		so.timeout_ms = (int)(a.timeout * 1000);
	rv = silver_server_new(s, a.listen, &so, &srv, &why);
	if (rv != 0) {
		char ctx[300];
		snprintf(ctx, sizeof(ctx), _("%s: "), cmd);
		rv = silver_cli_fail(rv, &why, ctx);
		silver_store_close(&s);
		return rv;
	}
	rv = silver_server_run(srv, server_event, o);
	silver_server_destroy(&srv);
	silver_store_close(&s);
	sync_log(6, _("stopped"));
	return rv ? silver_cli_fail(rv, NULL, cmd) : 0;
}

static int cmd_hub(silver_cli_opts *o)
{
	return run_server(o, "hub", SILVER_ROLE_HUB);
}

static int cmd_serve(silver_cli_opts *o)
{
	return run_server(o, "serve", SILVER_ROLE_BRANCH);
}

/* What sync and daemon share: their arguments, the server's key, the store
 * open for writing, signals, and the session options.  usage is the line
 * shown when the arguments are wrong. */
static int sync_setup(silver_cli_opts *o, const char *cmd, const char *usage, struct sync_args *a,
		      uint8_t key[SILVER_KEY_BYTES], silver_sync_opts *so, silver_store **s)
{
	int rv;
	if ((rv = sync_parse(o, cmd, a)) != 0)
		return rv;
	if (!a->endpoint || a->listen) {
		silver_cli_error("%s", usage);
		return SILVER_EXIT_USAGE;
	}
	if ((rv = server_key_for(o, a->endpoint, a->key_hex, key)) != 0)
		return rv;
	if ((rv = open_store(o, 0, s)) != 0)
		return rv;
	sync_signals();
	memset(so, 0, sizeof(*so));
	so->stop = &sync_stop;
	if (a->timeout > 0)
		so->timeout_ms = (int)(a->timeout * 1000);
	return 0;
}

static int cmd_sync(silver_cli_opts *o)
{
	struct sync_args a;
	uint8_t key[SILVER_KEY_BYTES];
	silver_sync_opts so;
	silver_store *s;
	int rv;

	if ((rv = sync_setup(o, "sync", _("sync: usage: silvernode sync tcp://HOST:PORT [--server-key HEX]"), &a, key,
			     &so, &s)) != 0)
		return rv;
	rv = sync_once(o, s, a.endpoint, key, &so, 0);
	silver_store_close(&s);
	return rv;
}

static int cmd_daemon(silver_cli_opts *o)
{
	struct sync_args a;
	uint8_t key[SILVER_KEY_BYTES];
	silver_sync_opts so;
	silver_store *s;
	double backoff = 1;
	int rv;

	if ((rv = sync_setup(o, "daemon",
			     _("daemon: usage: silvernode daemon --peer tcp://HOST:PORT [--server-key HEX] [--interval S]"),
			     &a, key, &so, &s)) != 0)
		return rv;
	sync_log(6, _("syncing with %s every %.0f s"), a.endpoint, a.interval);
	while (!sync_stop) {
		double wait;
		rv = sync_once(o, s, a.endpoint, key, &so, 1);
		if (rv == 0 || rv == SILVER_EXIT_REFUSED) {
			backoff = 1;
			wait = a.interval;
		} else {
			/* network down or refused: 1, 2, 4 ... s, at most the interval (and 5 min) */
			wait = backoff;
			backoff = backoff * 2 > 300 ? 300 : backoff * 2;
			if (wait > a.interval && a.interval >= 1)
				wait = a.interval;
			if (!sync_stop)
				sync_log(6, _("next attempt in %.0f s"), wait);
		}
		for (double t = 0; t < wait && !sync_stop; t += 0.2)
			usleep(200000);
	}
	silver_store_close(&s);
	sync_log(6, _("stopped"));
	return 0;
}

struct waiting_ctx {
	silver_store *s;
	json_t *feeds;
	uint8_t peer[SILVER_KEY_BYTES];
	int have_key;
	uint64_t out;
};

static int count_waiting(const silver_feedinfo *f, void *ctx)
{
	struct waiting_ctx *w = ctx;
	char tag[2 * SILVER_FEEDTAG_BYTES + 1];
	json_t *v;
	uint64_t has = 0;

	if (w->have_key && silver_store_may_read(w->s, w->peer, f->township) != 1)
		return 0;
	silver_hex(f->tag, SILVER_FEEDTAG_BYTES, tag);
	v = json_object_get(w->feeds, tag);
	if (json_is_integer(v) && json_integer_value(v) > 0)
		has = (uint64_t)json_integer_value(v);
	if (f->seq > has)
		w->out += f->seq - has;
	return 0;
}

static void age_text(json_int_t t, json_int_t now, char *out, size_t n)
{
	json_int_t d = now - t;
	unsigned long v;
	if (t <= 0) {
		snprintf(out, n, "%s", _("never"));
	} else if (d < 120) {
		v = (unsigned long)(d < 0 ? 0 : d);
		snprintf(out, n, _("%lu s ago"), v);
	} else if (d < 7200) {
		v = (unsigned long)(d / 60);
		snprintf(out, n, _("%lu min ago"), v);
	} else if (d < 172800) {
		v = (unsigned long)(d / 3600);
		snprintf(out, n, _("%lu h ago"), v);
	} else {
		v = (unsigned long)(d / 86400);
		snprintf(out, n, P_("%lu day ago", "%lu days ago", v), v);
	}
}

/* ---- status: peers, the offices the county certified, Prometheus -------------------------- */

struct office {
	uint8_t key[SILVER_KEY_BYTES];
	char hex[2 * SILVER_KEY_BYTES + 1];
	char name[SILVER_MAX_CERT_NAME + 1];
	char township[SILVER_MAX_NAME + 1]; /* the first it writes ("*" for all) */
	uint32_t role;
	int revoked;
	uint64_t entries;   /* held, of its feeds */
	int64_t newest;     /* its newest entry held, Unix seconds (0: none) */
	int64_t net;        /* its last completed network session with this node (0: none) */
	int64_t heard;      /* the later of the two */
};

struct offices {
	struct office *v;
	size_t n, cap;
	int self_hub; /* this node's own key is certified as the hub */
	const uint8_t *self;
};

static int office_cert(const silver_cert *c, const silver_revoke *r, void *ctx)
{
	struct offices *os = ctx;
	struct office *f;
	if (os->self && memcmp(c->key, os->self, SILVER_KEY_BYTES) == 0) {
		os->self_hub = c->role == SILVER_ROLE_HUB && !r;
		return 0; /* this node itself */
	}
	if (c->role == SILVER_ROLE_ADMIN)
		return 0;
	if (os->n == os->cap) {
		size_t cap = os->cap ? os->cap * 2 : 16;
		struct office *p = realloc(os->v, cap * sizeof(*p));
		if (!p)
			return SILVER_ENOMEM;
		os->v = p;
		os->cap = cap;
	}
	f = &os->v[os->n++];
	memset(f, 0, sizeof(*f));
	memcpy(f->key, c->key, SILVER_KEY_BYTES);
	silver_hex(c->key, SILVER_KEY_BYTES, f->hex);
	snprintf(f->name, sizeof(f->name), "%.*s", (int)c->name.n, (const char *)c->name.p);
	if (c->nwrite)
		snprintf(f->township, sizeof(f->township), "%.*s", (int)c->write[0].n, (const char *)c->write[0].p);
	f->role = c->role;
	f->revoked = r != NULL;
	return 0;
}

/* Every office the county certified, with when this node last heard from
 * it: its newest entry held (whatever the route: network or bundle) and its
 * last completed session with this node, from peers.json. */
static int offices_load(silver_store *s, json_t *peers, struct offices *os)
{
	silver_feed_age *ages = NULL;
	size_t nages = 0;
	const char *name;
	json_t *p;
	int rv;

	memset(os, 0, sizeof(*os));
	os->self = silver_store_self(s);
	if ((rv = silver_store_certs(s, office_cert, os)) != 0 || (rv = silver_feed_ages(s, &ages, &nages)) != 0)
		return rv;
	for (size_t i = 0; i < os->n; i++) {
		struct office *f = &os->v[i];
		for (size_t k = 0; k < nages; k++) {
			int64_t t = (int64_t)(SILVER_HLC_MS(ages[k].hlc) / 1000);
			if (memcmp(ages[k].author, f->key, SILVER_KEY_BYTES) != 0)
				continue;
			f->entries += ages[k].seq;
			if (ages[k].hlc && t > f->newest)
				f->newest = t;
		}
		json_object_foreach(peers, name, p)
		{
			const char *k = json_string_value(json_object_get(p, "key"));
			json_int_t ok = json_integer_value(json_object_get(p, "last_ok"));
			if (k && strcmp(k, f->hex) == 0 && ok > f->net)
				f->net = ok;
		}
		f->heard = f->newest > f->net ? f->newest : f->net;
	}
	free(ages);
	return 0;
}

/* A label value for the Prometheus text format: \ " and newline escaped. */
static void prom_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f), fputc(*v, f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void prom_head(FILE *f, const char *metric, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", metric, help, metric, type);
}

/* The node's state in the Prometheus text exposition format, for
 * node_exporter's textfile collector (docs/OPERATIONS.md, "Monitoring"). */
static int write_prometheus(FILE *f, silver_store *s, json_t *j, const struct offices *os, int stale_days,
			    json_int_t now)
{
	json_t *peers = json_object_get(j, "peers"), *refused = json_object_get(j, "refused"), *p;
	const char *name;
	silver_digest d;
	char self[2 * SILVER_KEY_BYTES + 1];
	int rv;

	if ((rv = silver_store_digest(s, &d)) != 0)
		return rv;
	silver_hex(silver_store_self(s), SILVER_KEY_BYTES, self);
	prom_head(f, "silversync_node_info", "gauge", "This node: its township, name and key (value 1).");
	fputs("silversync_node_info{township=\"", f);
	prom_label(f, silver_store_township(s));
	fputs("\",name=\"", f);
	prom_label(f, silver_store_name(s));
	fprintf(f, "\",key=\"%.16s\"} 1\n", self);
	prom_head(f, "silversync_entries", "gauge", "Entries held in the signed log.");
	fprintf(f, "silversync_entries %llu\n", (unsigned long long)d.entries);
	prom_head(f, "silversync_feeds", "gauge", "Feeds held.");
	fprintf(f, "silversync_feeds %llu\n", (unsigned long long)d.feeds);
	prom_head(f, "silversync_records", "gauge", "Records held.");
	fprintf(f, "silversync_records %llu\n", (unsigned long long)d.records);
	prom_head(f, "silversync_conflicts_open", "gauge", "Conflicts waiting for a person to settle them.");
	fprintf(f, "silversync_conflicts_open %llu\n", (unsigned long long)d.conflicts);

	prom_head(f, "silversync_peer_last_sync_timestamp_seconds", "gauge",
		  "Last completed sync session with the peer (Unix seconds; 0: never).");
	json_object_foreach(peers, name, p)
	{
		const char *tw = json_string_value(json_object_get(p, "township"));
		const char *dir = json_string_value(json_object_get(p, "direction"));
		fputs("silversync_peer_last_sync_timestamp_seconds{peer=\"", f);
		prom_label(f, name);
		fputs("\",township=\"", f);
		prom_label(f, tw ? tw : "");
		fprintf(f, "\",direction=\"%s\"} %lld\n", dir && strcmp(dir, "in") == 0 ? "in" : "out",
			(long long)json_integer_value(json_object_get(p, "last_ok")));
	}
	prom_head(f, "silversync_peer_last_attempt_timestamp_seconds", "gauge",
		  "Last sync attempt with the peer, whatever its outcome (Unix seconds).");
	json_object_foreach(peers, name, p)
	{
		fputs("silversync_peer_last_attempt_timestamp_seconds{peer=\"", f);
		prom_label(f, name);
		fprintf(f, "\"} %lld\n", (long long)json_integer_value(json_object_get(p, "last_attempt")));
	}
	prom_head(f, "silversync_peer_last_sync_ok", "gauge", "1 when the last attempt with the peer succeeded.");
	json_object_foreach(peers, name, p)
	{
		const char *err = json_string_value(json_object_get(p, "last_error"));
		fputs("silversync_peer_last_sync_ok{peer=\"", f);
		prom_label(f, name);
		fprintf(f, "\"} %d\n", !(err && *err) && json_integer_value(json_object_get(p, "last_ok")) > 0 &&
					   json_integer_value(json_object_get(p, "last_ok")) >=
						   json_integer_value(json_object_get(p, "last_attempt")));
	}
	prom_head(f, "silversync_refused_connections_total", "counter",
		  "Connections this node refused, per key (not certified, not allowed, revoked).");
	json_object_foreach(refused, name, p)
	{
		const char *why = json_string_value(json_object_get(p, "why"));
		json_int_t n = json_integer_value(json_object_get(p, "count"));
		fprintf(f, "silversync_refused_connections_total{key=\"%.16s\",why=\"", name);
		prom_label(f, why ? why : "");
		fprintf(f, "\"} %lld\n", (long long)n);
	}
	prom_head(f, "silversync_refused_keys", "gauge", "Distinct keys whose connections this node refused.");
	fprintf(f, "silversync_refused_keys %zu\n", json_object_size(refused));
	if (os->n) {
		prom_head(f, "silversync_office_last_data_timestamp_seconds", "gauge",
			  "Newest data from the office held here, by any route (Unix seconds; 0: never).");
		for (size_t i = 0; i < os->n; i++) {
			fprintf(f, "silversync_office_last_data_timestamp_seconds{key=\"%.16s\",office=\"", os->v[i].hex);
			prom_label(f, os->v[i].name);
			fputs("\",township=\"", f);
			prom_label(f, os->v[i].township);
			fprintf(f, "\",revoked=\"%d\"} %lld\n", os->v[i].revoked, (long long)os->v[i].heard);
		}
		prom_head(f, "silversync_office_behind", "gauge",
			  "1 when nothing was heard from the office for more than silversync_stale_days (or never).");
		for (size_t i = 0; i < os->n; i++) {
			if (os->v[i].revoked)
				continue;
			fprintf(f, "silversync_office_behind{key=\"%.16s\",office=\"", os->v[i].hex);
			prom_label(f, os->v[i].name);
			fprintf(f, "\"} %d\n", !os->v[i].heard || now - os->v[i].heard > (json_int_t)stale_days * 86400);
		}
		prom_head(f, "silversync_stale_days", "gauge", "Days after which an office counts as behind.");
		fprintf(f, "silversync_stale_days %d\n", stale_days);
	}
	return ferror(f) ? SILVER_EIO : 0;
}

static const char *office_township(const struct office *f, const silver_county *county)
{
	return strcmp(f->township, "*") == 0 ? _("every township") : silver_county_name(county, f->township);
}

/* The county's order of townships, then the office's name. */
static int office_cmp(const void *a, const void *b, void *ctx)
{
	const struct office *x = a, *y = b;
	int ix = silver_county_index(ctx, x->township), iy = silver_county_index(ctx, y->township);
	if (ix != iy)
		return ix < 0 ? 1 : iy < 0 ? -1 : ix - iy;
	if (ix < 0 && strcmp(x->township, y->township) != 0)
		return strcmp(x->township, y->township);
	return strcmp(x->name, y->name);
}

static void office_lines(struct offices *os, const silver_county *county, int stale_days, json_int_t now)
{
	size_t behind = 0, active = 0;
	int w = 0, tw = 0;
	qsort_r(os->v, os->n, sizeof(os->v[0]), office_cmp, (void *)county);
	for (size_t i = 0; i < os->n; i++)
		if (!os->v[i].revoked) {
			int nw = silver_cli_width(os->v[i].name), tww = silver_cli_width(office_township(&os->v[i], county));
			active++;
			if (nw > w)
				w = nw;
			if (tww > tw)
				tw = tww;
		}
	printf(P_("Offices the county certified (%zu); behind after %d day without data:\n",
			"Offices the county certified (%zu); behind after %d days without data:\n", stale_days),
	       active, stale_days);
	for (size_t i = 0; i < os->n; i++) {
		const struct office *f = &os->v[i];
		char age[48];
		int late;
		if (f->revoked)
			continue;
		late = !f->heard || now - f->heard > (json_int_t)stale_days * 86400;
		behind += late;
		printf("%s ", late ? "!" : " ");
		silver_cli_pad(stdout, f->name, w);
		fputs("  ", stdout);
		silver_cli_pad(stdout, office_township(f, county), tw);
		fputs("  ", stdout);
		if (!f->heard) {
			printf("%s\n", _("never heard from"));
			continue;
		}
		age_text(f->heard, now, age, sizeof(age));
		printf(_("last data %s"), age);
		if (f->net && f->net >= f->newest)
			printf(_(" (network sync)"));
		else if (f->newest)
			printf(_(" (newest entry held)"));
		if (late)
			printf(_("  behind"));
		putchar('\n');
	}
	if (behind)
		printf(P_("%zu office is behind or was never heard from.\n",
				"%zu offices are behind or were never heard from.\n", behind),
		       behind);
	putchar('\n');
}

static int cmd_status(silver_cli_opts *o)
{
	json_t *j, *peers, *p, *out;
	const char *name, *county_path = NULL, *prom_out = NULL;
	char county_default[4096], cerr[256];
	silver_county county;
	struct offices os;
	silver_store *s;
	json_int_t now = (json_int_t)time(NULL);
	int rv, prom = 0, want_offices = 0, stale_days = 0;

	for (int i = 0; i < o->argc; i++) {
		const char *a = o->argv[i], *v = i + 1 < o->argc ? o->argv[i + 1] : NULL;
		if (strcmp(a, "--prometheus") == 0) {
			prom = 1;
		} else if (strcmp(a, "--offices") == 0) {
			want_offices = 1;
		} else if (strcmp(a, "--out") == 0 && v) {
			prom_out = v, i++;
		} else if (strcmp(a, "--county") == 0 && v) {
			county_path = v, i++;
		} else if (strcmp(a, "--stale-days") == 0 && v) {
			char *end;
			long d = strtol(v, &end, 10);
			if (*end || d < 1 || d > 3650) {
				silver_cli_error(_("status: --stale-days must be a whole number of days from 1 to 3650"));
				return SILVER_EXIT_USAGE;
			}
			stale_days = (int)d, i++;
		} else {
			silver_cli_error(_("status: unexpected argument '%s'"), a);
			return SILVER_EXIT_USAGE;
		}
	}
	if (prom_out && !prom) {
		silver_cli_error(_("status: --out goes with --prometheus"));
		return SILVER_EXIT_USAGE;
	}
	if (!county_path)
		snprintf(county_default, sizeof(county_default), "%s/%s", o->dir, SILVER_COUNTY_FILE);
	rv = silver_county_load(county_path ? county_path : county_default, &county, cerr, sizeof(cerr));
	if (rv == SILVER_EINVAL) {
		silver_cli_error(_("%s is not a county file: %s"), county_path ? county_path : county_default, cerr);
		return SILVER_EXIT_INPUT;
	} else if (rv == SILVER_ENOTFOUND && county_path) {
		silver_cli_error(_("no county file %s"), county_path);
		return SILVER_EXIT_NOTFOUND;
	} else if (rv != 0 && rv != SILVER_ENOTFOUND) {
		return silver_cli_fail(rv, NULL, _("status: "));
	}
	if (!stale_days)
		stale_days = county.stale_days;
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &s)) != 0) {
		silver_county_free(&county);
		return rv;
	}
	j = peers_load(o);
	peers = json_object_get(j, "peers");
	if ((rv = offices_load(s, peers, &os)) != 0) {
		free(os.v);
		json_decref(j);
		silver_store_close(&s);
		silver_county_free(&county);
		return silver_cli_fail(rv, NULL, _("status: "));
	}
	if (prom) {
		FILE *f = stdout;
		char tmp[4200];
		if (prom_out) {
			snprintf(tmp, sizeof(tmp), "%s.tmp", prom_out);
			if (!(f = fopen(tmp, "w"))) {
				int err = errno;
				silver_cli_error(_("cannot write %s: %s"), prom_out, strerror(err));
				rv = err == ENOENT ? SILVER_EXIT_NOTFOUND : SILVER_EXIT_INPUT;
				goto done;
			}
		}
		rv = write_prometheus(f, s, j, &os, stale_days, now);
		if (prom_out) {
			if (fflush(f) != 0 || fsync(fileno(f)) != 0)
				rv = rv ? rv : SILVER_EIO;
			if (fclose(f) != 0)
				rv = rv ? rv : SILVER_EIO;
			/* node_exporter reads whole files only: write beside, then rename */
			if (rv == 0 && rename(tmp, prom_out) != 0)
				rv = SILVER_EIO;
			if (rv != 0)
				unlink(tmp);
		} else if (fflush(stdout) != 0) {
			rv = rv ? rv : SILVER_EIO;
		}
		if (rv != 0) {
			silver_cli_error(_("cannot write %s: %s"), prom_out ? prom_out : _("standard output"),
					 _(silver_strerror(rv)));
			rv = silver_cli_exit_code(rv);
		}
		goto done;
	}
	if (o->json && want_offices) {
		out = json_array();
		for (size_t i = 0; i < os.n; i++) {
			const struct office *f = &os.v[i];
			json_array_append_new(
				out, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:o,s:b}", "key", f->hex, "name", f->name,
					       "township", f->township, "township_name",
					       strcmp(f->township, "*") == 0 ? f->township : silver_county_name(&county, f->township),
					       "role", f->role == SILVER_ROLE_HUB ? "hub" : "branch", "revoked", f->revoked,
					       "entries", (json_int_t)f->entries, "newest_entry", (json_int_t)f->newest,
					       "last_network_sync", (json_int_t)f->net, "last_heard", (json_int_t)f->heard,
					       "age_seconds", f->heard ? json_integer(now - f->heard) : json_null(), "behind",
					       !f->revoked && (!f->heard || now - f->heard > (json_int_t)stale_days * 86400)));
		}
		json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(out);
		rv = 0;
		goto done;
	}
	if (!o->json && (os.self_hub || want_offices))
		office_lines(&os, &county, stale_days, now);
	out = json_array();
	if (!o->json && json_object_size(peers) == 0)
		printf(_("No peers yet: run 'silvernode sync ENDPOINT --server-key KEY', or wait for nodes to connect.\n"));
	json_object_foreach(peers, name, p)
	{
		struct waiting_ctx w;
		json_int_t ok = json_integer_value(json_object_get(p, "last_ok"));
		const char *err = json_string_value(json_object_get(p, "last_error"));
		const char *tw = json_string_value(json_object_get(p, "township"));
		const char *dir = json_string_value(json_object_get(p, "direction"));
		char age[48];

		memset(&w, 0, sizeof(w));
		w.s = s;
		w.feeds = json_object_get(p, "feeds");
		w.have_key = parse_key(json_string_value(json_object_get(p, "key")), w.peer) == 0;
		if (silver_store_feeds(s, count_waiting, &w) != 0)
			w.out = 0;
		age_text(ok, now, age, sizeof(age));
		if (o->json) {
			json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:s}", "peer", name, "direction",
							     dir ? dir : "", "township", tw ? tw : "", "last_ok", ok,
							     "age_seconds", ok > 0 ? now - ok : (json_int_t)-1, "to_send",
							     (json_int_t)w.out, "to_receive",
							     json_integer_value(json_object_get(p, "waiting_in")),
							     "last_error", err ? err : ""));
			continue;
		}
		printf(_("%s %s (%s)\n"), dir && strcmp(dir, "in") == 0 ? _("from") : _("to"), name,
		       tw ? silver_county_name(&county, tw) : "?");
		printf(_("  last successful sync: %s\n"), age);
		printf(_("  waiting: %llu entries to send, %llu refused at the last sync\n"), (unsigned long long)w.out,
		       (unsigned long long)json_integer_value(json_object_get(p, "waiting_in")));
		if (err && *err)
			printf(_("  last error: %s\n"), err);
	}
	if (o->json) {
		json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(out);
	rv = 0;
done:
	free(os.v);
	json_decref(j);
	silver_store_close(&s);
	silver_county_free(&county);
	return rv;
}

/* ---- the table -------------------------------------------------------------------------- */

/* Only the network lines of silvernode's table (node/commands.h). */
static const silver_cli_command commands[] = {
#define SILVER_LOCAL(name, fn, args, help)
#define SILVER_NET(name, fn, args, help) {name, fn, args, help},
#include "commands.h"
	{NULL, NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	for (const silver_cli_command *c = commands; c->name; c++)
		fprintf(f, _("Usage: %s %s %s\n%s\n"), "silvernode", c->name, c->args, _(c->help));
}

/* silvernode passes the global options first: [--dir DIR] [--json] COMMAND ARGS. */
int main(int argc, char **argv)
{
	return silver_cli_main("silvernode", commands, usage, argc, argv);
}
