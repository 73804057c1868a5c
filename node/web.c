/*
 * web.c - the workbench's pages (web.h, docs/WEB.md).
 *
 * Every page is HTML written on the server, usable without JavaScript in
 * old browsers.  Rules every page keeps:
 *   - every value that comes from the store, the request or a user is
 *     written through esc() (HTML-escaped, quotes included);
 *   - no page but /login answers without a session; roles are checked
 *     here, on the server, before anything is read or written;
 *   - every POST carries the session's CSRF token in the field "csrf";
 *   - a change is made by redirecting after the POST (303), and every
 *     entry it writes carries the account that made it as its operator
 *     (docs/FORMAT.md section 6), imports included.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "stats_report.h"
#include "stats_view.h"
#include "silver_table.h"
#include "store_int.h"
#include "web.h"

#define SESSION_IDLE_MS (8ull * 3600 * 1000)
#define LOGIN_MAX_FAILS 5		    /* per account name */
#define LOGIN_MAX_FAILS_ADDR 30		    /* per client address (an office may share one) */
#define LOGIN_WINDOW_MS (15ull * 60 * 1000) /* failures counted within */
#define LOGIN_LOCK_MS (5ull * 60 * 1000)    /* then refused for */
#define LIMITS 128
#define REF_CHOICES 100
#define SEARCH_BUDGET_MS 20 /* catching up the search index before a search page */

struct session {
	char token[65];
	char csrf[65];
	char user[SILVER_USER_MAX + 1];
	int role; /* 0: not logged in (a login form's CSRF holder) */
	uint8_t stamp[SILVER_USER_STAMP]; /* the account's stamp at login (silver_users_stamp) */
	uint64_t seen_ms;
};

struct limit {
	char key[80];
	unsigned fails;
	uint64_t first_ms, locked_until_ms;
};

/* A previewed file without a refused row, waiting for its confirmation. */
struct upload {
	char token[65];	  /* named by the confirm form (never a path) */
	char session[65]; /* the session that uploaded it: only it may confirm */
	char path[4096];  /* the server's private temporary file */
	char coll[SILVER_MAX_NAME + 1];
	char name[256]; /* the browser's file name, for the page */
	uint64_t rows, at_ms;
	int used;
};

struct silver_web {
	silver_store *s;
	silver_users *u;
	silver_arena *a, *a2;
	silver_buf tmp, tmp2;
	struct session sess[SILVER_WEB_SESSIONS];
	struct limit lim[LIMITS];
	silver_web_review_fn review;
	void *review_ctx;
	silver_web_import_fn import;
	void *import_ctx;
	struct upload uploads[SILVER_WEB_UPLOADS];
};

/* One request being answered. */
struct page {
	silver_web *w;
	const silver_web_req *req;
	silver_web_resp *resp;
	struct session *ses;
};

/* ---- output --------------------------------------------------------------------------- */

static void out(struct page *p, const char *s)
{
	silver_buf_append(&p->resp->body, s, strlen(s));
}

static void outf(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct page *p, const char *fmt, ...)
{
	char b[1024];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n > 0)
		silver_buf_append(&p->resp->body, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

/* HTML-escape n bytes: safe in text and in quoted attributes. */
static void escn(struct page *p, const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		const char *r = NULL;
		switch (s[i]) {
		case '&':
			r = "&amp;";
			break;
		case '<':
			r = "&lt;";
			break;
		case '>':
			r = "&gt;";
			break;
		case '"':
			r = "&quot;";
			break;
		case '\'':
			r = "&#39;";
			break;
		default:
			continue;
		}
		silver_buf_append(&p->resp->body, s + start, i - start);
		out(p, r);
		start = i + 1;
	}
	silver_buf_append(&p->resp->body, s + start, n - start);
}

static void esc(struct page *p, const char *s)
{
	escn(p, s ? s : "", s ? strlen(s) : 0);
}

/* <p class="cls" id="id">text</p>, the text escaped; id may be NULL. */
static void para(struct page *p, const char *cls, const char *id, const char *text)
{
	out(p, "<p class=\"");
	out(p, cls);
	if (id) {
		out(p, "\" id=\"");
		out(p, id);
	}
	out(p, "\">");
	esc(p, text);
	out(p, "</p>");
}

/* <table id="id"> and its row of column heads, each escaped; the heads end
 * with NULL. */
__attribute__((sentinel)) static void table_head(struct page *p, const char *id, ...)
{
	va_list ap;
	const char *h;
	out(p, "<table id=\"");
	out(p, id);
	out(p, "\"><tr>");
	va_start(ap, id);
	while ((h = va_arg(ap, const char *)) != NULL) {
		out(p, "<th>");
		esc(p, h);
		out(p, "</th>");
	}
	va_end(ap);
	out(p, "</tr>\n");
}

/* Percent-encode for a URL's query or path segment (ids keep their '/'). */
static void urlenc(struct page *p, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_' || c == '.' || (keep_slash && c == '/')) {
			silver_buf_append(&p->resp->body, s, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			silver_buf_append(&p->resp->body, e, 3);
		}
	}
}

static const char *qarg(const silver_web_req *r, const char *key)
{
	for (size_t i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].key, key) == 0)
			return r->query[i].val;
	return NULL;
}

static const char *farg(const silver_web_req *r, const char *key)
{
	for (size_t i = 0; i < r->nform; i++)
		if (strcmp(r->form[i].key, key) == 0)
			return r->form[i].val;
	return NULL;
}

static void redirect(struct page *p, const char *where)
{
	p->resp->status = 303;
	snprintf(p->resp->location, sizeof(p->resp->location), "%s", where);
}

