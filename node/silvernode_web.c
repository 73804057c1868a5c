/*
 * silvernode_web.c - the silvernode-web program: the office workbench
 * served over HTTP by libmicrohttpd (silvernode web), and the local
 * accounts that may use it (silvernode user).  silvernode execs it, so
 * that only this program links libmicrohttpd.  docs/WEB.md.
 *
 * One thread answers every request (MHD's internal polling thread): the
 * pages in web.c and the store are never used from two threads at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>
#include <termios.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "web.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

struct server {
	silver_web *w;
};

/* What one connection has gathered: the query and the POST fields. */
struct conn {
	struct MHD_PostProcessor *pp;
	silver_web_kv kv[SILVER_WEB_MAX_FIELDS];
	size_t nkv;
	size_t body; /* bytes of POST data received */
	int too_big, too_many;
	silver_web_kv q[SILVER_WEB_MAX_FIELDS];
	size_t nq;
	/* POST /import: the multipart form's file, saved in a private
	 * temporary file as it arrives (only the first file of the form) */
	int import;	  /* the request is for /import: files taken, the larger limit */
	int file;	  /* 0: none yet, 1: writing the file, 2: a later file, ignored */
	int fd;		  /* the temporary file while it is written, else -1 */
	int file_errno;	  /* writing it failed */
	int kept;	  /* the pages took the file over (resp.upload_kept) */
	char upath[4096]; /* its path, "" when none */
	char *uname;	  /* the browser's name for it */
};

static void conn_free(struct conn *c)
{
	if (!c)
		return;
	if (c->pp)
		MHD_destroy_post_processor(c->pp);
	if (c->fd >= 0)
		close(c->fd);
	if (c->upath[0] && !c->kept)
		(void)unlink(c->upath);
	free(c->uname);
	for (size_t i = 0; i < c->nkv; i++) {
		free(c->kv[i].key);
		free(c->kv[i].val);
	}
	for (size_t i = 0; i < c->nq; i++) {
		free(c->q[i].key);
		free(c->q[i].val);
	}
	free(c);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static MHD_RESULT post_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
			     const char *content_type, const char *transfer_encoding, const char *data,
			     uint64_t off, size_t size)
{
	struct conn *c = cls;
	silver_web_kv *kv;
	(void)kind, (void)content_type, (void)transfer_encoding;
	if (filename) {
		/* A file: to /import, the first one goes to a temporary file
		 * (mkstemp: mode 0600) in TMPDIR; anything else is dropped. */
		if (!c->import || !*filename) /* a form sent without choosing a file */
			return MHD_YES;
		if (off == 0)
			c->file = c->file == 0 ? 1 : 2;
		if (c->file != 1 || c->file_errno)
			return MHD_YES;
		if (c->fd < 0 && !c->upath[0]) {
			const char *tmp = getenv("TMPDIR");
			if (!tmp || !*tmp)
				tmp = "/tmp";
			snprintf(c->upath, sizeof(c->upath), "%s/silver-import-XXXXXX", tmp);
			if ((c->fd = mkstemp(c->upath)) < 0) {
				c->file_errno = errno ? errno : EIO;
				c->upath[0] = 0;
				return MHD_YES;
			}
			(void)fchmod(c->fd, 0600);
			if (!(c->uname = strdup(filename)))
				c->file_errno = ENOMEM;
		}
		while (size > 0 && c->fd >= 0) {
			ssize_t n = write(c->fd, data, size);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				c->file_errno = n < 0 ? errno : EIO;
				break;
			}
			data += n;
			size -= (size_t)n;
		}
		return MHD_YES;
	}
	/* A value may arrive in pieces: off > 0 continues the last field. */
	if (off > 0 && c->nkv > 0 && strcmp(c->kv[c->nkv - 1].key, key) == 0) {
		kv = &c->kv[c->nkv - 1];
		size_t have = strlen(kv->val);
		char *v = realloc(kv->val, have + size + 1);
		if (!v)
			return MHD_NO;
		memcpy(v + have, data, size);
		v[have + size] = 0;
		kv->val = v;
		return MHD_YES;
	}
	if (c->nkv == SILVER_WEB_MAX_FIELDS) {
		c->too_many = 1;
		return MHD_YES;
	}
	kv = &c->kv[c->nkv];
	kv->key = strdup(key);
	kv->val = malloc(size + 1);
	if (!kv->key || !kv->val) {
		free(kv->key);
		free(kv->val);
		return MHD_NO;
	}
	memcpy(kv->val, data, size);
	kv->val[size] = 0;
	c->nkv++;
	return MHD_YES;
}

