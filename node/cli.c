/*
 * cli.c - messages, exit codes and display helpers shared by the programs.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <utf8proc.h>

#include "cli.h"

const char *silver_cli_prog = "silversync";

int silver_cli_exit_code(int err)
{
	switch (err) {
	case SILVER_OK:
		return SILVER_EXIT_OK;
	case SILVER_EINVAL:
	case SILVER_ESCHEMA:
	case SILVER_EEXIST:
	case SILVER_ECONFLICT:
		return SILVER_EXIT_INPUT;
	case SILVER_ENOTFOUND:
		return SILVER_EXIT_NOTFOUND;
	case SILVER_EMALFORMED:
	case SILVER_ELIMIT:
	case SILVER_ENONCANON:
	case SILVER_EVERSION:
	case SILVER_EBADSIG:
	case SILVER_ECHAIN:
	case SILVER_EFORK:
	case SILVER_EUNSEALED:
	case SILVER_ESKEW:
		return SILVER_EXIT_REFUSED;
	case SILVER_EDENIED:
	case SILVER_ECATCHUP:
		return SILVER_EXIT_DENIED;
	case SILVER_EIO:
	case SILVER_EFULL:
	case SILVER_EDISKFULL:
	case SILVER_ESTORE:
	case SILVER_ECORRUPT:
	case SILVER_EOLDSTORE:
	case SILVER_ECLOCK:
		return SILVER_EXIT_STORE;
	case SILVER_ENET:
		return SILVER_EXIT_NET;
	default:
		return SILVER_EXIT_INTERNAL;
	}
}

void silver_cli_put_escaped(FILE *f, const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	while (*p) {
		utf8proc_int32_t c;
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &c);
		if (n <= 0) {
			fprintf(f, "\\x%02x", *p); /* not UTF-8: the byte, in hex */
			p++;
		} else if (silver_char_plain(c)) {
			fwrite(p, 1, (size_t)n, f);
			p += n;
		} else {
			if (c == '\n')
				fputs("\\n", f);
			else if (c == '\r')
				fputs("\\r", f);
			else if (c == '\t')
				fputs("\\t", f);
			else if (c < 0x80)
				fprintf(f, "\\x%02x", (unsigned)c);
			else
				fprintf(f, "\\u%04x", (unsigned)c);
			p += n;
		}
	}
}

void silver_cli_vmessage(const char *prefix, const char *fmt, va_list ap)
{
	char small[512], *msg = small;
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n < 0)
		small[0] = 0;
	if (n >= (int)sizeof(small) && !(msg = malloc((size_t)n + 1)))
		msg = small; /* cut rather than lose the message */
	else if (msg != small)
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
	fputs(prefix, stderr);
	silver_cli_put_escaped(stderr, msg);
	fputc('\n', stderr);
	if (msg != small)
		free(msg);
}

int silver_cli_error(const char *fmt, ...)
{
	va_list ap;
	char prefix[80];
	snprintf(prefix, sizeof(prefix), "%s: ", silver_cli_prog);
	va_start(ap, fmt);
	silver_cli_vmessage(prefix, fmt, ap);
	va_end(ap);
	return -1;
}

const char *silver_cli_reason(const char *reason, char *out, size_t n)
{
	/* "not one of: honorary, retired": the words before ": " are the
	 * message (in the catalogue as "not one of: "), the rest are keys. */
	const char *colon = strstr(reason, ": ");
	char prefix[160];
	size_t k;
	if (!colon || (k = (size_t)(colon + 2 - reason)) >= sizeof(prefix))
		return _(reason);
	memcpy(prefix, reason, k);
	prefix[k] = 0;
	snprintf(out, n, "%s%s", _(prefix), colon + 2);
	return out;
}

int silver_cli_fail(int err, const silver_why *why, const char *context)
{
	char rbuf[512];
	char where[200] = "";
	if (why && why->row > 0 && why->field[0])
		snprintf(where, sizeof(where), _("row %ld, field %s: "), why->row, why->field);
	else if (why && why->row > 0)
		snprintf(where, sizeof(where), _("row %ld: "), why->row);
	else if (why && why->field[0])
		snprintf(where, sizeof(where), _("field %s: "), why->field);
	if (why && why->reason[0]) {
		const char *r = silver_cli_reason(why->reason, rbuf, sizeof(rbuf));
		if (why->detail[0])
			silver_cli_error("%s%s%s (%s)", context ? context : "", where, r, why->detail);
		else
			silver_cli_error("%s%s%s", context ? context : "", where, r);
	} else {
		silver_cli_error("%s%s%s", context ? context : "", where, _(silver_strerror(err)));
	}
	return silver_cli_exit_code(err);
}