static void head(struct page *p, const char *title)
{
	p->resp->status = 200;
	p->resp->type = "text/html; charset=utf-8";
	out(p, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
	       "<meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge\"><title>");
	esc(p, title);
	out(p, " - ");
	esc(p, _("silversync workbench"));
	out(p,
	    "</title><style>"
	    "body{font-family:sans-serif;margin:0;font-size:15px}"
	    "#top{background:#8b1a1a;color:#fff;padding:6px 12px}#top a{color:#fff;margin-right:12px}"
	    "#main{padding:12px}table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:4px 8px;"
	    "text-align:left;vertical-align:top}th{background:#eee}.err{color:#b00;font-weight:bold}"
	    ".ok{color:#060}.conflict{background:#fee}label{display:inline-block;min-width:9em}"
	    "form.inline{display:inline}.muted{color:#666}"
	    "</style></head><body>\n");
	if (p->ses && p->ses->role) {
		const char *tw = silver_store_township(p->w->s);
		const char *twl = silver_schema_township_label(tw);
		out(p, "<div id=\"top\"><b>");
		esc(p, twl ? _(twl) : silver_store_name(p->w->s));
		out(p, "</b> &nbsp; <a href=\"/records/retiree\">");
		esc(p, _("Retirees"));
		out(p, "</a><a href=\"/collections\">");
		esc(p, _("All collections"));
		out(p, "</a><a href=\"/conflicts\">");
		esc(p, _("Conflicts"));
		out(p, "</a><a href=\"/import\">");
		esc(p, _("Import"));
		out(p, "</a>");
		if (p->ses->role >= SILVER_USER_OFFICER) {
			out(p, "<a href=\"/review\">");
			esc(p, _("Review"));
			out(p, "</a><a href=\"/county\">");
			esc(p, _("Dashboard"));
			out(p, "</a>");
		}
		out(p, "<span style=\"float:right\"><a id=\"account\" href=\"/password\" title=\"");
		esc(p, _("Change my password"));
		out(p, "\">");
		esc(p, p->ses->user);
		out(p, "</a>");
		out(p,
		    " <form class=\"inline\" method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"");
		esc(p, p->ses->csrf);
		out(p, "\"><input type=\"submit\" value=\"");
		esc(p, _("Log out"));
		out(p, "\"></form></span></div>\n");
	}
	out(p, "<div id=\"main\"><h1>");
	esc(p, title);
	out(p, "</h1>\n");
}

static void foot(struct page *p)
{
	out(p, "</div></body></html>\n");
}

static void csrf_field(struct page *p)
{
	out(p, "<input type=\"hidden\" name=\"csrf\" value=\"");
	esc(p, p->ses->csrf);
	out(p, "\">");
}

static void error_page(struct page *p, int status, const char *msg)
{
	p->resp->body.len = 0;
	head(p, _("Error"));
	p->resp->status = status;
	out(p, "<p class=\"err\">");
	esc(p, msg);
	out(p, "</p><p><a href=\"/\">");
	esc(p, _("Back to the start page"));
	out(p, "</a></p>");
	foot(p);
}

/* ---- sessions and the login rate limit ------------------------------------------------- */

static void random_hex(char out65[65])
{
	uint8_t r[32];
	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(out65, 65, r, sizeof(r));
}

static struct session *session_find(silver_web *w, const char *token, uint64_t now)
{
	if (!token || strlen(token) != 64)
		return NULL;
	for (int i = 0; i < SILVER_WEB_SESSIONS; i++) {
		struct session *s = &w->sess[i];
		if (s->token[0] && sodium_memcmp(s->token, token, 64) == 0) {
			if (now - s->seen_ms > SESSION_IDLE_MS) {
				sodium_memzero(s, sizeof(*s));
				return NULL;
			}
			s->seen_ms = now;
			return s;
		}
	}
	return NULL;
}

/* A new session, in a free slot or the one idle longest. */
static struct session *session_new(silver_web *w, const char *user, int role, const uint8_t *stamp,
				   uint64_t now)
{
	struct session *best = &w->sess[0];
	for (int i = 0; i < SILVER_WEB_SESSIONS; i++) {
		if (!w->sess[i].token[0]) {
			best = &w->sess[i];
			break;
		}
		if (w->sess[i].seen_ms < best->seen_ms)
			best = &w->sess[i];
	}
	memset(best, 0, sizeof(*best));
	random_hex(best->token);
	random_hex(best->csrf);
	snprintf(best->user, sizeof(best->user), "%s", user ? user : "");
	best->role = role;
	if (stamp)
		memcpy(best->stamp, stamp, SILVER_USER_STAMP);
	best->seen_ms = now;
	return best;
}

static void set_cookie(struct page *p, const struct session *s)
{
	snprintf(p->resp->cookie, sizeof(p->resp->cookie),
		 "silver_session=%s; Path=/; HttpOnly; SameSite=Strict", s ? s->token : "");
}

int silver_web_session_for(silver_web *w, const char *user, int role, uint64_t now_ms, char token[65],
			   char csrf[65])
{
	struct session *s;
	uint8_t stamp[SILVER_USER_STAMP];
	int have, rv;
	if (!silver_user_name_ok(user) || !silver_user_role_name(role))
		return SILVER_EINVAL;
	if ((rv = silver_users_stamp(w->u, user, &have, stamp)) != 0)
		return rv;
	if (have != role)
		return SILVER_EINVAL;
	s = session_new(w, user, role, stamp, now_ms);
	memcpy(token, s->token, 65);
	memcpy(csrf, s->csrf, 65);
	return 0;
}

static struct limit *limit_of(silver_web *w, const char *key, int create, uint64_t now)
{
	struct limit *free_slot = NULL, *oldest = &w->lim[0];
	for (int i = 0; i < LIMITS; i++) {
		struct limit *l = &w->lim[i];
		if (l->key[0] && now - l->first_ms > LOGIN_WINDOW_MS && now >= l->locked_until_ms)
			memset(l, 0, sizeof(*l));
		if (l->key[0] && strcmp(l->key, key) == 0)
			return l;
		if (!l->key[0] && !free_slot)
			free_slot = l;
		if (l->first_ms < oldest->first_ms)
			oldest = l;
	}
	if (!create)
		return NULL;
	if (!free_slot) {
		free_slot = oldest;
		memset(free_slot, 0, sizeof(*free_slot));
	}
	snprintf(free_slot->key, sizeof(free_slot->key), "%s", key);
	free_slot->first_ms = now;
	return free_slot;
}

static int limited(silver_web *w, const char *key, uint64_t now)
{
	struct limit *l = limit_of(w, key, 0, now);
	return l && now < l->locked_until_ms;
}

static void limit_fail(silver_web *w, const char *key, unsigned max, uint64_t now)
{
	struct limit *l = limit_of(w, key, 1, now);
	if (++l->fails >= max)
		l->locked_until_ms = now + LOGIN_LOCK_MS;
}

/* ---- records: values and names ------------------------------------------------------------ */

/* The field's shown value as text (tmp), "" when unset. */
static const char *value_text(silver_web *w, const silver_field *f, const silver_value *v, silver_buf *tmp)
{
	if (!v || v->type == SILVER_V_NIL)
		return "";
	silver_cli_value(f, v, tmp);
	return (const char *)tmp->data;
}

static const char *field_text(silver_web *w, const silver_record *r, const silver_field *f, silver_buf *tmp)
{
	const silver_fieldstate *fs = silver_record_field(r, f->key);
	return value_text(w, f, fs ? &fs->heads[fs->winner].value : NULL, tmp);
}

/* What people call a record: a retiree's name and ID number, a group's name,
 * a case's date; written escaped. */
static void record_name(struct page *p, const silver_record *r)
{
	static const char *const keys[] = { "name", "person", "topic", "date", "received_date" };
	const silver_collection *c;
	char coll[SILVER_MAX_NAME + 1];
	silver_buf *t = &p->w->tmp2;
	int shown = 0;

	snprintf(coll, sizeof(coll), "%.*s", (int)r->collection.n, (const char *)r->collection.p);
	c = silver_schema_find(coll);
	for (size_t k = 0; c && k < sizeof(keys) / sizeof(keys[0]) && !shown; k++) {
		const silver_field *f = silver_schema_field(c, keys[k], strlen(keys[k]));
		const char *v = f ? field_text(p->w, r, f, t) : "";
		if (*v) {
			esc(p, v);
			shown = 1;
		}
	}
	if (c && strcmp(coll, "retiree") == 0) {
		const silver_field *f = silver_schema_field(c, "id_number", 9);
		const char *v = f ? field_text(p->w, r, f, t) : "";
		if (*v) {
			out(p, " (");
			esc(p, v);
			out(p, ")");
		}
	}
	if (!shown)
		escn(p, (const char *)r->id.p, r->id.n);
}

/* The name of the record id refers to, read with the second arena. */
static void ref_name(struct page *p, const char *id)
{
	silver_record r;
	silver_arena_reset(p->w->a2);
	if (silver_store_get(p->w->s, id, p->w->a2, &r) == 0)
		record_name(p, &r);
	else
		esc(p, id);
}

static void value_html(struct page *p, const silver_field *f, const silver_value *v)
{
	if (!v || v->type == SILVER_V_NIL) {
		out(p, "<span class=\"muted\">-</span>");
		return;
	}
	if (f && f->type == SILVER_F_ENUM && v->type == SILVER_V_STR) {
		const char *l = silver_schema_enum_label(f, v->s.p, v->s.n);
		if (l) {
			esc(p, _(l));
			return;
		}
	}
	if (f && f->type == SILVER_F_SET && v->type == SILVER_V_LIST) {
		for (uint32_t i = 0; i < v->n; i++) {
			const char *l = silver_schema_enum_label(f, v->items[i].p, v->items[i].n);
			if (i)
				out(p, "、");
			if (l)
				esc(p, _(l));
			else
				escn(p, (const char *)v->items[i].p, v->items[i].n);
		}
		return;
	}
	if (f && f->type == SILVER_F_REF && v->type == SILVER_V_STR) {
		char id[SILVER_MAX_ID + 1];
		snprintf(id, sizeof(id), "%.*s", (int)v->s.n, (const char *)v->s.p);
		out(p, "<a href=\"/record/");
		urlenc(p, id, 1);
		out(p, "\">");
		ref_name(p, id);
		out(p, "</a>");
		return;
	}
	if (v->type == SILVER_V_BOOL) {
		esc(p, v->i ? _("deleted") : _("kept"));
		return;
	}
	esc(p, value_text(p->w, f, v, &p->w->tmp));
}

static const char *coll_label(const silver_collection *c)
{
	return _(c->label);
}

static const char *township_label(const char *code)
{
	const char *l = silver_schema_township_label(code);
	return l ? _(l) : code;
}

/* ---- login, logout ------------------------------------------------------------------------ */

/* <p><label>LABEL</label><input id=name=ID ...></p>: one line of a login or password form. */
static void labelled_input(struct page *p, const char *id, const char *label, const char *type, int maxlength)
{
	char attrs[96];
	snprintf(attrs, sizeof(attrs), "\"%s%s%s maxlength=\"%d\"></p>", type ? " type=\"" : "",
		 type ? type : "", type ? "\"" : "", maxlength);
	out(p, "<p><label for=\"");
	out(p, id);
	out(p, "\">");
	esc(p, label);
	out(p, "</label><input id=\"");
	out(p, id);
	out(p, "\" name=\"");
	out(p, id);
	out(p, attrs);
}

static void login_form(struct page *p, const char *msg)
{
	if (!p->ses || p->ses->role) {
		p->ses = session_new(p->w, NULL, 0, NULL, p->req->now_ms);
		set_cookie(p, p->ses);
	}
	head(p, _("Log in"));
	if (msg) {
		para(p, "err", NULL, msg);
	}
	out(p, "<form method=\"post\" action=\"/login\">");
	csrf_field(p);
	labelled_input(p, "user", _("Account"), NULL, SILVER_USER_MAX);
	labelled_input(p, "password", _("Password"), "password", SILVER_PASSWORD_MAX);
	out(p, "<p><input type=\"submit\" id=\"login\" value=\"");
	esc(p, _("Log in"));
	out(p, "\"></p></form>");
	foot(p);
}

static int csrf_ok(struct page *p)
{
	const char *t = farg(p->req, "csrf");
	return p->ses && t && strlen(t) == 64 && sodium_memcmp(t, p->ses->csrf, 64) == 0;
}

static void do_login(struct page *p)
{
	const char *user = farg(p->req, "user"), *pw = farg(p->req, "password");
	uint8_t stamp[SILVER_USER_STAMP];
	char ukey[80], ikey[80];
	int role = 0, rv;
	uint64_t now = p->req->now_ms;

	if (!csrf_ok(p)) {
		p->resp->status = 403;
		login_form(p, _("The form has expired: please log in again."));
		p->resp->status = 403;
		return;
	}
	snprintf(ukey, sizeof(ukey), "u:%.40s", user ? user : "");
	snprintf(ikey, sizeof(ikey), "a:%.60s", p->req->client ? p->req->client : "?");
	if (limited(p->w, ukey, now) || limited(p->w, ikey, now)) {
		login_form(p, _("Too many failed logins: wait five minutes and try again."));
		p->resp->status = 429;
		return;
	}
	rv = silver_users_check(p->w->u, user ? user : "", pw ? pw : "", &role);
	if (rv == 0)
		rv = silver_users_stamp(p->w->u, user, &role, stamp);
	if (rv != 0) {
		limit_fail(p->w, ukey, LOGIN_MAX_FAILS, now);
		limit_fail(p->w, ikey, LOGIN_MAX_FAILS_ADDR, now);
		login_form(p, rv == SILVER_EDENIED ? _("Wrong account name or password.") :
						     _(silver_strerror(rv)));
		p->resp->status = 403;
		return;
	}
	/* A new session id after login, so a token seen before cannot be used. */
	sodium_memzero(p->ses, sizeof(*p->ses));
	p->ses = session_new(p->w, user, role, stamp, now);
	set_cookie(p, p->ses);
	redirect(p, "/");
}

/* Does the session's account still stand as it was at login?  A session
 * ends when its account is deleted or its password or role changed, by
 * this server or on the command line. */
static int session_current(struct page *p)
{
	uint8_t stamp[SILVER_USER_STAMP];
	int role;
	/* the stamp covers the role: an equal one means the same role */
	return silver_users_stamp(p->w->u, p->ses->user, &role, stamp) == 0 &&
	       sodium_memcmp(stamp, p->ses->stamp, SILVER_USER_STAMP) == 0;
}

/* /password: the account's own password, changed with the current one. */
static void password_form(struct page *p, unsigned status, const char *msg, const char *cls)
{
	head(p, _("Change my password"));
	p->resp->status = status;
	if (msg)
		para(p, cls, "msg", msg);
	out(p, "<form method=\"post\" action=\"/password\">");
	csrf_field(p);
	labelled_input(p, "current", _("Current password"), "password", SILVER_PASSWORD_MAX);
	labelled_input(p, "new", _("New password (at least 8 characters)"), "password", SILVER_PASSWORD_MAX);
	labelled_input(p, "again", _("New password again"), "password", SILVER_PASSWORD_MAX);
	out(p, "<p><input type=\"submit\" id=\"change\" value=\"");
	esc(p, _("Change the password"));
	out(p, "\"></p></form>");
	foot(p);
}

static void do_password(struct page *p)
{
	const char *cur = farg(p->req, "current"), *nw = farg(p->req, "new"), *again = farg(p->req, "again");
	char ukey[80];
	uint8_t stamp[SILVER_USER_STAMP];
	int role = 0, rv;
	uint64_t now = p->req->now_ms;
	size_t n = nw ? strlen(nw) : 0;

	snprintf(ukey, sizeof(ukey), "u:%.40s", p->ses->user);
	if (limited(p->w, ukey, now)) {
		password_form(p, 429, _("Too many wrong passwords: wait five minutes and try again."), "err");
		return;
	}
	if (silver_users_check(p->w->u, p->ses->user, cur ? cur : "", &role) != 0) {
		limit_fail(p->w, ukey, LOGIN_MAX_FAILS, now);
		password_form(p, 403, _("The current password is wrong; the password is unchanged."), "err");
		return;
	}
	if (n < SILVER_PASSWORD_MIN || n > SILVER_PASSWORD_MAX) {
		password_form(p, 400,
			      _("The new password must be 8 to 256 characters; the password is unchanged."),
			      "err");
		return;
	}
	if (!again || strcmp(nw, again) != 0) {
		password_form(p, 400, _("The two new passwords differ; the password is unchanged."), "err");
		return;
	}
	rv = silver_users_add(p->w->u, p->ses->user, role, nw, 1);
	if (rv == 0)
		rv = silver_users_stamp(p->w->u, p->ses->user, &role, stamp);
	if (rv != 0) {
		error_page(p, 500, _(silver_strerror(rv)));
		return;
	}
	/* This session goes on under a new id; every other one of the account
	 * ends at its next request (its stamp is the old one). */
	{
		char user[SILVER_USER_MAX + 1];
		snprintf(user, sizeof(user), "%s", p->ses->user);
		sodium_memzero(p->ses, sizeof(*p->ses));
		p->ses = session_new(p->w, user, role, stamp, now);
		set_cookie(p, p->ses);
	}
	password_form(
		p, 200,
		_("The password has been changed. Other browsers logged in to this account are logged out."),
		"ok");
}

/* ---- lists -------------------------------------------------------------------------------- */

struct listing {
	struct page *p;
	const silver_collection *c;
	const char *q;
	const char *fkey[SILVER_MAX_WRITES];
	silver_value fval[SILVER_MAX_WRITES];
	uint32_t nf;
	long skip, shown;
	int more;
	/* keyset pages (docs/WEB.md, "Lists"): the ids shown first and last; a
	 * page before an id collects the ids of up to SILVER_WEB_PAGE + 1
	 * matching records (ring), then shows them in order */
	char first[SILVER_MAX_ID + 1], last[SILVER_MAX_ID + 1];
	const char *before;
	int backward; /* the walk runs backward from before (plain lists) */
	char (*ring)[SILVER_MAX_ID + 1];
	size_t nring;
	const silver_field *cols[6];
	int ncols;
	const char *fq; /* q folded (silver_search_fold) */
	size_t nfq;
};

/* The rule of the search index (node/search.c), for the full scan. */
static int matches(struct listing *l, const silver_record *r)
{
	for (uint32_t i = 0; i < l->nf; i++) {
		const silver_fieldstate *fs = silver_record_field(r, l->fkey[i]);
		const silver_value *v = fs ? &fs->heads[fs->winner].value : NULL;
		if (!v || !silver_value_equal(v, &l->fval[i]))
			return 0;
	}
	return silver_search_match(l->c, r, l->fq, l->nfq);
}

/* Records of collection that match q, from the search index, brought up to
 * date for at most SEARCH_BUDGET_MS first; while it is still behind (a
 * large sync just arrived), or on a store opened read-only, every record is
 * read instead and *scanned says so.  fn sees the records in key order
 * either way. */
static int search_records(struct page *p, const char *collection, const silver_find *q, silver_record_fn fn,
			  void *ctx, int *scanned)
{
	/* a catch-up that fails (a full disk) leaves the index behind, and
	 * find then says so: the page reads every record */
	int rv;
	silver_store_search_update(p->w->s, SEARCH_BUDGET_MS, NULL, NULL);
	rv = silver_store_find(p->w->s, collection, q, fn, ctx);
	if (rv != SILVER_EINDEX)
		return rv;
	*scanned = 1;
	return silver_store_list_from(p->w->s, collection, q->after, 0, fn, ctx);
}

static void list_row_out(struct listing *l, const silver_record *r)
{
	struct page *p = l->p;
	char id[SILVER_MAX_ID + 1];
	snprintf(id, sizeof(id), "%.*s", (int)r->id.n, (const char *)r->id.p);
	if (!l->shown++)
		memcpy(l->first, id, sizeof(id));
	memcpy(l->last, id, sizeof(id));
	out(p, "<tr>");
	for (int i = 0; i < l->ncols; i++) {
		const silver_fieldstate *fs = silver_record_field(r, l->cols[i]->key);
		out(p, fs && fs->conflict ? "<td class=\"conflict\">" : "<td>");
		if (i == 0) {
			out(p, "<a href=\"/record/");
			urlenc(p, id, 1);
			out(p, "\">");
		}
		if (i == 0 && (!fs || fs->heads[fs->winner].value.type == SILVER_V_NIL))
			esc(p, id);
		else
			value_html(p, l->cols[i], fs ? &fs->heads[fs->winner].value : NULL);
		if (i == 0)
			out(p, "</a>");
		out(p, "</td>");
	}
	out(p, "</tr>\n");
}

/* A page forward: after the skipped rows (page=N without a key), the next
 * SILVER_WEB_PAGE matching records. */
static int list_row(const silver_record *r, void *vctx)
{
	struct listing *l = vctx;
	if (r->deleted || !matches(l, r))
		return 0;
	if (l->skip > 0) {
		l->skip--;
		return 0;
	}
	if (l->shown == SILVER_WEB_PAGE) {
		l->more = 1;
		return 1;
	}
	list_row_out(l, r);
	return 0;
}

/* A page backward: the last SILVER_WEB_PAGE matching records before
 * l->before, and whether one more is there (l->more).  Plain lists walk
 * backward from before (the ring fills last first); searches walk forward
 * from the start up to before (the ring keeps the newest). */
static int list_collect(const silver_record *r, void *vctx)
{
	struct listing *l = vctx;
	const size_t cap = SILVER_WEB_PAGE + 1;
	if (!l->backward) {
		size_t bn = strlen(l->before);
		int c = memcmp(r->id.p, l->before, r->id.n < bn ? r->id.n : bn);
		if (c > 0 || (c == 0 && r->id.n >= bn))
			return 1; /* reached before */
	}
	if (r->deleted || !matches(l, r))
		return 0;
	if (r->id.n > SILVER_MAX_ID)
		return SILVER_ECORRUPT;
	snprintf(l->ring[l->nring % cap], SILVER_MAX_ID + 1, "%.*s", (int)r->id.n, (const char *)r->id.p);
	l->nring++;
	return l->backward && l->nring == cap ? 1 : 0;
}

/* Show the collected page in id order. */
static int list_collected(struct listing *l)
{
	const size_t cap = SILVER_WEB_PAGE + 1;
	size_t n = l->nring < SILVER_WEB_PAGE ? l->nring : SILVER_WEB_PAGE;
	silver_arena *a = silver_arena_new();
	int rv = 0;
	if (!a)
		return SILVER_ENOMEM;
	l->more = l->nring > SILVER_WEB_PAGE;
	for (size_t k = 0; k < n && rv == 0; k++) {
		/* backward: slots n-1 .. 0 (the ring did not wrap: it stopped at
		 * cap); forward: the newest n, oldest first */
		size_t slot = l->backward ? n - 1 - k : (l->nring - n + k) % cap;
		silver_record r;
		silver_arena_reset(a);
		if ((rv = silver_store_get(l->p->w->s, l->ring[slot], a, &r)) == 0)
			list_row_out(l, &r);
	}
	silver_arena_destroy(&a);
	return rv;
}

static void page_collections(struct page *p)
{
	uint32_t n;
	const silver_collection *cs = silver_schema_collections(&n);
	head(p, _("All collections"));
	out(p, "<ul>");
	for (uint32_t i = 0; i < n; i++) {
		out(p, "<li><a href=\"/records/");
		esc(p, cs[i].name);
		out(p, "\">");
		esc(p, coll_label(&cs[i]));
		out(p, "</a></li>");
	}
	out(p, "</ul>");
	foot(p);
}

static void page_list(struct page *p, const silver_collection *c)
{
	struct listing l;
	const char *pg = qarg(p->req, "page"), *after = qarg(p->req, "after"),
		   *before = qarg(p->req, "before");
	long page = pg ? strtol(pg, NULL, 10) : 1;
	silver_buf fq;
	int rv, scanned = 0;

	memset(&l, 0, sizeof(l));
	l.p = p;
	l.c = c;
	l.q = qarg(p->req, "q");
	if (page < 1 || page > 1000000)
		page = 1;
	if (after && !*after)
		after = NULL;
	if (before && !*before)
		before = NULL;
	if ((after && strlen(after) > SILVER_MAX_ID) || (before && strlen(before) > SILVER_MAX_ID) ||
	    (after && before)) {
		error_page(
			p, 400,
			_("A page's position in the list is not valid: open the list again from its first page."));
		return;
	}
	/* page=N alone (an old link, or typed) skips to the page: its cost
	 * grows with N; the links below name the id to go on from instead */
	if (!after && !before)
		l.skip = (page - 1) * SILVER_WEB_PAGE;
	l.before = before;
	silver_arena_reset(p->w->a);
	/* Filters: field=value on enum fields, typed as the CLI does. */
	for (uint32_t i = 0; i < c->nfields && l.nf < SILVER_MAX_WRITES; i++) {
		const silver_field *f = &c->fields[i];
		const char *v = qarg(p->req, f->key);
		char why[128];
		if (!v || !*v || (f->type != SILVER_F_ENUM && f->type != SILVER_F_REF))
			continue;
		if (silver_schema_parse(f, v, p->w->a, &l.fval[l.nf], why, sizeof(why)) != 0) {
			error_page(p, 400, _("A filter's value is not one of the field's choices."));
			return;
		}
		l.fkey[l.nf++] = f->key;
	}
	silver_buf_init(&fq);
	if (silver_search_fold(l.q ? l.q : "", &fq) != 0) {
		silver_buf_release(&fq);
		error_page(p, 400, _("The search text is not valid UTF-8 text."));
		return;
	}
	l.fq = (const char *)fq.data;
	l.nfq = fq.len;
	for (uint32_t i = 0; i < c->nfields && l.ncols < 6; i++)
		if (c->fields[i].type != SILVER_F_TEXT || l.ncols == 0 || i < 4)
			l.cols[l.ncols++] = &c->fields[i];

	head(p, coll_label(c));
	out(p, "<form method=\"get\" action=\"/records/");
	esc(p, c->name);
	out(p, "\"><input name=\"q\" value=\"");
	esc(p, l.q);
	out(p, "\"> ");
	for (uint32_t i = 0; i < c->nfields; i++) {
		const silver_field *f = &c->fields[i];
		const char *cur = qarg(p->req, f->key);
		if (f->type != SILVER_F_ENUM)
			continue;
		out(p, "<select name=\"");
		esc(p, f->key);
		out(p, "\"><option value=\"\">");
		esc(p, _(f->label));
		out(p, ": ");
		esc(p, _("all"));
		out(p, "</option>");
		for (uint32_t k = 0; k < f->nvalues; k++) {
			out(p, "<option value=\"");
			esc(p, f->values[k].key);
			out(p, cur && strcmp(cur, f->values[k].key) == 0 ? "\" selected>" : "\">");
			esc(p, _(f->values[k].label));
			out(p, "</option>");
		}
		out(p, "</select> ");
	}
	for (uint32_t i = 0; i < c->nfields; i++) { /* keep a REF filter (a retiree's visits) */
		const char *cur = qarg(p->req, c->fields[i].key);
		if (c->fields[i].type == SILVER_F_REF && cur && *cur) {
			out(p, "<input type=\"hidden\" name=\"");
			esc(p, c->fields[i].key);
			out(p, "\" value=\"");
			esc(p, cur);
			out(p, "\">");
		}
	}
	out(p, "<input type=\"submit\" value=\"");
	esc(p, _("Search"));
	out(p, "\"></form><p><a id=\"new\" href=\"/new/");
	esc(p, c->name);
	out(p, "\">");
	esc(p, _("New record"));
	out(p, ": ");
	esc(p, coll_label(c));
	out(p, "</a></p>\n<table><tr>");
	for (int i = 0; i < l.ncols; i++) {
		out(p, "<th>");
		esc(p, _(l.cols[i]->label));
		out(p, "</th>");
	}
	out(p, "</tr>\n");
	if (before && !(l.ring = calloc(SILVER_WEB_PAGE + 1, sizeof(*l.ring)))) {
		silver_buf_release(&fq);
		error_page(p, 500, _(silver_strerror(SILVER_ENOMEM)));
		return;
	}
	if (l.nfq || l.nf) {
		silver_find fd = { l.q, l.fkey, l.fval, l.nf, before ? NULL : after };
		rv = search_records(p, c->name, &fd, before ? list_collect : list_row, &l, &scanned);
	} else if (before) {
		l.backward = 1;
		rv = silver_store_list_from(p->w->s, c->name, before, 1, list_collect, &l);
	} else {
		rv = silver_store_list_from(p->w->s, c->name, after, 0, list_row, &l);
	}
	if (before && rv >= 0)
		rv = list_collected(&l);
	if (before && !l.more)
		page = 1; /* nothing before: the first page, whatever the link said */
	free(l.ring);
	silver_buf_release(&fq);
	if (rv < 0) {
		error_page(p, 500, _(silver_strerror(rv)));
		return;
	}
	out(p, "</table>");
	if (!l.shown) {
		para(p, "muted", NULL, _("No records."));
	}
	if (scanned)
		para(p, "muted", "index-note",
		     _("The search index is still being built: this search read every record, which takes longer."));
	out(p, "<p>");
	for (int dir = -1; dir <= 1; dir += 2) {
		long to = page + dir;
		/* backward: more before (l.more), and before itself after;
		 * forward: after (or skipped rows) before, more after (l.more) */
		int there = dir < 0 ? (before ? l.more : after || page > 1) : (before ? 1 : l.more);
		if (!there || to < 1 || !l.shown)
			continue;
		out(p, "<a href=\"/records/");
		esc(p, c->name);
		outf(p, "?page=%ld&amp;%s=", to, dir < 0 ? "before" : "after");
		urlenc(p, dir < 0 ? l.first : l.last, 0);
		for (size_t i = 0; i < p->req->nquery; i++) {
			if (strcmp(p->req->query[i].key, "page") == 0 ||
			    strcmp(p->req->query[i].key, "after") == 0 ||
			    strcmp(p->req->query[i].key, "before") == 0)
				continue;
			out(p, "&amp;");
			urlenc(p, p->req->query[i].key, 0);
			out(p, "=");
			urlenc(p, p->req->query[i].val, 0);
		}
		out(p, dir < 0 ? "\" id=\"prev\">" : "\" id=\"next\">");
		esc(p, dir < 0 ? _("Previous page") : _("Next page"));
		out(p, "</a> ");
	}
	outf(p, " %s %ld</p>", _("Page"), page);
	foot(p);
}

/* ---- forms -------------------------------------------------------------------------------- */

struct refpick {
	struct page *p;
	const char *fq; /* the search, folded (silver_search_fold); "" for none */
	size_t nfq;
	const char *cur;
	int n;
};

static int ref_option(const silver_record *r, void *vctx)
{
	struct refpick *k = vctx;
	struct page *p = k->p;
	char id[SILVER_MAX_ID + 1];
	if (r->deleted)
		return 0;
	snprintf(id, sizeof(id), "%.*s", (int)r->id.n, (const char *)r->id.p);
	if (k->cur && strcmp(k->cur, id) == 0)
		return 0; /* already listed first */
	/* by name or ID number, as the search index compares text */
	if (k->nfq && !silver_search_field_match(r, "name", k->fq, k->nfq) &&
	    !silver_search_field_match(r, "id_number", k->fq, k->nfq))
		return 0;
	if (k->n++ >= REF_CHOICES)
		return 1;
	out(p, "<option value=\"");
	esc(p, id);
	out(p, "\">");
	record_name(p, r);
	out(p, "</option>");
	return 0;
}

/* A REF field: a list of records to pick by name; a search narrows it. */
static void ref_input(struct page *p, const silver_field *f, const char *cur)
{
	struct refpick k = { p, "", 0, cur, 0 };
	char qkey[80];
	const char *q;
	silver_buf fq;
	int scanned = 0, bad;
	snprintf(qkey, sizeof(qkey), "%s_q", f->key);
	q = qarg(p->req, qkey);
	silver_buf_init(&fq);
	bad = silver_search_fold(q ? q : "", &fq) != 0;
	if (!bad) {
		k.fq = (const char *)fq.data;
		k.nfq = fq.len;
	}
	out(p, "<select id=\"");
	esc(p, f->key);
	out(p, "\" name=\"");
	esc(p, f->key);
	out(p, "\">");
	if (cur && *cur) {
		out(p, "<option value=\"");
		esc(p, cur);
		out(p, "\" selected>");
		ref_name(p, cur);
		out(p, "</option>");
	}
	if (!f->required || !cur || !*cur) {
		out(p, "<option value=\"\">");
		esc(p, _("(choose)"));
		out(p, "</option>");
	}
	int rv = 0;
	/* a search reads the index (names and ID numbers are searched text) */
	const char *one[2] = { f->ref, NULL };
	for (const char *const *r = f->ref ? one : f->refs; !bad && r && *r && rv >= 0 && rv != 1; r++) {
		silver_find fd = { q, NULL, NULL, 0, NULL };
		rv = k.nfq ? search_records(p, *r, &fd, ref_option, &k, &scanned)
			   : silver_store_list(p->w->s, *r, ref_option, &k);
	}
	silver_buf_release(&fq);
	out(p, "</select>");
	if (bad) {
		out(p, " <span class=\"err\">");
		esc(p, _("The search text is not valid UTF-8 text."));
		out(p, "</span>");
	}
	if (rv < 0) {
		out(p, " <span class=\"err\">");
		esc(p, _(silver_strerror(rv)));
		out(p, "</span>");
	}
	if (k.n > REF_CHOICES) {
		out(p, " <span class=\"muted\">");
		esc(p, _("more than 100: search by name or ID number above"));
		out(p, "</span>");
	}
	if (scanned) {
		out(p, " <span class=\"muted\">");
		esc(p, _("the search index is still being built"));
		out(p, "</span>");
	}
}

/* The form of collection c; vals (may be NULL) are the values to show, as
 * typed text, indexed like c->fields.  action is "/new/COLL" or "/edit/ID". */
static void record_form(struct page *p, const silver_collection *c, const char *const *vals,
			const char *action, const char *msg)
{
	int has_ref = 0;
	for (uint32_t i = 0; i < c->nfields; i++)
		if (c->fields[i].type == SILVER_F_REF)
			has_ref = 1;
	if (msg) {
		para(p, "err", "error", msg);
	}
	if (has_ref && strncmp(action, "/new/", 5) == 0) {
		/* Searching a retiree by name or ID number: a GET form of its own. */
		for (uint32_t i = 0; i < c->nfields; i++) {
			const silver_field *f = &c->fields[i];
			char qkey[80];
			const char *qv;
			if (f->type != SILVER_F_REF)
				continue;
			snprintf(qkey, sizeof(qkey), "%s_q", f->key);
			qv = qarg(p->req, qkey);
			out(p, "<form method=\"get\" action=\"");
			esc(p, action);
			out(p, "\"><label>");
			esc(p, _("Find"));
			out(p, ": ");
			esc(p, _(f->label));
			out(p, "</label><input name=\"");
			esc(p, qkey);
			out(p, "\" id=\"");
			esc(p, qkey);
			out(p, "\" value=\"");
			esc(p, qv);
			out(p, "\"> <input type=\"submit\" value=\"");
			esc(p, _("Search by name or ID number"));
			out(p, "\"></form>");
		}
	}
	out(p, "<form method=\"post\" action=\"");
	esc(p, action);
	out(p, "\">");
	csrf_field(p);
	for (uint32_t i = 0; i < c->nfields; i++) {
		const silver_field *f = &c->fields[i];
		const char *v = vals && vals[i] ? vals[i] : "";
		out(p, "<p><label for=\"");
		esc(p, f->key);
		out(p, "\">");
		esc(p, _(f->label));
		if (f->required)
			out(p, " *");
		out(p, "</label>");
		switch (f->type) {
		case SILVER_F_ENUM:
			out(p, "<select id=\"");
			esc(p, f->key);
			out(p, "\" name=\"");
			esc(p, f->key);
			out(p, "\"><option value=\"\">");
			esc(p, _("(choose)"));
			out(p, "</option>");
			for (uint32_t k = 0; k < f->nvalues; k++) {
				out(p, "<option value=\"");
				esc(p, f->values[k].key);
				out(p, strcmp(v, f->values[k].key) == 0 ? "\" selected>" : "\">");
				esc(p, _(f->values[k].label));
				out(p, "</option>");
			}
			out(p, "</select>");
			break;
		case SILVER_F_SET:
			for (uint32_t k = 0; k < f->nvalues; k++) {
				size_t kl = strlen(f->values[k].key);
				const char *hit = v;
				int on = 0;
				while ((hit = strstr(hit, f->values[k].key))) {
					if ((hit == v || hit[-1] == ',') && (hit[kl] == 0 || hit[kl] == ','))
						on = 1;
					hit += kl;
				}
				out(p, "<input type=\"checkbox\" name=\"");
				esc(p, f->key);
				out(p, "\" id=\"");
				esc(p, f->key);
				out(p, "_");
				esc(p, f->values[k].key);
				out(p, "\" value=\"");
				esc(p, f->values[k].key);
				out(p, on ? "\" checked>" : "\">");
				esc(p, _(f->values[k].label));
				out(p, " ");
			}
			break;
		case SILVER_F_REF:
			ref_input(p, f, *v ? v : qarg(p->req, f->key));
			break;
		default:
			out(p, "<input id=\"");
			esc(p, f->key);
			out(p, "\" name=\"");
			esc(p, f->key);
			out(p, "\" value=\"");
			esc(p, v);
			out(p, "\"");
			if (f->type == SILVER_F_DATE)
				out(p, " placeholder=\"YYYY-MM-DD\" size=\"12\"");
			else if (f->type == SILVER_F_MONEY)
				out(p, " placeholder=\"0.00\" size=\"12\"");
			else
				out(p, " size=\"40\"");
			out(p, ">");
		}
		out(p, "</p>\n");
	}
	out(p, "<p><input type=\"submit\" id=\"save\" value=\"");
	esc(p, _("Save"));
	out(p, "\"></p></form>");
}

/* The form's fields as typed text, indexed like c->fields: repeated keys
 * (the boxes of a set) joined by commas.  Strings in arena a. */
static int form_values(struct page *p, const silver_collection *c, const char **vals)
{
	for (uint32_t i = 0; i < c->nfields; i++) {
		silver_buf b;
		int any = 0;
		silver_buf_init(&b);
		for (size_t k = 0; k < p->req->nform; k++) {
			if (strcmp(p->req->form[k].key, c->fields[i].key) != 0)
				continue;
			if (any && silver_buf_append(&b, ",", 1) != 0)
				goto nomem;
			if (silver_buf_append(&b, p->req->form[k].val, strlen(p->req->form[k].val)) != 0)
				goto nomem;
			any = 1;
		}
		vals[i] = NULL;
		if (any) {
			char *s = silver_arena_alloc(p->w->a, b.len + 1);
			if (!s)
				goto nomem;
			memcpy(s, b.data, b.len);
			s[b.len] = 0;
			vals[i] = s;
		}
		silver_buf_release(&b);
		continue;
nomem:
		silver_buf_release(&b);
		return SILVER_ENOMEM;
	}
	return 0;
}

/* A write made in the workbench. */
struct webwrite {
	int kind; /* 0 add, 1 set, 2 resolve, 3 delete */
	const char *collection, *id, *field;
	uint32_t take;
	silver_kv kv[SILVER_MAX_WRITES];
	uint32_t n;
	char newid[SILVER_MAX_ID];
	silver_why why;
};

static int do_webwrite(silver_wtxn *t, void *vctx)
{
	struct webwrite *ww = vctx;
	switch (ww->kind) {
	case 0:
		return silver_wtxn_add(t, ww->collection, ww->kv, ww->n, ww->newid, &ww->why);
	case 1:
		return silver_wtxn_set(t, ww->id, ww->kv, ww->n, &ww->why);
	case 2:
		return silver_wtxn_resolve(t, ww->id, ww->field, NULL, ww->take, &ww->why);
	default:
		return silver_wtxn_delete(t, ww->id, &ww->why);
	}
}

/* The entry is signed with the session's account as its operator, so the
 * name travels with it to the hub and every other node. */
static int web_write(struct page *p, struct webwrite *ww)
{
	memset(&ww->why, 0, sizeof(ww->why));
	return silver_store_write_as(p->w->s, p->ses->user, do_webwrite, ww);
}

/* The HTTP status of a refused change: the user's input, a right the
 * node lacks (another township's record, a restored node), or ours. */
static int status_of(int rv)
{
	switch (rv) {
	case SILVER_ESCHEMA:
	case SILVER_EINVAL:
	case SILVER_ENOTFOUND:
	case SILVER_ECONFLICT:
	case SILVER_EEXIST:
		return 400;
	case SILVER_EDENIED:
	case SILVER_ECATCHUP:
		return 403;
	default:
		return 500;
	}
}

/* One sentence for a refused change, in the user's language. */
static void why_text(int rv, const silver_why *why, const silver_collection *c, char *outb, size_t n)
{
	char rbuf[300], reason[600];
	const silver_field *f = c && why->field[0] ? silver_schema_field(c, why->field, strlen(why->field)) :
						     NULL;
	if (why->reason[0] && why->detail[0])
		snprintf(reason, sizeof(reason), "%s (%s)",
			 silver_cli_reason(why->reason, rbuf, sizeof(rbuf)), why->detail);
	else if (why->reason[0])
		snprintf(reason, sizeof(reason), "%s", silver_cli_reason(why->reason, rbuf, sizeof(rbuf)));
	else
		snprintf(reason, sizeof(reason), "%s", _(silver_strerror(rv)));
	if (f)
		snprintf(outb, n, "%s: %s", _(f->label), reason);
	else if (why->field[0])
		snprintf(outb, n, "%s: %s", why->field, reason);
	else
		snprintf(outb, n, "%s", reason);
}

static void page_new(struct page *p, const silver_collection *c, int post)
{
	const char **vals = NULL;
	char msg[700];
	struct webwrite ww;
	char where[SILVER_MAX_ID + 16];
	int rv;

	silver_arena_reset(p->w->a);
	if (!(vals = silver_arena_alloc(p->w->a, sizeof(*vals) * (c->nfields + 1)))) {
		error_page(p, 500, _(silver_strerror(SILVER_ENOMEM)));
		return;
	}
	memset(vals, 0, sizeof(*vals) * (c->nfields + 1));
	if (!post) {
		char title[200];
		snprintf(title, sizeof(title), "%s: %s", _("New record"), coll_label(c));
		head(p, title);
		record_form(p, c, NULL, p->req->path, NULL);
		foot(p);
		return;
	}
	if (form_values(p, c, vals) != 0) {
		error_page(p, 500, _(silver_strerror(SILVER_ENOMEM)));
		return;
	}
	memset(&ww, 0, sizeof(ww));
	ww.kind = 0;
	ww.collection = c->name;
	for (uint32_t i = 0; i < c->nfields; i++) {
		if (!vals[i] || !*vals[i])
			continue;
		ww.kv[ww.n].key = c->fields[i].key;
		ww.kv[ww.n].text = vals[i];
		ww.n++;
	}
	rv = web_write(p, &ww);
	if (rv != 0) {
		char title[200];
		why_text(rv, &ww.why, c, msg, sizeof(msg));
		snprintf(title, sizeof(title), "%s: %s", _("New record"), coll_label(c));
		head(p, title);
		p->resp->status = status_of(rv);
		record_form(p, c, vals, p->req->path, msg);
		foot(p);
		return;
	}
	snprintf(where, sizeof(where), "/record/%s", ww.newid);
	redirect(p, where);
}

static int get_record(struct page *p, const char *id, silver_record *r, const silver_collection **c)
{
	char coll[SILVER_MAX_NAME + 1];
	int rv;
	silver_arena_reset(p->w->a);
	if ((rv = silver_store_get(p->w->s, id, p->w->a, r)) != 0) {
		error_page(p, rv == SILVER_ENOTFOUND || rv == SILVER_EINVAL ? 404 : 500,
			   rv == SILVER_ENOTFOUND || rv == SILVER_EINVAL ? _("No such record.") :
									   _(silver_strerror(rv)));
		return rv;
	}
	snprintf(coll, sizeof(coll), "%.*s", (int)r->collection.n, (const char *)r->collection.p);
	if (!(*c = silver_schema_find(coll))) {
		error_page(p, 500, _(silver_strerror(SILVER_ECORRUPT)));
		return SILVER_ECORRUPT;
	}
	return 0;
}

static void page_edit(struct page *p, const char *id, int post)
{
	silver_record r;
	const silver_collection *c;
	const char **cur, **vals;
	struct webwrite ww;
	char msg[700], title[200], where[SILVER_MAX_ID + 16], action[SILVER_MAX_ID + 16];
	int rv;

	if (get_record(p, id, &r, &c) != 0)
		return;
	cur = silver_arena_alloc(p->w->a, sizeof(*cur) * c->nfields);
	vals = silver_arena_alloc(p->w->a, sizeof(*vals) * c->nfields);
	if (!cur || !vals) {
		error_page(p, 500, _(silver_strerror(SILVER_ENOMEM)));
		return;
	}
	for (uint32_t i = 0; i < c->nfields; i++) {
		const char *t = field_text(p->w, &r, &c->fields[i], &p->w->tmp);
		char *s = silver_arena_alloc(p->w->a, strlen(t) + 1);
		if (!s) {
			error_page(p, 500, _(silver_strerror(SILVER_ENOMEM)));
			return;
		}
		strcpy(s, t);
		cur[i] = s;
	}
	snprintf(action, sizeof(action), "/edit/%s", id);
	snprintf(title, sizeof(title), "%s: %s", _("Edit"), coll_label(c));
	if (!post) {
		head(p, title);
		record_form(p, c, cur, action, NULL);
		foot(p);
		return;
	}
	if (form_values(p, c, vals) != 0) {
		error_page(p, 500, _(silver_strerror(SILVER_ENOMEM)));
		return;
	}
	memset(&ww, 0, sizeof(ww));
	ww.kind = 1;
	ww.id = id;
	for (uint32_t i = 0; i < c->nfields; i++) {
		const char *v = vals[i] ? vals[i] : "";
		if (strcmp(v, cur[i]) == 0)
			continue; /* unchanged fields are not written: no needless conflicts */
		ww.kv[ww.n].key = c->fields[i].key;
		ww.kv[ww.n].text = v;
		ww.n++;
	}
	if (ww.n) {
		rv = web_write(p, &ww);
		if (rv != 0) {
			why_text(rv, &ww.why, c, msg, sizeof(msg));
			head(p, title);
			p->resp->status = status_of(rv);
			record_form(p, c, vals, action, msg);
			foot(p);
			return;
		}
	}
	snprintf(where, sizeof(where), "/record/%s", id);
	redirect(p, where);
}

/* ---- a record and its history --------------------------------------------------------------- */

struct histctx {
	struct page *p;
	const silver_collection *c;
};

/* Office and operator: the operator the entry carries; for an entry
 * written before entries carried one, the name this node's old operator
 * journal kept, if any; else the first bytes of the signing key. */
static void who_html(struct page *p, const silver_entry *e)
{
	char tw[SILVER_MAX_NAME + 1], op[SILVER_USER_MAX + 1];
	uint8_t tag[SILVER_FEEDTAG_BYTES];
	snprintf(tw, sizeof(tw), "%.*s", (int)e->township.n, (const char *)e->township.p);
	esc(p, township_label(tw));
	silver_feedtag(e->author, e->township.p, e->township.n, tag);
	if (e->op.operator_name.n) {
		out(p, " · ");
		escn(p, (const char *)e->op.operator_name.p, e->op.operator_name.n);
	} else if (silver_users_operator(p->w->u, tag, e->seq, op) == 0) {
		out(p, " · ");
		esc(p, op);
	} else {
		char hex[2 * SILVER_KEY_BYTES + 1];
		silver_hex(e->author, 4, hex);
		out(p, " · <span class=\"muted\">");
		esc(p, _("key"));
		out(p, " ");
		esc(p, hex);
		out(p, "</span>");
	}
}

static int hist_row(const silver_entry *e, void *vctx)
{
	struct histctx *h = vctx;
	struct page *p = h->p;
	char when[32];
	silver_cli_time(e->hlc, when);
	out(p, "<tr><td>");
	esc(p, when);
	out(p, "</td><td>");
	who_html(p, e);
	out(p, "</td><td>");
	for (uint32_t i = 0; i < e->op.nwrites; i++) {
		const silver_write *wr = &e->op.writes[i];
		const silver_field *f = silver_schema_field(h->c, (const char *)wr->field.p, wr->field.n);
		int is_del = wr->field.n == 4 && memcmp(wr->field.p, "_del", 4) == 0;
		if (is_del && !wr->value.i) {
			if (!wr->nbases) {
				esc(p, _("created"));
				out(p, "<br>");
			}
			continue;
		}
		esc(p, is_del ? _("record") : f ? _(f->label) : "?");
		out(p, ": ");
		for (uint32_t j = 0; j < wr->nbases; j++) {
			silver_entry be;
			silver_arena_reset(p->w->a2);
			if (silver_store_entry(p->w->s, &wr->bases[j], p->w->a2, &be) != 0)
				continue;
			for (uint32_t k = 0; k < be.op.nwrites; k++) {
				if (be.op.writes[k].field.n == wr->field.n &&
				    memcmp(be.op.writes[k].field.p, wr->field.p, wr->field.n) == 0) {
					if (j)
						out(p, " | ");
					out(p, "<del>");
					if (f && f->type == SILVER_F_REF)
						esc(p,
						    value_text(p->w, f, &be.op.writes[k].value, &p->w->tmp));
					else
						value_html(p, f, &be.op.writes[k].value);
					out(p, "</del>");
				}
			}
		}
		if (wr->nbases)
			out(p, " → ");
		value_html(p, f, &wr->value);
		out(p, "<br>");
	}
	out(p, "</td></tr>\n");
	return 0;
}

static void page_record(struct page *p, const char *id)
{
	silver_record r;
	const silver_collection *c;
	struct histctx h;
	char title[SILVER_MAX_STR + 200];
	int rv;

	if (get_record(p, id, &r, &c) != 0)
		return;
	snprintf(title, sizeof(title), "%s", coll_label(c));
	{
		static const char *const keys[] = { "name", "person", "topic", "date", "received_date" };
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const silver_field *f = silver_schema_field(c, keys[k], strlen(keys[k]));
			const char *v = f ? field_text(p->w, &r, f, &p->w->tmp2) : "";
			if (*v) {
				snprintf(title, sizeof(title), "%s: %s", coll_label(c), v);
				break;
			}
		}
	}
	head(p, title);
	if (r.deleted) {
		para(p, "err", NULL, _("This record is deleted."));
	}
	out(p, "<table id=\"record\">");
	for (uint32_t i = 0; i < c->nfields; i++) {
		const silver_field *f = &c->fields[i];
		const silver_fieldstate *fs = silver_record_field(&r, f->key);
		out(p, "<tr><th>");
		esc(p, _(f->label));
		out(p, "</th>");
		out(p, fs && fs->conflict ? "<td class=\"conflict\">" : "<td>");
		out(p, "<span id=\"f_");
		esc(p, f->key);
		out(p, "\">");
		value_html(p, f, fs ? &fs->heads[fs->winner].value : NULL);
		out(p, "</span>");
		if (fs && fs->conflict) {
			out(p, " <a href=\"/conflicts\">");
			esc(p, _("conflict: to be settled"));
			out(p, "</a>");
		}
		out(p, "</td></tr>\n");
	}
	out(p, "<tr><th>");
	esc(p, _("Record id"));
	out(p, "</th><td class=\"muted\">");
	esc(p, id);
	out(p, "</td></tr></table>\n<p><a id=\"edit\" href=\"/edit/");
	urlenc(p, id, 1);
	out(p, "\">");
	esc(p, _("Edit"));
	out(p, "</a>");
	if (strcmp(c->name, "retiree") == 0) {
		static const char *const kids[] = { "visit", "delivery", "aid", "service" };
		for (size_t k = 0; k < 4; k++) {
			const silver_collection *kc = silver_schema_find(kids[k]);
			out(p, " | <a id=\"new_");
			esc(p, kids[k]);
			out(p, "\" href=\"/new/");
			esc(p, kids[k]);
			out(p, "?retiree=");
			urlenc(p, id, 0);
			out(p, "\">");
			esc(p, _("New record"));
			out(p, ": ");
			esc(p, coll_label(kc));
			out(p, "</a> (<a href=\"/records/");
			esc(p, kids[k]);
			out(p, "?retiree=");
			urlenc(p, id, 0);
			out(p, "\">");
			esc(p, _("list"));
			out(p, "</a>)");
		}
	}
	out(p, "</p><h2>");
	esc(p, _("History"));
	out(p, "</h2>");
	table_head(p, "history", _("Time"), _("Office and operator"), _("Changes"), NULL);
	h.p = p;
	h.c = c;
	rv = silver_store_history(p->w->s, id, hist_row, &h);
	out(p, "</table>");
	if (rv != 0) {
		para(p, "err", NULL, _(silver_strerror(rv)));
	}
	foot(p);
}