static MHD_RESULT query_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct conn *c = cls;
	(void)kind;
	if (c->nq == SILVER_WEB_MAX_FIELDS) {
		c->too_many = 1;
		return MHD_NO;
	}
	c->q[c->nq].key = strdup(key);
	c->q[c->nq].val = strdup(value ? value : "");
	if (!c->q[c->nq].key || !c->q[c->nq].val) {
		free(c->q[c->nq].key);
		free(c->q[c->nq].val);
		return MHD_NO;
	}
	c->nq++;
	return MHD_YES;
}

static MHD_RESULT send_status(struct MHD_Connection *con, unsigned status, const char *text)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	MHD_RESULT rv;
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	rv = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return rv;
}

static MHD_RESULT answer(void *cls, struct MHD_Connection *con, const char *url, const char *method,
			 const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct server *sv = cls;
	struct conn *c = *con_cls;
	silver_web_req req;
	silver_web_resp resp;
	struct MHD_Response *r;
	const union MHD_ConnectionInfo *ci;
	char client[INET6_ADDRSTRLEN + 1] = "?";
	MHD_RESULT rv;
	(void)version;

	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return MHD_NO;
		c->fd = -1;
		c->import = strcmp(url, "/import") == 0;
		*con_cls = c;
		if (strcmp(method, "POST") == 0) {
			c->pp = MHD_create_post_processor(con, 8192, post_field, c);
			if (!c->pp) /* not a form encoding */
				return send_status(con, 415, "form data expected\n");
		}
		return MHD_YES;
	}
	if (*upload_size) {
		c->body += *upload_size;
		if (c->body > (c->import ? SILVER_WEB_MAX_UPLOAD : SILVER_WEB_MAX_BODY))
			c->too_big = 1;
		else if (c->pp && MHD_post_process(c->pp, upload, *upload_size) != MHD_YES)
			c->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (c->too_big)
		return send_status(con, 413,
				   c->import ?
					   _("The file is too large: at most 32 MiB can be imported at once. "
					     "Nothing was read; split the file and import the parts.\n") :
					   "request too large\n");
	if (c->fd >= 0) {
		if (close(c->fd) != 0 && !c->file_errno)
			c->file_errno = errno;
		c->fd = -1;
	}
	if (c->file_errno)
		return send_status(con, 500, _("The uploaded file could not be stored on this computer.\n"));
	MHD_get_connection_values(con, MHD_GET_ARGUMENT_KIND, query_field, c);
	if (c->too_many)
		return send_status(con, 413, "too many fields\n");

	ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, client,
				  sizeof(client));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, client,
				  sizeof(client));
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.query = c->q;
	req.nquery = c->nq;
	req.form = c->kv;
	req.nform = c->nkv;
	req.session = MHD_lookup_connection_value(con, MHD_COOKIE_KIND, "silver_session");
	req.client = client;
	req.now_ms = now_ms();
	req.upload_path = c->upath[0] ? c->upath : NULL;
	req.upload_name = c->uname;
	memset(&resp, 0, sizeof(resp));
	silver_buf_init(&resp.body);
	(void)silver_web_handle(sv->w, &req, &resp);
	c->kept = resp.upload_kept;

	r = MHD_create_response_from_buffer(resp.body.len, resp.body.data, MHD_RESPMEM_MUST_COPY);
	silver_buf_release(&resp.body);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", resp.type ? resp.type : "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	MHD_add_response_header(
		r, "Content-Security-Policy",
		"default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
		"frame-ancestors 'none'");
	if (resp.location[0])
		MHD_add_response_header(r, "Location", resp.location);
	if (resp.cookie[0])
		MHD_add_response_header(r, "Set-Cookie", resp.cookie);
	rv = MHD_queue_response(con, (unsigned)resp.status, r);
	MHD_destroy_response(r);
	return rv;
}

