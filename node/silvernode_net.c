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
 *     "feeds": { TAG-HEX: SEQ the peer holds } } } }
 * NAME is the endpoint for peers we connect to and the key for peers that
 * connect to us. */

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
	fprintf(stderr, "<%d>silvernode: ", prio);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

struct progress_ctx {
	int shown;
};

static void sync_progress(const silver_sync_report *r, void *ctx)
{
	struct progress_ctx *p = ctx;
	double s = r->ms / 1000.0, rate = s > 0 ? (r->sent + r->received) / s : 0;
	char left[48] = "";

	if (r->ms < 1000)
		return;
	if (r->to_send > r->sent && r->sent > 0 && s > 0)
		snprintf(left, sizeof(left), _(", about %.0f s left"), (double)(r->to_send - r->sent) * s / (double)r->sent);
	fprintf(stderr, _("\rsent %llu/%llu, received %llu entries, %.1f MiB, %.0f entries/s%s   "),
		(unsigned long long)r->sent, (unsigned long long)r->to_send, (unsigned long long)r->received,
		(double)(r->bytes_sent + r->bytes_received) / 1048576.0, rate, left);
	p->shown = 1;
}

/* One session; the summary goes to stdout (or a log line when quiet). */
static int sync_once(silver_cli_opts *o, silver_store *s, const char *endpoint, const uint8_t key[SILVER_KEY_BYTES],
		     const silver_sync_opts *so, int daemon_mode)
{
	silver_sync_report rep;
	silver_why why;
	struct progress_ctx pc = {0};
	silver_sync_opts local = *so;
	char err[600] = "";
	int rv;

	if (!daemon_mode && isatty(2)) {
		local.progress = sync_progress;
		local.progress_ctx = &pc;
	}
	rv = silver_sync_client(s, endpoint, key, &local, &rep, &why);
	if (pc.shown)
		fprintf(stderr, "\r%79s\r", "");
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
	if (t <= 0)
		snprintf(out, n, "%s", _("never"));
	else if (d < 120)
		snprintf(out, n, _("%lld s ago"), (long long)d);
	else if (d < 7200)
		snprintf(out, n, _("%lld min ago"), (long long)(d / 60));
	else if (d < 172800)
		snprintf(out, n, _("%lld h ago"), (long long)(d / 3600));
	else
		snprintf(out, n, _("%lld days ago"), (long long)(d / 86400));
}

static int cmd_status(silver_cli_opts *o)
{
	json_t *j, *peers, *p, *out;
	const char *name;
	silver_store *s;
	json_int_t now = (json_int_t)time(NULL);
	int rv;

	if (o->argc) {
		silver_cli_error(_("status: unexpected argument '%s'"), o->argv[0]);
		return SILVER_EXIT_USAGE;
	}
	if ((rv = open_store(o, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	j = peers_load(o);
	peers = json_object_get(j, "peers");
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
		printf(_("%s %s (%s)\n"), dir && strcmp(dir, "in") == 0 ? _("from") : _("to"), name, tw ? tw : "?");
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
	json_decref(j);
	silver_store_close(&s);
	return 0;
}

/* ---- the table -------------------------------------------------------------------------- */

static const silver_cli_command commands[] = {
	{"hub", cmd_hub, "--listen tcp://ADDRESS:PORT", N_("run the county hub: receive every feed, serve each node what it may read")},
	{"serve", cmd_serve, "--listen tcp://ADDRESS:PORT", N_("accept peers on this node (e.g. a field laptop)")},
	{"sync", cmd_sync, "tcp://HOST:PORT [--server-key HEX]", N_("one sync session with a hub or peer, then a summary")},
	{"daemon", cmd_daemon, "--peer tcp://HOST:PORT [--server-key HEX] [--interval S]",
	 N_("keep syncing with a hub; reconnects when the network returns")},
	{"status", cmd_status, "", N_("per peer: last successful sync, entries waiting")},
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