/* ---- conflicts ---------------------------------------------------------------------------- */

struct confctx {
	struct page *p;
	unsigned long n;
	int may_resolve;
};

static int conf_row(const char *id, const char *field, void *vctx)
{
	struct confctx *cc = vctx;
	struct page *p = cc->p;
	silver_record r;
	const silver_fieldstate *fs;
	const silver_field *f;
	const silver_collection *c;
	char coll[SILVER_MAX_NAME + 1];

	silver_arena_reset(p->w->a);
	if (silver_store_get(p->w->s, id, p->w->a, &r) != 0 || !(fs = silver_record_field(&r, field)))
		return 0;
	snprintf(coll, sizeof(coll), "%.*s", (int)r.collection.n, (const char *)r.collection.p);
	c = silver_schema_find(coll);
	f = c ? silver_schema_field(c, field, strlen(field)) : NULL;
	cc->n++;
	out(p, "<tr><td><a href=\"/record/");
	urlenc(p, id, 1);
	out(p, "\">");
	esc(p, c ? coll_label(c) : coll);
	out(p, ": ");
	record_name(p, &r);
	out(p, "</a></td><td>");
	esc(p, strcmp(field, "_del") == 0 ? _("deleted or kept") : f ? _(f->label) : field);
	out(p, "</td><td>");
	for (uint32_t i = 0; i < fs->nheads; i++) {
		const silver_head *hd = &fs->heads[i];
		silver_entry e;
		char when[32];
		silver_cli_time(hd->hlc, when);
		out(p, "<div>");
		value_html(p, f, &hd->value);
		out(p, " <span class=\"muted\">(");
		silver_arena_reset(p->w->a2);
		if (silver_store_entry(p->w->s, &hd->ref, p->w->a2, &e) == 0)
			who_html(p, &e);
		out(p, ", ");
		esc(p, when);
		out(p, ")</span> ");
		if (cc->may_resolve) {
			out(p, "<form class=\"inline\" method=\"post\" action=\"/resolve\">");
			csrf_field(p);
			out(p, "<input type=\"hidden\" name=\"id\" value=\"");
			esc(p, id);
			out(p, "\"><input type=\"hidden\" name=\"field\" value=\"");
			esc(p, field);
			outf(p, "\"><input type=\"hidden\" name=\"take\" value=\"%u\">", i + 1);
			out(p, "<input type=\"submit\" class=\"take\" value=\"");
			esc(p, _("Keep this value"));
			out(p, "\"></form>");
		}
		out(p, "</div>");
	}
	out(p, "</td></tr>\n");
	return cc->n >= 500 ? 1 : 0;
}