static void done(void *cls, struct MHD_Connection *con, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)con, (void)toe;
	conn_free(*con_cls);
	*con_cls = NULL;
}

/* "HOST:PORT" with an IPv4 host, or "[V6]:PORT". */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;
	size_t hn;
	if (!colon)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end || colon[1] == 0 || port < 0 || port > 65535)
		return -1;
	hn = (size_t)(colon - s);
	if (hn == 0 || hn >= sizeof(host))
		return -1;
	memcpy(host, s, hn);
	host[hn] = 0;
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[hn - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		host[hn - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -1;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return 6;
	}
	{
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -1;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return 4;
	}
}

/* ---- the review lists: silver-review --json, run beside this program or installed ----------------------------- */

#define REVIEW_MAX_OUTPUT (64u << 20)

extern char **environ;

struct review_ctx {
	const char *dir;
	silver_store *s;
};

/* The path of one of our programs (silver_cli_program): silvernode-web is in
 * libexec once installed, the others in the programs' directory. */
static void program_path(const char *name, const char *var, char *path, size_t n)
{
	char installed[4096];
	const char *at;
	snprintf(installed, sizeof(installed), "%s/%s", SILVER_BINDIR, name);
	at = silver_cli_program(name, var, installed, path, n);
	if (at != path)
		snprintf(path, n, "%s", at);
}

/* Start argv[0] with its stdout on fd out (and stderr on err, when not
 * -1); SIGINT and SIGTERM unblocked in the child.  The server's own
 * descriptors are close-on-exec. */