void silver_cli_value(const silver_field *f, const silver_value *v, silver_buf *buf)
{
	static const char nul = 0;
	silver_buf_reset(buf);
	if (v->type == SILVER_V_BOOL) {
		const char *s = v->i ? _("deleted") : _("kept");
		silver_buf_append(buf, s, strlen(s));
	} else if (f) {
		silver_schema_format(f, v, buf);
		return;
	} else if (v->type == SILVER_V_STR) {
		silver_buf_append(buf, v->s.p, v->s.n);
	} else if (v->type == SILVER_V_INT) {
		char t[32];
		snprintf(t, sizeof(t), "%lld", (long long)v->i);
		silver_buf_append(buf, t, strlen(t));
	}
	silver_buf_append(buf, &nul, 1);
	buf->len--;
}

void silver_cli_time(uint64_t hlc, char out[32])
{
	time_t t = (time_t)(SILVER_HLC_MS(hlc) / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

void silver_cli_time_utc(uint64_t hlc, char out[40])
{
	uint64_t ms = SILVER_HLC_MS(hlc);
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];
	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%03uZ", base, (unsigned)(ms % 1000));
}

int silver_cli_width(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	int w = 0;
	while (*p) {
		utf8proc_int32_t c;
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &c);
		if (n <= 0) {
			p++;
			w++;
			continue;
		}
		w += utf8proc_charwidth(c);
		p += n;
	}
	return w;
}

void silver_cli_pad(FILE *f, const char *s, int width)
{
	int w = silver_cli_width(s);
	fputs(s, f);
	for (; w < width; w++)
		fputc(' ', f);
}

/* What an upgrade does (store.c): from format 3 on, it rebuilds nothing. */
static void upgrade_notice(uint32_t from, uint32_t to, void *ctx)
{
	if (from >= 3)
		silver_cli_error(_("the data store in %s was written by an older version (format %u); upgrading it to "
				   "format %u: the search index is added (the workbench builds it when it starts)"),
				 (const char *)ctx, (unsigned)from, (unsigned)to);
	else
		silver_cli_error(_("the data store in %s was written by an older version (format %u); upgrading it to "
				   "format %u: records, history and statistics are rebuilt from its signed entries, about "
				   "16 s per million entries ..."),
				 (const char *)ctx, (unsigned)from, (unsigned)to);
}

/* ---- a damaged store met after it was opened ----------------------------------------
 *
 * A data.mdb that is cut short while open, or a page of garbage, shows as
 * SIGBUS or SIGSEGV on the store's map, or as an LMDB assertion (store.c).
 * The program then says the store is damaged and exits 7 instead of dying
 * by a signal.  Nothing half written stays: LMDB commits are atomic, and
 * this process never got to commit.  A fault anywhere else (a bug) keeps
 * its default action.  The message is made before it is needed: a signal
 * handler may only write(2) and _exit(2). */
static char damage_msg[1024];
static size_t damage_len;

static void damage_exit(void)
{
	if (damage_len && write(STDERR_FILENO, damage_msg, damage_len) < 0)
		damage_len = 0;
	_exit(SILVER_EXIT_STORE);
}

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	/* SIGBUS with a store open is its file (nothing else is mapped from a
	 * file); SIGSEGV only on the store's map or in liblmdb's code. */
	if (silver_store_fault(sig, si, uc))
		damage_exit();
	signal(sig, SIG_DFL); /* return: the fault repeats and takes its default action */
}