static void page_conflicts(struct page *p)
{
	struct confctx cc = { p, 0, p->ses->role >= SILVER_USER_OFFICER };
	int rv;
	head(p, _("Conflicts"));
	out(p, "<p>");
	esc(p, _("The same field was edited differently in two places. Choose the value to keep."));
	if (!cc.may_resolve) {
		out(p, " ");
		esc(p, _("Settling conflicts needs an officer's account."));
	}
	out(p, "</p>");
	table_head(p, "conflicts", _("Record"), _("Field"), _("Values"), NULL);
	rv = silver_store_conflicts(p->w->s, conf_row, &cc);
	out(p, "</table>");
	if (rv < 0) {
		para(p, "err", NULL, _(silver_strerror(rv)));
	}
	if (!cc.n) {
		para(p, "ok", "noconflicts", _("No conflicts waiting."));
	}
	foot(p);
}

static void do_resolve(struct page *p)
{
	const char *id = farg(p->req, "id"), *field = farg(p->req, "field"), *take = farg(p->req, "take");
	struct webwrite ww;
	char *end;
	long n;
	int rv;

	if (p->ses->role < SILVER_USER_OFFICER) {
		error_page(p, 403, _("Settling conflicts needs an officer's account."));
		return;
	}
	n = take ? strtol(take, &end, 10) : 0;
	if (!id || !field || !take || *end || n < 1 || n > 1000) {
		error_page(p, 400, _("Incomplete form."));
		return;
	}
	memset(&ww, 0, sizeof(ww));
	ww.kind = 2;
	ww.id = id;
	ww.field = field;
	ww.take = (uint32_t)n;
	rv = web_write(p, &ww);
	if (rv != 0) {
		char msg[700];
		why_text(rv, &ww.why, NULL, msg, sizeof(msg));
		error_page(p, status_of(rv), msg);
		return;
	}
	redirect(p, "/conflicts");
}