static int spawn_to(char *const argv[], int out, int err, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	int sp;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
	if (err >= 0)
		posix_spawn_file_actions_adddup2(&fa, err, STDERR_FILENO);
	/* The server blocks SIGINT and SIGTERM (sigwait); the child must not. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	sp = posix_spawn(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return sp == 0 ? 0 : SILVER_EIO;
}

/* The same with its stdout (and stderr, when err_fd is not NULL) on pipes. */
static int spawn_piped(char *const argv[], pid_t *pid, int *out_fd, int *err_fd)
{
	int fo[2], fe[2] = { -1, -1 }, rv;

	if (pipe2(fo, O_CLOEXEC) != 0)
		return SILVER_EIO;
	if (err_fd && pipe2(fe, O_CLOEXEC) != 0) {
		close(fo[0]);
		close(fo[1]);
		return SILVER_EIO;
	}
	rv = spawn_to(argv, fo[1], fe[1], pid);
	close(fo[1]);
	if (err_fd)
		close(fe[1]);
	if (rv != 0) {
		close(fo[0]);
		if (err_fd)
			close(fe[0]);
		return rv;
	}
	*out_fd = fo[0];
	if (err_fd)
		*err_fd = fe[0];
	return 0;
}

static int child_status(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* silver-review reads the whole store: seconds on a county of a million
 * records.  So a check runs beside the server, its output into an unlinked
 * temporary file, and the page shows the newest finished check: one of the
 * store as it is when no write came after it, else the last one with the
 * time it started while a new check runs.  A page waits for a running check
 * at most REVIEW_WAIT_MS (a county's real store is checked well within it),
 * and for the first check of all until it ends. */
#define REVIEW_WAIT_MS 25

struct review_run {
	const char *what;
	pid_t pid;    /* a check running, or 0 */
	int fd;	      /* its output file */
	uint64_t gen; /* the store's generation when it started */
	time_t started;
	silver_buf out;	  /* the newest finished check's output */
	int have;	  /* out holds one */
	uint64_t out_gen; /* its generation, start time */
	time_t out_at;
};

static struct review_run review_runs[2] = { { .what = "duplicates" }, { .what = "aid-anomalies" } };

/* An unlinked file in $TMPDIR (else /tmp) for a check's output. */
static int anon_file(void)
{
	const char *tmp = getenv("TMPDIR");
	char t[4200];
	int fd;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (snprintf(t, sizeof(t), "%s/silver-review-XXXXXX", tmp) >= (int)sizeof(t))
		return -1;
	if ((fd = mkostemp(t, O_CLOEXEC)) >= 0)
		unlink(t);
	return fd;
}

static int review_start(struct review_ctx *rc, struct review_run *r)
{
	char path[4200];
	char *argv[6];
	int fd;

	program_path("silver-review", "SILVER_REVIEW", path, sizeof(path));
	if ((fd = anon_file()) < 0)
		return SILVER_EIO;
	argv[0] = path;
	argv[1] = "--dir";
	argv[2] = (char *)rc->dir;
	argv[3] = "--json";
	argv[4] = (char *)r->what;
	argv[5] = NULL;
	r->gen = silver_store_generation(rc->s);
	if (spawn_to(argv, fd, -1, &r->pid) != 0) {
		close(fd);
		r->pid = 0;
		return SILVER_EIO;
	}
	r->fd = fd;
	r->started = time(NULL);
	return 0;
}

/* Has the running check ended (waiting up to wait_ms)?  When it has, its
 * output replaces the shown one if it succeeded.  1 ended, 0 running. */
static int review_reap(struct review_run *r, long wait_ms)
{
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	int status = 0, ok;
	pid_t got;
	long waited = 0;

	for (;;) {
		got = waitpid(r->pid, &status, WNOHANG);
		if (got == r->pid || (got < 0 && errno != EINTR))
			break;
		if (wait_ms >= 0 && waited >= wait_ms)
			return 0;
		nanosleep(&nap, NULL);
		waited += 2;
	}
	ok = got == r->pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (ok) {
		silver_buf b;
		off_t at = 0;
		silver_buf_init(&b);
		for (;;) {
			char chunk[65536];
			ssize_t n = pread(r->fd, chunk, sizeof(chunk), at);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				ok = n == 0;
				break;
			}
			at += n;
			if (b.len + (size_t)n > REVIEW_MAX_OUTPUT ||
			    silver_buf_append(&b, chunk, (size_t)n) != 0) {
				ok = 0;
				break;
			}
		}
		if (ok) {
			silver_buf_release(&r->out);
			r->out = b;
			r->have = 1;
			r->out_gen = r->gen;
			r->out_at = r->started;
		} else {
			silver_buf_release(&b);
		}
	}
	close(r->fd);
	r->pid = 0;
	return 1;
}

static int run_review(const char *what, silver_buf *out, time_t *as_of, int *checking, void *vctx)
{
	struct review_ctx *rc = vctx;
	struct review_run *r = NULL;
	uint64_t now;

	for (size_t i = 0; i < sizeof(review_runs) / sizeof(review_runs[0]); i++)
		if (strcmp(review_runs[i].what, what) == 0)
			r = &review_runs[i];
	if (!r)
		return SILVER_EINVAL;
	now = silver_store_generation(rc->s);
	if (r->pid)
		review_reap(r, r->have ? REVIEW_WAIT_MS : -1);
	/* a check that cannot start leaves the earlier one shown, as a failed one does */
	if (!r->pid && (!r->have || r->out_gen != now) && review_start(rc, r) == 0)
		review_reap(r, r->have ? REVIEW_WAIT_MS : -1);
	if (!r->have)
		return SILVER_EIO;
	*checking = r->pid != 0 || r->out_gen != now;
	*as_of = *checking ? r->out_at : 0;
	return silver_buf_append(out, r->out.data, r->out.len);
}

/* Stop the checks still running (the server is stopping). */
static void review_stop(void)
{
	for (size_t i = 0; i < sizeof(review_runs) / sizeof(review_runs[0]); i++) {
		struct review_run *r = &review_runs[i];
		if (r->pid) {
			kill(r->pid, SIGTERM);
			review_reap(r, -1);
		}
		silver_buf_release(&r->out);
		r->have = 0;
	}
}

/* ---- the import: `silvernode import COLLECTION FILE`, all rows or none ---------------------------- */

#define IMPORT_MAX_OUTPUT (64u << 10)

static int run_import(const char *collection, const char *file, const char *account, uint64_t *imported,
		      silver_buf *msg, void *vctx)
{
	struct review_ctx *rc = vctx;
	char path[4200];
	char *argv[9];
	silver_buf so;
	struct pollfd pf[2];
	int fo, fe, st;
	pid_t pid;

	*imported = 0;
	program_path("silvernode", NULL, path, sizeof(path));
	argv[0] = path;
	argv[1] = "--dir";
	argv[2] = (char *)rc->dir;
	argv[3] = "import";
	argv[4] = "--operator";
	argv[5] = (char *)account;
	argv[6] = (char *)collection;
	argv[7] = (char *)file;
	argv[8] = NULL;
	if (spawn_piped(argv, &pid, &fo, &fe) != 0)
		return SILVER_EIO;
	silver_buf_init(&so);
	pf[0].fd = fo;
	pf[1].fd = fe;
	pf[0].events = pf[1].events = POLLIN;
	/* both pipes read to their end: the child never blocks on a full one */
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			char b[4096];
			ssize_t got;
			silver_buf *to = i == 0 ? &so : msg;
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(pf[i].fd, b, sizeof(b));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				continue;
			}
			if (to->len + (size_t)got <= IMPORT_MAX_OUTPUT)
				(void)silver_buf_append(to, b, (size_t)got);
		}
	}
	for (int i = 0; i < 2; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	st = child_status(pid);
	if (st == 0) {
		/* "Imported N records into C." in whatever language: the first number */
		size_t i = 0;
		while (i < so.len && (so.data[i] < '0' || so.data[i] > '9'))
			i++;
		for (; i < so.len && so.data[i] >= '0' && so.data[i] <= '9'; i++)
			*imported = *imported * 10 + (uint64_t)(so.data[i] - '0');
		silver_buf_release(&so);
		return 0;
	}
	silver_buf_release(&so);
	/* the message without the program's name and the line break */
	{
		const char *pre = "silvernode: ";
		size_t pl = strlen(pre);
		while (msg->len && (msg->data[msg->len - 1] == '\n' || msg->data[msg->len - 1] == '\r'))
			msg->len--;
		if (msg->len >= pl && memcmp(msg->data, pre, pl) == 0) {
			memmove(msg->data, msg->data + pl, msg->len - pl);
			msg->len -= pl;
		}
	}
	return st == SILVER_EXIT_INPUT || st == SILVER_EXIT_USAGE ? SILVER_EINVAL : SILVER_EIO;
}

