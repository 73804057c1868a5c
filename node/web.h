/*
 * web.h - the office workbench: server-rendered HTML pages over a node's
 * store (docs/WEB.md).  The pages know nothing of HTTP libraries: a request
 * is a method, a path, decoded query and form fields, the session cookie and
 * the client's address; a response is a status, a body and a few headers.
 * web_server.c feeds requests from libmicrohttpd; tests/bench calls
 * silver_web_handle directly.
 *
 * Everything runs on one thread: a silver_web is not shared between threads.
 */
#ifndef SILVER_WEB_H
#define SILVER_WEB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "silver_store.h"
#include "silver_users.h"

#define SILVER_WEB_SESSIONS 256
#define SILVER_WEB_PAGE 50		/* rows per list page */
#define SILVER_WEB_MAX_BODY (64 * 1024) /* a larger POST is refused (413) */
#define SILVER_WEB_MAX_FIELDS 128
#define SILVER_WEB_MAX_UPLOAD (32u << 20)	 /* a larger POST to /import is refused (413) */
#define SILVER_WEB_UPLOADS 16			 /* previewed files kept for confirming */
#define SILVER_WEB_UPLOAD_MS (15ull * 60 * 1000) /* an upload not confirmed within is removed */

typedef struct silver_web silver_web;

typedef struct silver_web_kv {
	char *key;
	char *val;
} silver_web_kv;

typedef struct silver_web_req {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* decoded, without the query */
	const silver_web_kv *query;
	size_t nquery;
	const silver_web_kv *form; /* POST fields (a key may repeat) */
	size_t nform;
	const char *session; /* the silver_session cookie, or NULL */
	const char *client;  /* the client's address, for rate limits */
	uint64_t now_ms;
	/* A file sent with a multipart form (POST /import): the server saved it
	 * in a private temporary file (mode 0600) and removes it after the
	 * request unless resp->upload_kept says the pages took it over. */
	const char *upload_path; /* NULL: no file sent */
	const char *upload_name; /* the file name the browser gave (shown, never used as a path) */
} silver_web_req;

typedef struct silver_web_resp {
	int status;
	silver_buf body;
	const char *type;   /* Content-Type */
	char location[600]; /* a redirect's target, or "" */
	char cookie[200];   /* a Set-Cookie value, or "" */
	int upload_kept;    /* the pages keep req->upload_path (and remove it later) */
} silver_web_resp;

/* The store and accounts stay the caller's; *out is freed by _destroy. */
int silver_web_new(silver_store *s, silver_users *u, silver_web **out) SILVER_WUR;
void silver_web_destroy(silver_web **w);

/* Answer one request: fills resp (initialise its body with silver_buf_init
 * first; the caller releases it).  Returns 0, or an error code for a
 * failure that is not the client's (resp then holds a 500 page). */
int silver_web_handle(silver_web *w, const silver_web_req *req, silver_web_resp *resp);

/* The review lists (probable duplicate retirees, possible double aid
 * payments) are silver-review's: the program that serves the pages gives a
 * function that writes the output of `silver-review --json WHAT` (WHAT is
 * "duplicates" or "aid-anomalies") into out and returns 0 or an error code.
 * The output may be that of an earlier run while a check of the newest
 * changes goes on: then *as_of is when that run started (0 when the output
 * is of the store as it is) and *checking is 1.  Without a function the
 * review page says it is not available. */
typedef int (*silver_web_review_fn)(const char *what, silver_buf *out, time_t *as_of, int *checking,
				    void *ctx);
void silver_web_set_review(silver_web *w, silver_web_review_fn fn, void *ctx);

/* The import itself is `silvernode import`'s (all rows or none): the
 * program that serves the pages gives a function that imports the file at
 * path into collection with account (the session's) as the operator of every
 * entry, sets *imported to the records added and returns 0, or returns an
 * error code with the reason (one line, the user's language) in msg.
 * Without one, the import page says it is not available. */
typedef int (*silver_web_import_fn)(const char *collection, const char *path, const char *account,
				    uint64_t *imported, silver_buf *msg, void *ctx);
void silver_web_set_import(silver_web *w, silver_web_import_fn fn, void *ctx);

/* For tests and benchmarks: log in to an existing account of that role
 * without the password check (no rate limit), writing the session token
 * (65 bytes) and its CSRF token. */
int silver_web_session_for(silver_web *w, const char *user, int role, uint64_t now_ms, char token[65],
			   char csrf[65]) SILVER_WUR;

#endif