/* ---- the county dashboard ------------------------------------------------------------------ */

struct twrow {
	char township[SILVER_MAX_NAME + 1];
	uint64_t last_hlc;
	uint64_t entries;
	unsigned long conflicts;
};

struct dash {
	struct page *p;
	struct twrow rows[64];
	int n;
	uint8_t authors[256][SILVER_KEY_BYTES];
	int nauthors;
};

static struct twrow *tw_row(struct dash *d, const char *tw)
{
	for (int i = 0; i < d->n; i++)
		if (strcmp(d->rows[i].township, tw) == 0)
			return &d->rows[i];
	if (d->n == 64)
		return NULL;
	memset(&d->rows[d->n], 0, sizeof(d->rows[0]));
	snprintf(d->rows[d->n].township, sizeof(d->rows[0].township), "%s", tw);
	return &d->rows[d->n++];
}

static int dash_feed(const silver_feedinfo *f, void *vctx)
{
	struct dash *d = vctx;
	struct twrow *row = tw_row(d, f->township);
	silver_ref ref;
	silver_entry e;
	int seen = 0;
	for (int i = 0; i < d->nauthors; i++)
		if (memcmp(d->authors[i], f->author, SILVER_KEY_BYTES) == 0)
			seen = 1;
	if (!seen && d->nauthors < 256)
		memcpy(d->authors[d->nauthors++], f->author, SILVER_KEY_BYTES);
	if (!row || !f->seq)
		return 0;
	row->entries += f->seq;
	memcpy(ref.feed, f->tag, SILVER_FEEDTAG_BYTES);
	ref.seq = f->seq;
	silver_arena_reset(d->p->w->a2);
	if (silver_store_entry(d->p->w->s, &ref, d->p->w->a2, &e) == 0 && e.hlc > row->last_hlc)
		row->last_hlc = e.hlc;
	return 0;
}