void silver_cli_guard_store(const char *dir)
{
	static int installed;
	struct sigaction sa;
	snprintf(damage_msg, sizeof(damage_msg), "%s: ", silver_cli_prog);
	damage_len = strlen(damage_msg);
	snprintf(damage_msg + damage_len, sizeof(damage_msg) - damage_len,
		 _("the data store in %s is damaged (a file shorter than it should be or a page that cannot be "
		   "read), or its disk is full; nothing more was changed. Free disk space, or restore the node from "
		   "a backup (silvernode restore)"),
		 dir ? dir : ".");
	damage_len = strlen(damage_msg);
	if (damage_len + 1 < sizeof(damage_msg))
		damage_msg[damage_len++] = '\n';
	if (installed)
		return;
	installed = 1;
	silver_store_on_damage(damage_exit);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

int silver_cli_open(const char *dir, unsigned flags, silver_store **s)
{
	int rv;
	silver_cli_guard_store(dir);
	rv = silver_store_open_ex(dir, flags, upgrade_notice, (void *)dir, s);
	struct stat st;
	char path[4096];
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (rv == SILVER_ENOTFOUND && stat(path, &st) == 0) {
		silver_cli_error(_("the node in %s has no key file (identity.key): restore it from the backup of this "
				   "node; without it the node cannot sign"),
				 dir);
		return SILVER_EXIT_STORE;
	}
	if (rv == SILVER_ENOTFOUND) {
		silver_cli_error(_("no node in %s: run 'silvernode init --township CODE' first, or give --dir"), dir);
		return SILVER_EXIT_NOTFOUND;
	}
	if (rv == SILVER_EVERSION) {
		silver_cli_error(_("the node in %s was written by a newer silversync; upgrade this program"), dir);
		return SILVER_EXIT_STORE;
	}
	if (rv != 0) {
		char ctx[300];
		snprintf(ctx, sizeof(ctx), _("cannot open the node in %s: "), dir);
		return silver_cli_fail(rv, NULL, ctx);
	}
	return 0;
}

int silver_cli_main(const char *prog, const silver_cli_command *commands, void (*usage)(FILE *f), int argc,
		    char **argv)
{
	silver_cli_opts o;
	const silver_cli_command *cmd = NULL;
	char **rest;
	int nrest = 0, rv;

	silver_i18n_init();
	silver_cli_prog = prog;
	memset(&o, 0, sizeof(o));
	o.dir = getenv("SILVER_DIR");
	if (!o.dir || !*o.dir)
		o.dir = "./silver-data";
	rest = calloc((size_t)argc + 1, sizeof(char *));
	if (!rest) {
		silver_cli_error("%s", _(silver_strerror(SILVER_ENOMEM)));
		return SILVER_EXIT_INTERNAL;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--dir") == 0) {
			if (i + 1 >= argc) {
				silver_cli_error(_("--dir needs a directory"));
				free(rest);
				return SILVER_EXIT_USAGE;
			}
			o.dir = argv[++i];
		} else if (strncmp(a, "--dir=", 6) == 0) {
			o.dir = a + 6;
		} else if (strcmp(a, "--json") == 0) {
			o.json = 1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			if (cmd)
				printf(_("Usage: %s %s %s\n%s\n"), prog, cmd->name, cmd->args, _(cmd->help));
			else
				usage(stdout);
			free(rest);
			return 0;
		} else if (strcmp(a, "--commands") == 0 && !cmd) {
			/* Not in the help: the command names, one a line, for the
			 * shell completion (docs/man, tools/completion). */
			for (const silver_cli_command *c = commands; c->name; c++)
				printf("%s\n", c->name);
			free(rest);
			return 0;
		} else if (strcmp(a, "--version") == 0 && !cmd) {
			printf("%s (silversync) %s\n", prog, SILVER_VERSION);
			free(rest);
			return 0;
		} else if (!cmd) {
			for (const silver_cli_command *c = commands; c->name; c++)
				if (strcmp(c->name, a) == 0)
					cmd = c;
			if (!cmd) {
				silver_cli_error(_("'%s' is not a command; see '%s --help'"), a, prog);
				free(rest);
				return SILVER_EXIT_USAGE;
			}
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (!cmd) {
		usage(stderr);
		free(rest);
		return SILVER_EXIT_USAGE;
	}
	o.argc = nrest;
	o.argv = rest;
	rv = cmd->run(&o);
	free(rest);
	return rv;
}

#ifdef SILVER_BUILD_BIN
/* Does this program run from the build tree's bin/?  Both sides canonical:
 * the build directory may be reached through a link. */
static int run_from_build_tree(void)
{
	char self[4096], *slash, *canon;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int same;
	if (n <= 0)
		return 0;
	self[n] = 0;
	if ((slash = strrchr(self, '/')))
		*slash = 0;
	canon = realpath(SILVER_BUILD_BIN, NULL);
	same = canon && strcmp(canon, self) == 0;
	free(canon);
	return same;
}
#endif

const char *silver_cli_program(const char *name, const char *var, const char *installed, char *buf, size_t n)
{
	const char *env = var ? getenv(var) : NULL;
	if (env && *env)
		return env;
#ifdef SILVER_BUILD_BIN
	if (run_from_build_tree()) {
		snprintf(buf, n, "%s/%s", SILVER_BUILD_BIN, name);
		return buf;
	}
#else
	(void)name;
	(void)buf;
	(void)n;
#endif
	return installed;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void silver_cli_progress_begin(silver_cli_progress *p)
{
	p->on = isatty(STDERR_FILENO);
	p->t0 = mono_ms();
	p->shown = 0;
}

uint64_t silver_cli_progress_due(silver_cli_progress *p)
{
	uint64_t t;
	if (!p->on)
		return 0;
	t = mono_ms();
	if (t - p->t0 < 1000 || (p->shown && t - p->shown < 250))
		return 0;
	p->shown = t;
	return t - p->t0;
}

void silver_cli_progress_print(const char *fmt, ...)
{
	va_list ap;
	fputc('\r', stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("   ", stderr);
}

void silver_cli_progress_end(silver_cli_progress *p)
{
	if (p->shown)
		fprintf(stderr, "\r%79s\r", "");
	p->shown = 0;
}