static void index_progress(uint64_t done, uint64_t total, void *ctx)
{
	silver_cli_progress *p = ctx;
	if (silver_cli_progress_due(p))
		silver_cli_progress_print(_("Bringing the search index up to date: %llu of %llu entries"),
					  (unsigned long long)done, (unsigned long long)total);
}

/* The search index is brought up to date before the first page (after a
 * large import or sync this takes a while: a progress line on a terminal);
 * each search page then catches up what arrived since, within its budget.
 * A failure is not fatal: searches read every record instead. */
static void search_catch_up(silver_store *s)
{
	silver_cli_progress pr;
	int rv;
	silver_cli_progress_begin(&pr);
	rv = silver_store_search_update(s, 0, index_progress, &pr);
	silver_cli_progress_end(&pr);
	if (rv < 0)
		silver_cli_error(_("web: the search index could not be brought up to date (%s): searches will read "
				   "every record"),
				 _(silver_strerror(rv)));
}

static int cmd_web(silver_cli_opts *o)
{
	const char *listen = "127.0.0.1:8470";
	struct sockaddr_storage ss;
	socklen_t sl;
	struct MHD_Daemon *d;
	struct server sv;
	silver_store *s = NULL;
	silver_users *u = NULL;
	sigset_t set;
	int fam, sig, rv;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	for (int i = 0; i < o->argc; i++) {
		if (strcmp(o->argv[i], "--listen") == 0 && i + 1 < o->argc) {
			listen = o->argv[++i];
		} else if (strncmp(o->argv[i], "--listen=", 9) == 0) {
			listen = o->argv[i] + 9;
		} else {
			silver_cli_error(
				_("web: unknown argument '%s' (usage: silvernode web [--listen HOST:PORT])"),
				o->argv[i]);
			return SILVER_EXIT_USAGE;
		}
	}
	/* Chinese first: the pages speak Chinese unless LANGUAGE asks for
	 * another language (LANGUAGE=en for English).  gettext ignores
	 * LANGUAGE in the C locale, so a C locale becomes C.UTF-8. */
	if (!getenv("LANGUAGE") || !*getenv("LANGUAGE")) {
		const char *cur = setlocale(LC_MESSAGES, NULL);
		setenv("LANGUAGE", "zh_CN", 1);
		if (!cur || strcmp(cur, "C") == 0 || strcmp(cur, "POSIX") == 0)
			setlocale(LC_ALL, "C.UTF-8");
	}
	if ((fam = parse_listen(listen, &ss, &sl)) < 0) {
		silver_cli_error(
			_("web: --listen wants HOST:PORT with a numeric address, e.g. 127.0.0.1:8470, not '%s'"),
			listen);
		return SILVER_EXIT_USAGE;
	}
	if (fam == 6)
		flags |= MHD_USE_IPv6;
	if ((rv = silver_cli_open(o->dir, 0, &s)) != 0)
		return rv;
	if ((rv = silver_users_open(o->dir, &u)) != 0) {
		silver_store_close(&s);
		return silver_cli_fail(rv, NULL, _("web: the accounts: "));
	}
	search_catch_up(s);
	if ((rv = silver_web_new(s, u, &sv.w)) != 0) {
		silver_users_close(&u);
		silver_store_close(&s);
		return silver_cli_fail(rv, NULL, "web: ");
	}
	{
		static struct review_ctx rc;
		rc.dir = o->dir;
		rc.s = s;
		silver_web_set_review(sv.w, run_review, &rc);
		silver_web_set_import(sv.w, run_import, &rc);
	}
	/* SIGINT and SIGTERM are taken by sigwait below; MHD's thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d = MHD_start_daemon(flags, 0, NULL, NULL, answer, &sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_CONNECTION_LIMIT,
			     (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024), MHD_OPTION_END);
	if (!d) {
		silver_cli_error(_("web: cannot listen on %s: %s"), listen, strerror(errno));
		silver_web_destroy(&sv.w);
		silver_users_close(&u);
		silver_store_close(&s);
		return SILVER_EXIT_NET;
	}
	{
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
		char host[128];
		size_t hn = (size_t)(strrchr(listen, ':') - listen);
		snprintf(host, sizeof(host), "%.*s", (int)hn, listen);
		printf(_("The workbench is at http://%s:%u/ (Ctrl-C stops it)\n"), host,
		       di ? (unsigned)di->port : 0u);
		fflush(stdout);
	}
	while (sigwait(&set, &sig) == 0 && sig != SIGINT && sig != SIGTERM)
		;
	MHD_stop_daemon(d);
	review_stop();
	silver_web_destroy(&sv.w);
	silver_users_close(&u);
	silver_store_close(&s);
	return 0;
}

/* ---- accounts ------------------------------------------------------------------------------- */

/* A password from the terminal without echo, or a line of stdin. */
static int read_password(const char *prompt, char *buf, size_t n)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO);
	size_t len;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
	}
	if (!fgets(buf, (int)n, stdin))
		buf[0] = 0;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	len = strlen(buf);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = 0;
	return 0;
}