static int dash_conflict(const char *id, const char *field, void *vctx)
{
	struct dash *d = vctx;
	char tw[SILVER_MAX_NAME + 1];
	struct twrow *row;
	size_t n = strcspn(id, "/");
	snprintf(tw, sizeof(tw), "%.*s", (int)(n < SILVER_MAX_NAME ? n : SILVER_MAX_NAME), id);
	if ((row = tw_row(d, tw)))
		row->conflicts++;
	return 0;
}

static int dash_cert(const silver_cert *c, const silver_revoke *rev, void *vctx)
{
	struct dash *d = vctx;
	struct page *p = d->p;
	char hex[2 * SILVER_KEY_BYTES + 1];
	for (int i = 0; i < d->nauthors; i++)
		if (memcmp(d->authors[i], c->key, SILVER_KEY_BYTES) == 0)
			return 0;
	if (rev)
		return 0;
	silver_hex(c->key, 8, hex);
	out(p, "<tr><td>");
	escn(p, (const char *)c->name.p, c->name.n);
	out(p, "</td><td class=\"muted\">");
	esc(p, hex);
	out(p, "</td></tr>");
	return 0;
}

static void page_county(struct page *p)
{
	struct dash *d;
	silver_digest dg;
	if (p->ses->role < SILVER_USER_OFFICER) {
		error_page(p, 403, _("The dashboard needs an officer's account."));
		return;
	}
	if (!(d = calloc(1, sizeof(*d)))) {
		error_page(p, 500, _(silver_strerror(SILVER_ENOMEM)));
		return;
	}
	d->p = p;
	int rv = silver_store_feeds(p->w->s, dash_feed, d);
	if (rv == 0)
		rv = silver_store_conflicts(p->w->s, dash_conflict, d);
	if (rv != 0) {
		free(d);
		error_page(p, 500, _(silver_strerror(rv)));
		return;
	}
	head(p, _("Dashboard"));
	out(p, "<p><a id=\"stats\" href=\"/stats\">");
	esc(p, _("Statistics"));
	out(p, "</a></p>");
	if (silver_store_digest(p->w->s, &dg) == 0)
		outf(p, "<p>%llu %s, %llu %s, %llu %s</p>", (unsigned long long)dg.records, _("records"),
		     (unsigned long long)dg.entries, _("entries"), (unsigned long long)dg.conflicts,
		     _("open conflicts"));
	table_head(p, "townships", _("Township"), _("Last data received"), _("Entries"),
		   _("Conflicts waiting"), NULL);
	for (int i = 0; i < d->n; i++) {
		char when[32] = "-";
		if (d->rows[i].last_hlc)
			silver_cli_time(d->rows[i].last_hlc, when);
		out(p, "<tr><td>");
		esc(p, township_label(d->rows[i].township));
		out(p, "</td><td>");
		esc(p, when);
		outf(p, "</td><td>%llu</td><td>%lu</td></tr>\n", (unsigned long long)d->rows[i].entries,
		     d->rows[i].conflicts);
	}
	out(p, "</table><h2>");
	esc(p, _("Certificates never seen"));
	out(p, "</h2><p class=\"muted\">");
	esc(p, _("Offices certified by the county admin whose data this node has never received."));
	out(p, "</p>");
	table_head(p, "unseen", _("Name"), _("key"), NULL);
	rv = silver_store_certs(p->w->s, dash_cert, d);
	out(p, "</table>");
	if (rv != 0) {
		para(p, "err", NULL, _(silver_strerror(rv)));
	}
	foot(p);
	free(d);
}

/* ---- the statistics report (silver-stats' figures, docs/STATS.md) ---------------------------- */

static void page_stats(struct page *p)
{
	const char *from = qarg(p->req, "from"), *to = qarg(p->req, "to"), *tw = qarg(p->req, "township");
	struct stats_report r;
	char today[11], period[200];
	int rv;

	if (p->ses->role < SILVER_USER_OFFICER) {
		error_page(p, 403, _("The dashboard needs an officer's account."));
		return;
	}
	if (from && !*from)
		from = NULL;
	if (to && !*to)
		to = NULL;
	if (tw && !*tw)
		tw = NULL;
	if ((from && !stats_date_ok(from)) || (to && !stats_date_ok(to)) ||
	    (tw && !silver_schema_township_ok(tw))) {
		error_page(p, 400, _("Dates are YYYY-MM-DD; a township is its code."));
		return;
	}
	stats_today(today);
	memset(&r, 0, sizeof(r));
	if ((rv = stats_report_build(p->w->s, tw, from, to, today, &r)) != 0) {
		error_page(p, 500, _(silver_strerror(rv)));
		return;
	}
	head(p, _("Statistics"));
	out(p, "<form method=\"get\" action=\"/stats\"><label>");
	esc(p, _("From"));
	out(p, "</label><input name=\"from\" size=\"12\" placeholder=\"YYYY-MM-DD\" value=\"");
	esc(p, from);
	out(p, "\"> <label>");
	esc(p, _("To"));
	out(p, "</label><input name=\"to\" size=\"12\" placeholder=\"YYYY-MM-DD\" value=\"");
	esc(p, to);
	out(p, "\"> <input type=\"submit\" value=\"");
	esc(p, _("Search"));
	out(p, "\"></form>");
	view_period(&r, period, sizeof(period));
	out(p, "<p>");
	esc(p, period);
	out(p, "</p>");
	for (int sec = 0; sec < ST_NSEC; sec++) {
		struct view_grid g;
		memset(&g, 0, sizeof(g));
		if (view_grid_build(&r, (enum stats_sec)sec, &g) != 0) {
			para(p, "err", NULL, _(silver_strerror(SILVER_ENOMEM)));
			break;
		}
		outf(p, "<h2 id=\"sec_%s\">", stats_sections[sec].key);
		esc(p, _(stats_sections[sec].title));
		out(p, "</h2><table><tr>");
		for (uint32_t c = 0; c < g.ncols; c++) {
			out(p, "<th>");
			esc(p, g.head[c]);
			out(p, "</th>");
		}
		out(p, "</tr>\n");
		for (uint32_t i = 0; i < g.nrows; i++) {
			out(p, g.rows[i].total ? "<tr style=\"font-weight:bold\">" : "<tr>");
			for (uint32_t c = 0; c < g.ncols; c++) {
				out(p, "<td>");
				esc(p, g.rows[i].cell[c]);
				out(p, "</td>");
			}
			out(p, "</tr>\n");
		}
		out(p, "</table>");
		view_grid_free(&g);
	}
	stats_report_free(&r);
	foot(p);
}