static int list_user(const char *name, int role, void *ctx)
{
	(void)ctx;
	printf("%-32s %s\n", name, silver_user_role_name(role) ? silver_user_role_name(role) : "?");
	return 0;
}

static int cmd_user(silver_cli_opts *o)
{
	silver_users *u = NULL;
	const char *sub = o->argc > 0 ? o->argv[0] : "";
	silver_store *s = NULL;
	int rv, ex = 0;

	/* Accounts belong to a node: refuse a directory that holds none with
	 * the usual message, before anything is created in it. */
	if ((rv = silver_cli_open(o->dir, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	silver_store_close(&s);

	if (strcmp(sub, "add") == 0) {
		const char *name = NULL, *rolename = NULL;
		char *pw, *pw2;
		int role = 0, replace = 0, existed = 0;
		for (int i = 1; i < o->argc; i++) {
			if (strcmp(o->argv[i], "--role") == 0 && i + 1 < o->argc)
				rolename = o->argv[++i];
			else if (strcmp(o->argv[i], "--replace") == 0)
				replace = 1;
			else if (!name && o->argv[i][0] != '-')
				name = o->argv[i];
			else {
				silver_cli_error(_("user: unknown argument '%s'"), o->argv[i]);
				return SILVER_EXIT_USAGE;
			}
		}
		if (!name || !silver_user_name_ok(name)) {
			silver_cli_error(_("user: an account name is 1 to 32 of a-z 0-9 _ . -"));
			return SILVER_EXIT_USAGE;
		}
		if (!(role = silver_user_role_parse(rolename))) {
			silver_cli_error(_("user add: --role clerk, officer or admin"));
			return SILVER_EXIT_USAGE;
		}
		if ((rv = silver_users_open(o->dir, &u)) != 0)
			return silver_cli_fail(rv, NULL, _("user: the accounts: "));
		pw = sodium_malloc(SILVER_PASSWORD_MAX + 2);
		pw2 = sodium_malloc(SILVER_PASSWORD_MAX + 2);
		if (!pw || !pw2) {
			silver_users_close(&u);
			return SILVER_EXIT_INTERNAL;
		}
		read_password(_("Password: "), pw, SILVER_PASSWORD_MAX + 2);
		if (isatty(STDIN_FILENO)) {
			read_password(_("Again: "), pw2, SILVER_PASSWORD_MAX + 2);
			if (strcmp(pw, pw2) != 0) {
				silver_cli_error(_("user: the two passwords differ"));
				ex = SILVER_EXIT_INPUT;
				goto out;
			}
		}
		if (strlen(pw) < SILVER_PASSWORD_MIN || strlen(pw) > SILVER_PASSWORD_MAX) {
			silver_cli_error(_("user: a password has 8 to 256 characters"));
			ex = SILVER_EXIT_INPUT;
			goto out;
		}
		if (replace) {
			uint8_t stamp[SILVER_USER_STAMP];
			int had;
			existed = silver_users_stamp(u, name, &had, stamp) == 0;
		}
		rv = silver_users_add(u, name, role, pw, replace);
		if (rv == SILVER_EEXIST) {
			silver_cli_error(
				_("user add: account '%s' exists (--replace gives it a new password and role)"),
				name);
			ex = SILVER_EXIT_INPUT;
		} else if (rv != 0) {
			ex = silver_cli_fail(rv, NULL, _("user add: "));
		} else if (existed) {
			printf(_("Account %s (%s): new password and role; its browsers are logged out.\n"),
			       name, rolename);
		} else {
			printf(_("Account %s (%s) added.\n"), name, rolename);
		}
out:
		sodium_free(pw);
		sodium_free(pw2);
		silver_users_close(&u);
		return ex;
	}
	if (strcmp(sub, "list") == 0 && o->argc == 1) {
		if ((rv = silver_users_open(o->dir, &u)) != 0)
			return silver_cli_fail(rv, NULL, _("user: the accounts: "));
		rv = silver_users_list(u, list_user, NULL);
		silver_users_close(&u);
		return rv ? silver_cli_fail(rv, NULL, "user list: ") : 0;
	}
	if (strcmp(sub, "delete") == 0 && o->argc == 2) {
		if ((rv = silver_users_open(o->dir, &u)) != 0)
			return silver_cli_fail(rv, NULL, _("user: the accounts: "));
		rv = silver_users_delete(u, o->argv[1]);
		silver_users_close(&u);
		if (rv == SILVER_ENOTFOUND || rv == SILVER_EINVAL) {
			silver_cli_error(_("user delete: no account '%s'"), o->argv[1]);
			return SILVER_EXIT_NOTFOUND;
		}
		return rv ? silver_cli_fail(rv, NULL, "user delete: ") : 0;
	}
	silver_cli_error(_("user: add NAME --role clerk|officer|admin [--replace] | list | delete NAME"));
	return SILVER_EXIT_USAGE;
}

static int cmd_help(silver_cli_opts *o);

static const silver_cli_command commands[] = {
	{ "web", cmd_web, "[--listen HOST:PORT]",
	  N_("serve the office workbench to a browser (default 127.0.0.1:8470)") },
	{ "user", cmd_user, "add NAME --role clerk|officer|admin [--replace] | list | delete NAME",
	  N_("the workbench's accounts (the password is read from stdin)") },
	{ "help", cmd_help, "", N_("this help") },
	{ NULL, NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f,
		_("Usage: silvernode [--dir DIR] web [--listen HOST:PORT]\n"
		  "       silvernode [--dir DIR] user add NAME --role clerk|officer|admin [--replace] | list | delete NAME\n"));
}

static int cmd_help(silver_cli_opts *o)
{
	(void)o;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	return silver_cli_main("silvernode", commands, usage, argc, argv);
}