/* ---- review: probable duplicates and possible double payments (silver-review) ----------------- */

void silver_web_set_review(silver_web *w, silver_web_review_fn fn, void *ctx)
{
	w->review = fn;
	w->review_ctx = ctx;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static json_t *review_json(struct page *p, const char *what, time_t *as_of, int *checking)
{
	silver_buf b;
	json_t *j = NULL;
	json_error_t err;
	silver_buf_init(&b);
	if (p->w->review && p->w->review(what, &b, as_of, checking, p->w->review_ctx) == 0)
		j = json_loadb((const char *)b.data, b.len, 0, &err);
	silver_buf_release(&b);
	if (j && !json_is_array(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

static void record_link(struct page *p, const char *id, const char *name)
{
	out(p, "<a href=\"/record/");
	urlenc(p, id, 1);
	out(p, "\">");
	esc(p, *name ? name : id);
	out(p, "</a>");
}

/* Is the record live now?  (The review shown may be older than the store.) */
static int review_live(struct page *p, const char *id)
{
	silver_record r;
	silver_arena_reset(p->w->a2);
	return silver_store_get(p->w->s, id, p->w->a2, &r) == 0 && !r.deleted;
}

/* Leave out of groups (a review list) the members (under key, each with an
 * "id") deleted since the check, and the groups left with fewer than two:
 * those are settled. */
static void review_prune(struct page *p, json_t *groups, const char *key)
{
	for (size_t i = json_array_size(groups); i-- > 0;) {
		json_t *members = json_object_get(json_array_get(groups, i), key);
		for (size_t k = json_array_size(members); k-- > 0;)
			if (!review_live(p, jstr(json_array_get(members, k), "id")))
				json_array_remove(members, k);
		if (json_array_size(members) < 2)
			json_array_remove(groups, i);
	}
}

static void page_review(struct page *p)
{
	json_t *dups, *aid;
	size_t i, k;
	json_t *g, *m;
	time_t at1 = 0, at2 = 0;
	int chk1 = 0, chk2 = 0;

	if (p->ses->role < SILVER_USER_OFFICER) {
		error_page(p, 403, _("Reviewing needs an officer's account."));
		return;
	}
	dups = review_json(p, "duplicates", &at1, &chk1);
	aid = review_json(p, "aid-anomalies", &at2, &chk2);
	review_prune(p, dups, "retirees");
	review_prune(p, aid, "payments");
	head(p, _("Review"));
	if ((dups && chk1) || (aid && chk2)) {
		/* an earlier check is shown while the newest changes are checked */
		char when[32], msg[300];
		time_t at = at1 && at2 ? (at1 < at2 ? at1 : at2) : at1 ? at1 : at2;
		struct tm tm;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&at, &tm));
		snprintf(
			msg, sizeof(msg),
			_("Shown: the check of %s. The changes since then are being checked; reload this page in a "
			  "moment to see them. Records deleted since then are left out."),
			when);
		para(p, "muted", "checking", msg);
	}
	out(p, "<h2>");
	esc(p, _("Probable duplicate retirees across townships"));
	out(p, "</h2><p class=\"muted\">");
	esc(p, _("Check them with the offices; nothing is changed here."));
	out(p, "</p>");
	if (!dups) {
		para(p, "err", NULL, _("The review could not be read (silver-review)."));
	} else if (!json_array_size(dups)) {
		para(p, "ok", "nodups", _("No probable duplicate retirees across townships."));
	} else {
		table_head(p, "duplicates", _("Why"), _("Retirees"), NULL);
		json_array_foreach(dups, i, g)
		{
			out(p, "<tr><td>");
			esc(p, strcmp(jstr(g, "reason"), "id_number") == 0 ?
				       _("Same ID card number") :
				       _("Same name and date of birth"));
			out(p, "</td><td>");
			json_array_foreach(json_object_get(g, "retirees"), k, m)
			{
				out(p, "<div>");
				record_link(p, jstr(m, "id"), jstr(m, "name"));
				out(p, " · ");
				esc(p, township_label(jstr(m, "township")));
				out(p, " · ");
				esc(p, jstr(m, "birth_date"));
				out(p, " · ");
				esc(p, jstr(m, "id_number"));
				out(p, "</div>");
			}
			out(p, "</td></tr>\n");
		}
		out(p, "</table>");
	}
	out(p, "<h2>");
	esc(p, _("Possible double aid payments"));
	out(p, "</h2><p class=\"muted\">");
	esc(p,
	    _("The same retiree paid the same amount on the same date by more than one office. When the offices confirm a copy, delete it: the deletion is a signed change and the history keeps the payment."));
	out(p, "</p>");
	if (!aid) {
		para(p, "err", NULL, _("The review could not be read (silver-review)."));
	} else if (!json_array_size(aid)) {
		para(p, "ok", "noanomalies", _("No aid anomalies."));
	} else {
		table_head(p, "anomalies", _("Retiree"), _("Date"), _("Amount (yuan)"), _("Payments"), NULL);
		json_array_foreach(aid, i, g)
		{
			out(p, "<tr><td>");
			record_link(p, jstr(g, "retiree"), jstr(g, "name"));
			out(p, "</td><td>");
			esc(p, jstr(g, "date"));
			out(p, "</td><td>");
			esc(p, jstr(g, "amount"));
			out(p, "</td><td>");
			json_array_foreach(json_object_get(g, "payments"), k, m)
			{
				out(p, "<div>");
				record_link(p, jstr(m, "id"), jstr(m, "id"));
				out(p, " · ");
				esc(p, township_label(jstr(m, "township")));
				out(p, " · ");
				esc(p, jstr(m, "office"));
				out(p, " <form class=\"inline\" method=\"post\" action=\"/delete\">");
				csrf_field(p);
				out(p, "<input type=\"hidden\" name=\"id\" value=\"");
				esc(p, jstr(m, "id"));
				out(p,
				    "\"><input type=\"hidden\" name=\"back\" value=\"review\"><input type=\"submit\" class=\"delete\" value=\"");
				esc(p, _("Delete this payment"));
				out(p, "\"></form></div>");
			}
			out(p, "</td></tr>\n");
		}
		out(p, "</table>");
	}
	json_decref(dups);
	json_decref(aid);
	foot(p);
}

static void do_delete(struct page *p)
{
	const char *id = farg(p->req, "id"), *back = farg(p->req, "back");
	struct webwrite ww;
	char where[SILVER_MAX_ID + 16];
	int rv;

	if (p->ses->role < SILVER_USER_OFFICER) {
		error_page(p, 403, _("Deleting a record needs an officer's account."));
		return;
	}
	if (!id || !*id) {
		error_page(p, 400, _("Incomplete form."));
		return;
	}
	memset(&ww, 0, sizeof(ww));
	ww.kind = 3;
	ww.id = id;
	rv = web_write(p, &ww);
	if (rv != 0) {
		char msg[700];
		why_text(rv, &ww.why, NULL, msg, sizeof(msg));
		error_page(p, status_of(rv), msg);
		return;
	}
	if (back && strcmp(back, "review") == 0)
		snprintf(where, sizeof(where), "/review");
	else
		snprintf(where, sizeof(where), "/record/%s", id);
	redirect(p, where);
}

/* ---- import: a CSV or XLSX file previewed, then imported on confirmation ------------------ */

void silver_web_set_import(silver_web *w, silver_web_import_fn fn, void *ctx)
{
	w->import = fn;
	w->import_ctx = ctx;
}

static void upload_drop(struct upload *u)
{
	if (u->used && u->path[0])
		(void)unlink(u->path);
	sodium_memzero(u, sizeof(*u));
}

/* Uploads not confirmed within SILVER_WEB_UPLOAD_MS are removed (checked
 * on every request, and all of them when the server stops). */
static void uploads_sweep(silver_web *w, uint64_t now)
{
	for (size_t i = 0; i < SILVER_WEB_UPLOADS; i++)
		if (w->uploads[i].used && now - w->uploads[i].at_ms > SILVER_WEB_UPLOAD_MS)
			upload_drop(&w->uploads[i]);
}

#define PREVIEW_SHOWN 1000 /* refused rows listed; the others are counted */

struct refused {
	silver_why *rows;
	size_t n;
};

static int preview_refused(const silver_why *why, void *vctx)
{
	struct refused *r = vctx;
	if (r->n < PREVIEW_SHOWN)
		r->rows[r->n++] = *why;
	return 0;
}

static void import_form(struct page *p, const char *coll, const char *msg)
{
	uint32_t n;
	const silver_collection *cs = silver_schema_collections(&n);
	if (msg) {
		para(p, "err", NULL, msg);
	}
	out(p, "<p>");
	esc(p, _("A CSV (UTF-8 or GBK) or XLSX file whose first row names the fields (Chinese labels are "
		 "fine), at most 32 MiB. Nothing is written until you have seen the preview and confirmed."));
	out(p, "</p><form method=\"post\" action=\"/import\" enctype=\"multipart/form-data\">");
	csrf_field(p);
	out(p, "<p><label for=\"collection\">");
	esc(p, _("Collection"));
	out(p, "</label><select id=\"collection\" name=\"collection\">");
	for (uint32_t i = 0; i < n; i++) {
		out(p, "<option value=\"");
		esc(p, cs[i].name);
		out(p, coll && strcmp(coll, cs[i].name) == 0 ? "\" selected>" : "\">");
		esc(p, coll_label(&cs[i]));
		out(p, "</option>");
	}
	out(p, "</select></p><p><label for=\"file\">");
	esc(p, _("File"));
	out(p, "</label><input type=\"file\" id=\"file\" name=\"file\" accept=\".csv,.xlsx\"></p><p><input "
	       "type=\"submit\" id=\"preview\" value=\"");
	esc(p, _("Preview"));
	out(p, "\"></p></form>");
}

static void import_error(struct page *p, int status, const char *coll, const char *msg)
{
	p->resp->body.len = 0;
	head(p, _("Import a table"));
	p->resp->status = status;
	import_form(p, coll, msg);
	foot(p);
}

/* The preview: the rows read and every refused row; nothing written. */
static void import_preview(struct page *p)
{
	const char *coll = farg(p->req, "collection");
	const silver_collection *c = coll ? silver_schema_find(coll) : NULL;
	const char *name = p->req->upload_name && *p->req->upload_name ? p->req->upload_name : "?";
	struct refused ref = { NULL, 0 };
	silver_preview pv;
	silver_why why;
	char msg[1200], reason[700], rbuf[300];
	int rv;

	if (!c) {
		import_error(p, 400, NULL, _("Choose the collection the rows belong to."));
		return;
	}
	if (!p->req->upload_path) {
		import_error(p, 400, c->name, _("Choose a file to import."));
		return;
	}
	if (!(ref.rows = calloc(PREVIEW_SHOWN, sizeof(*ref.rows)))) {
		error_page(p, 500, _(silver_strerror(SILVER_ENOMEM)));
		return;
	}
	memset(&pv, 0, sizeof(pv));
	memset(&why, 0, sizeof(why));
	rv = silver_import_preview(p->w->s, c->name, p->req->upload_path, preview_refused, &ref, &pv, &why);
	if (rv != 0) {
		why_text(rv, &why, c, reason, sizeof(reason));
		if (why.row > 0)
			snprintf(msg, sizeof(msg), _("%s, row %ld: %s; nothing imported."), name, why.row,
				 reason);
		else
			snprintf(msg, sizeof(msg), _("%s: %s; nothing imported."), name, reason);
		free(ref.rows);
		import_error(p, status_of(rv) == 500 ? 500 : 400, c->name, msg);
		return;
	}
	head(p, _("Import preview"));
	out(p, "<p>");
	esc(p, _("File"));
	out(p, ": <b>");
	esc(p, name);
	out(p, "</b> &rarr; ");
	esc(p, coll_label(c));
	out(p, "</p><p id=\"rows\">");
	snprintf(msg, sizeof(msg), _("Rows read: %llu; can be imported: %llu; refused: %llu."),
		 (unsigned long long)pv.rows, (unsigned long long)pv.ok, (unsigned long long)pv.errors);
	esc(p, msg);
	out(p, "</p>");
	if (pv.errors) {
		out(p, "<p class=\"err\">");
		esc(p,
		    _("Nothing was written. Correct these rows in the file and upload it again (all rows are "
		      "imported or none)."));
		out(p, "</p>");
		table_head(p, "refused", _("Row"), _("Field"), _("Reason"), NULL);
		for (size_t i = 0; i < ref.n; i++) {
			const silver_why *y = &ref.rows[i];
			const silver_field *f =
				y->field[0] ? silver_schema_field(c, y->field, strlen(y->field)) : NULL;
			outf(p, "<tr><td>%ld</td><td>", y->row);
			esc(p, f ? _(f->label) : y->field);
			out(p, "</td><td>");
			esc(p, y->reason[0] ? silver_cli_reason(y->reason, rbuf, sizeof(rbuf)) : "");
			if (y->detail[0]) {
				out(p, " (");
				esc(p, y->detail);
				out(p, ")");
			}
			out(p, "</td></tr>");
		}
		out(p, "</table>");
		if (pv.errors > ref.n) {
			out(p, "<p>");
			snprintf(msg, sizeof(msg), _("(%llu more refused rows not shown)"),
				 (unsigned long long)(pv.errors - ref.n));
			esc(p, msg);
			out(p, "</p>");
		}
		free(ref.rows);
		import_form(p, c->name, NULL);
		foot(p);
		return;
	}
	free(ref.rows);
	{
		struct upload *u = NULL;
		for (size_t i = 0; i < SILVER_WEB_UPLOADS && !u; i++)
			if (!p->w->uploads[i].used)
				u = &p->w->uploads[i];
		if (!u) { /* all kept: the oldest gives way */
			u = &p->w->uploads[0];
			for (size_t i = 1; i < SILVER_WEB_UPLOADS; i++)
				if (p->w->uploads[i].at_ms < u->at_ms)
					u = &p->w->uploads[i];
			upload_drop(u);
		}
		if (strlen(p->req->upload_path) >= sizeof(u->path)) {
			error_page(p, 500, _(silver_strerror(SILVER_ELIMIT)));
			return;
		}
		random_hex(u->token);
		memcpy(u->session, p->ses->token, sizeof(u->session));
		snprintf(u->path, sizeof(u->path), "%s", p->req->upload_path);
		snprintf(u->coll, sizeof(u->coll), "%s", c->name);
		snprintf(u->name, sizeof(u->name), "%s", name);
		u->rows = pv.ok;
		u->at_ms = p->req->now_ms;
		u->used = 1;
		p->resp->upload_kept = 1;
		out(p, "<p class=\"ok\">");
		esc(p, _("No row is refused. Nothing has been written yet."));
		out(p, "</p><form method=\"post\" action=\"/import\">");
		csrf_field(p);
		out(p, "<input type=\"hidden\" name=\"confirm\" value=\"");
		esc(p, u->token);
		out(p, "\"><input type=\"submit\" id=\"confirm\" value=\"");
		snprintf(msg, sizeof(msg), P_("Import %llu row", "Import %llu rows", pv.ok),
			 (unsigned long long)pv.ok);
		esc(p, msg);
		out(p, "\"> <a href=\"/import\">");
		esc(p, _("Cancel"));
		out(p, "</a></form>");
		foot(p);
	}
}

/* The confirmation: the kept file imported, all rows or none, then removed. */
static void import_confirm(struct page *p)
{
	const char *t = farg(p->req, "confirm");
	struct upload *u = NULL;
	const silver_collection *c;
	uint64_t n = 0;
	silver_buf m;
	char msg[600];
	int rv;

	for (size_t i = 0; t && strlen(t) == 64 && i < SILVER_WEB_UPLOADS && !u; i++)
		if (p->w->uploads[i].used && sodium_memcmp(p->w->uploads[i].token, t, 64) == 0 &&
		    sodium_memcmp(p->w->uploads[i].session, p->ses->token, 64) == 0)
			u = &p->w->uploads[i];
	if (!u) {
		import_error(p, 400, NULL,
			     _("This upload is no longer waiting (it was imported, cancelled or expired): "
			       "upload the file again."));
		return;
	}
	c = silver_schema_find(u->coll);
	if (!p->w->import || !c) {
		upload_drop(u);
		error_page(p, 500, _("Importing is not available in this program."));
		return;
	}
	silver_buf_init(&m);
	rv = p->w->import(c->name, u->path, p->ses->user, &n, &m, p->w->import_ctx);
	if (rv != 0) {
		/* the program's message names the server's temporary file: say
		 * the browser's name for it instead */
		size_t pl = strlen(u->path), k = 0;
		const char *t0 = (const char *)m.data;
		msg[0] = 0;
		for (size_t i = 0; m.len && i < m.len && k + 1 < sizeof(msg);) {
			if (pl && i + pl <= m.len && memcmp(t0 + i, u->path, pl) == 0) {
				k += (size_t)snprintf(msg + k, sizeof(msg) - k, "%s", u->name);
				if (k >= sizeof(msg))
					k = sizeof(msg) - 1;
				i += pl;
			} else {
				msg[k++] = t0[i++];
			}
		}
		msg[k] = 0;
		if (!msg[0])
			snprintf(msg, sizeof(msg), "%s", _(silver_strerror(rv)));
		silver_buf_release(&m);
		upload_drop(u);
		import_error(p, status_of(rv), c->name, msg);
		return;
	}
	upload_drop(u);
	silver_buf_release(&m);
	head(p, _("Imported"));
	out(p, "<p class=\"ok\" id=\"imported\">");
	snprintf(msg, sizeof(msg), P_("%llu record was added to %s.", "%llu records were added to %s.", n),
		 (unsigned long long)n, coll_label(c));
	esc(p, msg);
	out(p, "</p><p><a href=\"/records/");
	esc(p, c->name);
	out(p, "\">");
	esc(p, coll_label(c));
	out(p, "</a> &nbsp; <a href=\"/import\">");
	esc(p, _("Import another file"));
	out(p, "</a></p>");
	foot(p);
}

static void page_import(struct page *p, int post)
{
	if (!post) {
		head(p, _("Import a table"));
		import_form(p, qarg(p->req, "collection"), NULL);
		foot(p);
	} else if (farg(p->req, "confirm")) {
		import_confirm(p);
	} else {
		import_preview(p);
	}
}

/* ---- dispatch ------------------------------------------------------------------------------- */

int silver_web_new(silver_store *s, silver_users *u, silver_web **out)
{
	silver_web *w;
	*out = NULL;
	if (sodium_init() < 0)
		return SILVER_ECRYPTO;
	if (!(w = calloc(1, sizeof(*w))))
		return SILVER_ENOMEM;
	w->s = s;
	w->u = u;
	w->a = silver_arena_new();
	w->a2 = silver_arena_new();
	if (!w->a || !w->a2) {
		silver_arena_destroy(&w->a);
		silver_arena_destroy(&w->a2);
		free(w);
		return SILVER_ENOMEM;
	}
	silver_buf_init(&w->tmp);
	silver_buf_init(&w->tmp2);
	*out = w;
	return 0;
}

void silver_web_destroy(silver_web **w)
{
	if (!w || !*w)
		return;
	for (size_t i = 0; i < SILVER_WEB_UPLOADS; i++)
		upload_drop(&(*w)->uploads[i]);
	silver_arena_destroy(&(*w)->a);
	silver_arena_destroy(&(*w)->a2);
	silver_buf_release(&(*w)->tmp);
	silver_buf_release(&(*w)->tmp2);
	sodium_memzero(*w, sizeof(**w));
	free(*w);
	*w = NULL;
}

static int prefix(const char *path, const char *pre, const char **rest)
{
	size_t n = strlen(pre);
	if (strncmp(path, pre, n) != 0 || !path[n])
		return 0;
	*rest = path + n;
	return 1;
}

int silver_web_handle(silver_web *w, const silver_web_req *req, silver_web_resp *resp)
{
	struct page pg = { w, req, resp, NULL };
	struct page *p = &pg;
	int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	int post = strcmp(req->method, "POST") == 0;
	const char *rest;
	const silver_collection *c;

	resp->status = 200;
	resp->type = "text/html; charset=utf-8";
	resp->location[0] = resp->cookie[0] = 0;
	resp->body.len = 0;
	resp->upload_kept = 0;
	p->ses = session_find(w, req->session, req->now_ms);
	uploads_sweep(w, req->now_ms);

	if (!get && !post) {
		error_page(p, 405, _("This address does not take that method."));
		return 0;
	}
	if (strcmp(req->path, "/login") == 0) {
		if (post)
			do_login(p);
		else
			login_form(p, NULL);
		return 0;
	}
	if (p->ses && p->ses->role && !session_current(p)) {
		sodium_memzero(p->ses, sizeof(*p->ses));
		p->ses = NULL;
		set_cookie(p, NULL);
	}
	if (!p->ses || !p->ses->role) {
		redirect(p, "/login");
		return 0;
	}
	if (post && !csrf_ok(p)) {
		error_page(
			p, 403,
			_("The form has expired (missing or wrong security token): reload the page and try again."));
		return 0;
	}
	if (strcmp(req->path, "/logout") == 0 && post) {
		sodium_memzero(p->ses, sizeof(*p->ses));
		p->ses = NULL;
		set_cookie(p, NULL);
		redirect(p, "/login");
		return 0;
	}
	if (strcmp(req->path, "/") == 0 && get) {
		redirect(p, "/records/retiree");
		return 0;
	}
	if (strcmp(req->path, "/password") == 0) {
		if (post)
			do_password(p);
		else
			password_form(p, 200, NULL, NULL);
		return 0;
	}
	if (strcmp(req->path, "/collections") == 0 && get) {
		page_collections(p);
		return 0;
	}
	if (prefix(req->path, "/records/", &rest) && get) {
		if (!(c = silver_schema_find(rest)))
			error_page(p, 404, _("No such collection."));
		else
			page_list(p, c);
		return 0;
	}
	if (prefix(req->path, "/new/", &rest)) {
		if (!(c = silver_schema_find(rest)))
			error_page(p, 404, _("No such collection."));
		else
			page_new(p, c, post);
		return 0;
	}
	if (prefix(req->path, "/record/", &rest) && get) {
		page_record(p, rest);
		return 0;
	}
	if (prefix(req->path, "/edit/", &rest)) {
		page_edit(p, rest, post);
		return 0;
	}
	if (strcmp(req->path, "/conflicts") == 0 && get) {
		page_conflicts(p);
		return 0;
	}
	if (strcmp(req->path, "/resolve") == 0 && post) {
		do_resolve(p);
		return 0;
	}
	if (strcmp(req->path, "/county") == 0 && get) {
		page_county(p);
		return 0;
	}
	if (strcmp(req->path, "/review") == 0 && get) {
		page_review(p);
		return 0;
	}
	if (strcmp(req->path, "/delete") == 0 && post) {
		do_delete(p);
		return 0;
	}
	if (strcmp(req->path, "/import") == 0) {
		page_import(p, post);
		return 0;
	}
	if (strcmp(req->path, "/stats") == 0 && get) {
		page_stats(p);
		return 0;
	}
	error_page(p, 404, _("No such page."));
	return 0;
}
