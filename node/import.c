/*
 * import.c - `silvernode import COLLECTION FILE.csv`: every row of a CSV file
 * (the first row names the fields) becomes a new record, all in one write
 * transaction, so that either every row is imported or none is.
 *
 * Two threads share the work.  The reader parses the file with libcsv and
 * checks each row against the schema (silver_draft_add), a chunk of rows at
 * a time; the writer, inside silver_store_write, names, chains, signs and
 * stores the drafts in file order (silver_wtxn_add_draft).  The reader runs
 * at most AHEAD chunks ahead of the writer, so memory stays bounded by the
 * file's text plus a few chunks of drafts.
 *
 * The text of every chunk is kept until the end: when the LMDB map fills,
 * silver_store_write aborts and runs the writer again from the first row,
 * and rows whose drafts were already freed are then checked again by the
 * writer itself (silver_wtxn_add).
 *
 * The file is opened by silver_table_open (silver_table.h): a UTF-8 CSV
 * file is streamed as it is, a GBK CSV or an XLSX sheet arrives converted
 * to UTF-8 CSV.  The header is mapped (field keys, labels, Chinese names)
 * and every row's cells go through silver_row_kv (value forms, retirees
 * named by id number or name and birth date) before silver_draft_add.
 *
 * Errors: a CSV error, a read error, a NUL byte, a row longer than
 * SILVER_TABLE_MAX_LINE or a bad header is the reader's; a row the schema
 * refuses is published as its chunk's error and met by the writer in file
 * order.  Either way the writer returns an error, the transaction is
 * aborted and nothing is imported.  A file without a single data row is
 * refused too.  `--dry-run` runs silver_import_preview instead: every
 * refused row reported, nothing written.  `--operator ACCOUNT` (what the
 * workbench passes for its logged-in account) makes every entry of the
 * import carry that account as its operator (silver_store_write_as).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>

#include "cli.h"
#include "import.h"
#include "silver_store.h"
#include "silver_table.h"

#define CHUNK_ROWS 512 /* rows checked and handed over at a time */
#define AHEAD 8	       /* chunks the reader may check ahead of the writer */

struct row {
	size_t first; /* index of the row's first cell in chunk.offs */
	size_t n;
	long line;
};

struct chunk {
	struct chunk *next;
	silver_buf text; /* its rows' cells, each NUL-terminated, one after another */
	size_t *offs;
	size_t noffs, ocap;
	struct row *rows;
	size_t nrows, rcap;
	silver_arena *arena;  /* the drafts; freed once the writer has written them */
	silver_draft *drafts; /* one per row (blank rows: collection NULL) */
	size_t ndrafted;      /* rows checked; row ndrafted failed when rv != 0 */
	int rv;
	silver_why why;
};

enum read_error {
	READ_OK,
	READ_CSV,   /* not valid CSV */
	READ_QUOTE, /* the file ends inside a quoted cell */
	READ_IO,    /* fread failed */
	READ_EMPTY, /* no header row */
	READ_WIDE,  /* more columns than one change may write */
	READ_NOMEM,
	READ_NUL,    /* a NUL byte in a cell (err_col) */
	READ_LONG,   /* a row longer than SILVER_TABLE_MAX_LINE */
	READ_HEADER, /* the header names something that is not a field (hdr_why) */
	READ_NOROWS, /* a header and no data row */
};

struct import {
	const char *collection;
	const char *path;
	FILE *f;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk *head, *tail; /* published chunks, in file order */
	size_t published, written; /* chunks handed over; chunks whose drafts the writer is done with */
	int done;		   /* the reader has finished: end of file or an error */
	int stop;		   /* the writer gave up: the reader should too */
	enum read_error err;	   /* set before done */
	long err_line;
	int err_errno;
	const char *err_csv; /* libcsv's description */
	int err_col;	     /* READ_NUL: the column, 1-based */
	silver_why hdr_why;  /* READ_HEADER */
	silver_header h;
	silver_retiree_index *ix; /* NULL when the collection refers to no retiree */

	/* the reader's own */
	struct chunk *cur;
	char **hdr; /* the header's cells, NUL-terminated, in hdrtext */
	size_t nhdr;
	silver_buf hdrtext;
	int have_hdr, oom;
	size_t rowfirst; /* the current row's first cell in cur->offs */
	long line;	 /* physical line the current row starts on, 1-based */
	long nl;	 /* line breaks inside the current row's quoted cells */
	int last_cr;	 /* the last row ended at a CR: a LF right after it is the same break */

	/* the writer's own */
	size_t imported;
	silver_why why;
	silver_cli_progress pg; /* on a terminal: the rows written */
};

/* On a terminal, once the import has run a second: the rows written so far
 * (counted again from the first when the map fills and the write restarts). */
static void progress(struct import *im)
{
	uint64_t ms = silver_cli_progress_due(&im->pg);
	if (ms)
		silver_cli_progress_print(_("importing: %zu rows written, %.0f rows/s"), im->imported,
			(double)im->imported * 1000.0 / (double)ms);
}

static struct chunk *chunk_new(void)
{
	struct chunk *c = calloc(1, sizeof(*c));
	if (c)
		silver_buf_init(&c->text);
	return c;
}

static void chunk_free(struct chunk *c)
{
	silver_buf_release(&c->text);
	free(c->offs);
	free(c->rows);
	free(c->drafts);
	silver_arena_destroy(&c->arena);
	free(c);
}

static const char *cell(const struct chunk *c, const struct row *r, size_t j)
{
	return (const char *)c->text.data + c->offs[r->first + j];
}

/* A line whose only cell is empty (such as "" alone): skipped. */
static int row_blank(const struct chunk *c, const struct row *r)
{
	return r->n == 1 && cell(c, r, 0)[0] == 0;
}

/* The row's non-empty cells as field assignments (an empty cell leaves its
 * field unset), in the forms silver_row_kv turns them into; out holds the
 * turned values (SILVER_MAX_ID bytes a column). */
static int row_kv(const struct import *im, const struct chunk *c, const struct row *r, silver_kv *kv,
		  uint32_t *n, char *out, silver_why *why)
{
	char *cells[SILVER_MAX_WRITES];
	for (size_t j = 0; j < r->n && j < SILVER_MAX_WRITES; j++)
		cells[j] = (char *)cell(c, r, j);
	return silver_row_kv(&im->h, im->ix, cells, (uint32_t)r->n, kv, n, out, why);
}

static int row_width_ok(const struct import *im, const struct row *r, silver_why *why)
{
	if (r->n == im->nhdr)
		return 0;
	memset(why, 0, sizeof(*why));
	why->row = r->line;
	snprintf(why->reason, sizeof(why->reason), "%s",
		 N_("the row does not have as many cells as the header"));
	snprintf(why->detail, sizeof(why->detail), "%zu/%zu", r->n, im->nhdr);
	return SILVER_ESCHEMA;
}

/* ---- the reader ---------------------------------------------------------------- */

static void read_fail(struct import *im, enum read_error e)
{
	if (im->err == READ_OK) {
		im->err = e;
		im->err_line = im->line;
	}
}

/* Check the chunk's rows and hand it to the writer; wait while the writer
 * is AHEAD chunks behind. */
static int chunk_publish(struct import *im)
{
	struct chunk *c = im->cur;
	silver_kv kv[SILVER_MAX_WRITES];
	char out[SILVER_MAX_ID * SILVER_MAX_WRITES];
	uint32_t nkv;
	int stop;

	im->cur = NULL;
	if (c->nrows &&
	    (!(c->arena = silver_arena_new()) || !(c->drafts = calloc(c->nrows, sizeof(*c->drafts))))) {
		chunk_free(c);
		read_fail(im, READ_NOMEM);
		return -1;
	}
	for (; c->ndrafted < c->nrows; c->ndrafted++) {
		const struct row *r = &c->rows[c->ndrafted];
		if (row_blank(c, r))
			continue;
		if ((c->rv = row_width_ok(im, r, &c->why)) != 0)
			break;
		c->rv = row_kv(im, c, r, kv, &nkv, out, &c->why);
		if (c->rv == 0)
			c->rv = silver_draft_add(c->arena, im->collection, kv, nkv, &c->drafts[c->ndrafted],
						 &c->why);
		if (c->rv != 0) {
			c->why.row = r->line;
			break;
		}
	}
	pthread_mutex_lock(&im->mu);
	if (im->tail)
		im->tail->next = c;
	else
		im->head = c;
	im->tail = c;
	im->published++;
	pthread_cond_broadcast(&im->cv);
	while (!im->stop && im->published - im->written > AHEAD)
		pthread_cond_wait(&im->cv, &im->mu);
	stop = im->stop;
	pthread_mutex_unlock(&im->mu);
	return c->rv != 0 || stop ? -1 : 0;
}

/* The header: kept apart, as the field names of every row. */
static int take_header(struct import *im)
{
	struct chunk *c = im->cur;
	const struct row *r = &c->rows[0];
	size_t len = c->text.len - c->offs[r->first];

	if (r->n >= SILVER_MAX_WRITES) {
		read_fail(im, READ_WIDE);
		return -1;
	}
	if (silver_buf_append(&im->hdrtext, cell(c, r, 0), len) != 0 ||
	    !(im->hdr = calloc(r->n, sizeof(char *)))) {
		read_fail(im, READ_NOMEM);
		return -1;
	}
	for (size_t j = 0; j < r->n; j++)
		im->hdr[j] = (char *)im->hdrtext.data + (c->offs[r->first + j] - c->offs[r->first]);
	im->nhdr = r->n;
	/* A UTF-8 byte order mark from spreadsheet programs is not part of the first name. */
	if ((unsigned char)im->hdr[0][0] == 0xEF && (unsigned char)im->hdr[0][1] == 0xBB &&
	    (unsigned char)im->hdr[0][2] == 0xBF)
		memmove(im->hdr[0], im->hdr[0] + 3, strlen(im->hdr[0] + 3) + 1);
	/* the chunk starts again empty */
	c->text.len = 0;
	c->noffs = 0;
	c->nrows = 0;
	im->rowfirst = 0;
	if (im->nhdr == 1 && im->hdr[0][0] == 0) {
		/* only a byte order mark: not a header yet */
		free(im->hdr);
		im->hdr = NULL;
		im->hdrtext.len = 0;
		return 0;
	}
	if (silver_header_map(silver_schema_find(im->collection), im->hdr, (uint32_t)im->nhdr, &im->h,
			      &im->hdr_why) != 0) {
		read_fail(im, READ_HEADER);
		return -1;
	}
	im->have_hdr = 1;
	return 0;
}

static void csv_cell(void *s, size_t n, void *vctx)
{
	struct import *im = vctx;
	struct chunk *c = im->cur;
	static const char nul;
	if (im->oom || !c)
		return;
	if (n && memchr(s, 0, n)) {
		/* libcsv hands the cell whole: a NUL would cut it short */
		im->err_col = (int)(c->noffs - im->rowfirst) + 1;
		read_fail(im, READ_NUL);
		chunk_free(c); /* stop: the rest of the file is ignored */
		im->cur = NULL;
		return;
	}
	if (c->noffs == c->ocap) {
		size_t *no = realloc(c->offs, (c->ocap = c->ocap ? c->ocap * 2 : 1024) * sizeof(size_t));
		if (!no) {
			im->oom = 1;
			return;
		}
		c->offs = no;
	}
	c->offs[c->noffs++] = c->text.len;
	if ((n && silver_buf_append(&c->text, s, n) != 0) || silver_buf_append(&c->text, &nul, 1) != 0) {
		im->oom = 1;
		return;
	}
	if (n && memchr(s, '\n', n))
		for (size_t i = 0; i < n; i++)
			im->nl += ((const char *)s)[i] == '\n';
}

static void csv_row_end(int ch, void *vctx)
{
	struct import *im = vctx;
	struct chunk *c = im->cur;
	if (im->oom || !c)
		return;
	if (c->noffs == im->rowfirst) {
		/* a line break outside any row (CSV_REPALL_NL): a blank line */
		if (!(ch == '\n' && im->last_cr))
			im->line++;
		im->last_cr = ch == '\r';
		return;
	}
	if (c->nrows == c->rcap) {
		struct row *nr = realloc(c->rows, (c->rcap = c->rcap ? c->rcap * 2 : 64) * sizeof(*nr));
		if (!nr) {
			im->oom = 1;
			return;
		}
		c->rows = nr;
	}
	c->rows[c->nrows].first = im->rowfirst;
	c->rows[c->nrows].n = c->noffs - im->rowfirst;
	c->rows[c->nrows].line = im->line;
	im->line += 1 + im->nl;
	im->nl = 0;
	im->last_cr = ch == '\r';
	c->nrows++;
	im->rowfirst = c->noffs;
	if (!im->have_hdr) {
		if (take_header(im) != 0) {
			chunk_free(c);
			im->cur = NULL; /* stop: the error is recorded */
		}
		return;
	}
	if (c->nrows == CHUNK_ROWS) {
		if (chunk_publish(im) != 0)
			return; /* im->cur stays NULL: the rest of the file is ignored */
		if (!(im->cur = chunk_new()))
			im->oom = 1;
		im->rowfirst = 0;
	}
}

/* bytes of the row being read so far */
static size_t c_rowbytes(const struct import *im)
{
	const struct chunk *c = im->cur;
	return im->rowfirst < c->noffs ? c->text.len - c->offs[im->rowfirst] : 0;
}

/* libcsv gathers a cell before handing it over: a row without an end (a
 * file of zeros, a stray quote) must not grow it without bound. */
static void *capped_realloc(void *p, size_t n)
{
	return n > 2 * (size_t)SILVER_TABLE_MAX_LINE ? NULL : realloc(p, n);
}

static void *reader(void *vim)
{
	struct import *im = vim;
	struct csv_parser p;
	char buf[65536];
	size_t n;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_REPALL_NL) != 0) {
		read_fail(im, READ_NOMEM);
		goto out;
	}
	csv_set_realloc_func(&p, capped_realloc);
	csv_set_blk_size(&p, 256 * 1024); /* a long cell grows in few steps, not 128 bytes at a time */
	if (!(im->cur = chunk_new())) {
		read_fail(im, READ_NOMEM);
		goto out_csv;
	}
	while (im->cur && !im->oom && (n = fread(buf, 1, sizeof(buf), im->f)) > 0) {
		if (csv_parse(&p, buf, n, csv_cell, csv_row_end, im) != n) {
			read_fail(im, csv_error(&p) == CSV_ENOMEM ? READ_LONG : READ_CSV);
			im->err_csv = csv_strerror(csv_error(&p));
			goto out_csv;
		}
		if (im->cur && c_rowbytes(im) > SILVER_TABLE_MAX_LINE) {
			read_fail(im, READ_LONG);
			goto out_csv;
		}
	}
	if (im->oom) {
		read_fail(im, READ_NOMEM);
	} else if (im->cur && ferror(im->f)) {
		im->err_errno = errno;
		read_fail(im, READ_IO);
	} else if (im->cur) {
		if (csv_fini(&p, csv_cell, csv_row_end, im) != 0)
			read_fail(im, READ_QUOTE);
		else if (im->oom)
			read_fail(im, READ_NOMEM);
		else if (!im->have_hdr)
			read_fail(im, READ_EMPTY);
		else if (im->cur)
			chunk_publish(im);
	}
out_csv:
	csv_free(&p);
out:
	if (im->cur) {
		chunk_free(im->cur);
		im->cur = NULL;
	}
	pthread_mutex_lock(&im->mu);
	im->done = 1;
	pthread_cond_broadcast(&im->cv);
	pthread_mutex_unlock(&im->mu);
	return NULL;
}

/* ---- the writer ---------------------------------------------------------------- */

/* The chunk after c (the first when c is NULL), waiting for the reader;
 * NULL when there is none and there will be none. */
static struct chunk *chunk_next(struct import *im, struct chunk *c)
{
	struct chunk *next;
	pthread_mutex_lock(&im->mu);
	while (!(next = c ? c->next : im->head) && !im->done)
		pthread_cond_wait(&im->cv, &im->mu);
	pthread_mutex_unlock(&im->mu);
	return next;
}

/* The writer is done with c's drafts: free them, let the reader go on. */
static void chunk_written(struct import *im, struct chunk *c)
{
	if (!c->drafts)
		return;
	free(c->drafts);
	c->drafts = NULL;
	silver_arena_destroy(&c->arena);
	pthread_mutex_lock(&im->mu);
	im->written++;
	pthread_cond_broadcast(&im->cv);
	pthread_mutex_unlock(&im->mu);
}

static int do_import(silver_wtxn *t, void *vim)
{
	struct import *im = vim;
	char id[SILVER_MAX_ID];
	silver_kv kv[SILVER_MAX_WRITES];
	char out[SILVER_MAX_ID * SILVER_MAX_WRITES];
	uint32_t nkv;
	int rv;

	im->imported = 0;
	for (struct chunk *c = chunk_next(im, NULL); c; c = chunk_next(im, c)) {
		for (size_t i = 0; i < c->nrows; i++) {
			const struct row *r = &c->rows[i];
			if (i == c->ndrafted) {
				/* the row the reader refused (rv != 0: a chunk is
				 * published whole otherwise) */
				im->why = c->why;
				return c->rv;
			}
			if (row_blank(c, r))
				continue;
			if (c->drafts)
				rv = silver_wtxn_add_draft(t, &c->drafts[i], id, &im->why);
			else if ((rv = row_width_ok(im, r, &im->why)) ==
					 0 && /* a rerun: check the row again */
				 (rv = row_kv(im, c, r, kv, &nkv, out, &im->why)) == 0)
				rv = silver_wtxn_add(t, im->collection, kv, nkv, id, &im->why);
			if (rv != 0) {
				im->why.row = r->line;
				return rv;
			}
			if (++im->imported % 1024 == 0)
				progress(im);
		}
		if (c->rv != 0) {
			im->why = c->why;
			return c->rv;
		}
		chunk_written(im, c);
	}
	/* every chunk is written: a reader's error (if any) is set */
	if (im->err == READ_OK && im->imported == 0)
		im->err = READ_NOROWS;
	return im->err != READ_OK ? SILVER_EINVAL : 0;
}

static int nothing_imported(const char *path, int err, const silver_why *why)
{
	char ctx[300];
	snprintf(ctx, sizeof(ctx), _("import: nothing imported from %s: "), path);
	return silver_cli_fail(err, why, ctx);
}

static int read_error_report(const struct import *im)
{
	char rbuf[512];
	switch (im->err) {
	case READ_CSV:
		silver_cli_error(_("import: %s is not valid CSV in row %ld: %s"), im->path, im->err_line,
				 im->err_csv);
		return SILVER_EXIT_INPUT;
	case READ_QUOTE:
		silver_cli_error(_("import: %s ends inside a quoted cell (row %ld)"), im->path, im->err_line);
		return SILVER_EXIT_INPUT;
	case READ_IO:
		silver_cli_error(_("import: cannot read %s: %s"), im->path, strerror(im->err_errno));
		return SILVER_EXIT_NOTFOUND;
	case READ_EMPTY:
		silver_cli_error(_("import: %s is empty; the first row must name the fields"), im->path);
		return SILVER_EXIT_INPUT;
	case READ_WIDE:
		silver_cli_error(_("import: too many columns"));
		return SILVER_EXIT_INPUT;
	case READ_NUL:
		silver_cli_error(_("import: %s: row %ld, column %d holds a NUL byte; nothing imported"),
				 im->path, im->err_line, im->err_col);
		return SILVER_EXIT_INPUT;
	case READ_LONG:
		silver_cli_error(
			_("import: %s: the row starting on line %ld is longer than %u bytes; nothing imported"),
			im->path, im->err_line, SILVER_TABLE_MAX_LINE);
		return SILVER_EXIT_INPUT;
	case READ_HEADER:
		silver_cli_error(_("import: %s: header, column %s: %s; nothing imported"), im->path,
				 im->hdr_why.detail,
				 silver_cli_reason(im->hdr_why.reason, rbuf, sizeof(rbuf)));
		return SILVER_EXIT_INPUT;
	case READ_NOROWS:
		silver_cli_error(_("import: %s has a header but no rows; nothing imported"), im->path);
		return SILVER_EXIT_INPUT;
	case READ_NOMEM:
		return nothing_imported(im->path, SILVER_ENOMEM, NULL);
	case READ_OK:
		break;
	}
	return 0;
}

/* silver_table_open's refusal as one message and an exit code */
static int open_error_report(const char *path, int rv, int e, const silver_why *why)
{
	char rbuf[512];
	switch (rv) {
	case SILVER_ENOTFOUND:
	case SILVER_EIO:
		silver_cli_error(_("import: cannot read %s: %s"), path, strerror(e ? e : EIO));
		return SILVER_EXIT_NOTFOUND;
	case SILVER_ENOMEM:
		return nothing_imported(path, rv, NULL);
	default:
		if (!why->reason[0])
			return nothing_imported(path, rv, NULL); /* the store's error, not the file's */
		if (why->row)
			silver_cli_error(_("import: %s, line %ld: %s (%s); nothing imported"), path, why->row,
					 silver_cli_reason(why->reason, rbuf, sizeof(rbuf)), why->detail);
		else
			silver_cli_error(_("import: %s: %s; nothing imported"), path,
					 silver_cli_reason(why->reason, rbuf, sizeof(rbuf)));
		return SILVER_EXIT_INPUT;
	}
}

/* one refused row of a dry run, on stdout */
static int preview_row(const silver_why *why, void *ctx)
{
	char rbuf[512];
	unsigned long *shown = ctx;
	if (++*shown > 1000)
		return 0; /* counted, not shown */
	if (why->field[0])
		printf(_("row %ld: field %s: %s"), why->row, why->field,
		       silver_cli_reason(why->reason, rbuf, sizeof(rbuf)));
	else
		printf(_("row %ld: %s"), why->row, silver_cli_reason(why->reason, rbuf, sizeof(rbuf)));
	if (why->detail[0])
		printf(" (%s)", why->detail);
	putchar('\n');
	return 0;
}

static int dry_run(silver_cli_opts *o, const char *collection, const char *path)
{
	silver_store *s;
	silver_preview pv;
	silver_why why;
	unsigned long shown = 0;
	int rv;

	if ((rv = silver_cli_open(o->dir, SILVER_OPEN_RDONLY, &s)) != 0)
		return rv;
	rv = silver_import_preview(s, collection, path, preview_row, &shown, &pv, &why);
	silver_store_close(&s);
	if (rv == SILVER_ENOTFOUND || rv == SILVER_EIO || rv == SILVER_ENOMEM || (rv != 0 && why.row == 0))
		return open_error_report(path, rv, pv.err_errno, &why);
	if (rv != 0) {
		char rbuf[512];
		if (why.detail[0])
			silver_cli_error(_("import: %s, row %ld: %s (%s)"), path, why.row,
					 silver_cli_reason(why.reason, rbuf, sizeof(rbuf)), why.detail);
		else
			silver_cli_error(_("import: %s, row %ld: %s"), path, why.row,
					 silver_cli_reason(why.reason, rbuf, sizeof(rbuf)));
		return SILVER_EXIT_INPUT;
	}
	if (shown > 1000)
		printf(_("(%lu more refused rows not shown)\n"), shown - 1000);
	printf(_("Dry run: %llu rows read, %llu would be imported into %s, %llu refused; nothing written.\n"),
	       (unsigned long long)pv.rows, (unsigned long long)pv.ok, collection,
	       (unsigned long long)pv.errors);
	return pv.errors ? SILVER_EXIT_INPUT : SILVER_EXIT_OK;
}

int silver_cmd_import(silver_cli_opts *o)
{
	struct import im;
	silver_store *s;
	silver_table *tbl = NULL;
	silver_why owhy;
	pthread_t th;
	int rv, e = 0, dry = 0, argc = 0;
	char *argv[2];
	const char *account = NULL;

	for (int i = 0; i < o->argc; i++) {
		if (strcmp(o->argv[i], "--dry-run") == 0)
			dry = 1;
		else if (strcmp(o->argv[i], "--operator") == 0 && i + 1 < o->argc)
			account = o->argv[++i];
		else if (argc < 2)
			argv[argc++] = o->argv[i];
		else
			argc = 3;
	}
	if (argc != 2) {
		silver_cli_error(
			_("import: usage: silvernode import [--dry-run] [--operator ACCOUNT] COLLECTION "
			  "FILE.csv|FILE.xlsx"));
		return SILVER_EXIT_USAGE;
	}
	/* The workbench names its logged-in account; the command line names
	 * nobody unless told (docs/FORMAT.md section 6). */
	if (account && !silver_operator_ok(account)) {
		silver_cli_error(
			_("import: '%s' is not an account name (1 to 32 of a-z, 0-9, '_', '.', '-')"),
			account);
		return SILVER_EXIT_INPUT;
	}
	if (!silver_schema_find(argv[0])) {
		silver_cli_error(_("import: no collection '%s'"), argv[0]);
		return SILVER_EXIT_INPUT;
	}
	if (dry)
		return dry_run(o, argv[0], argv[1]);
	memset(&im, 0, sizeof(im));
	im.collection = argv[0];
	im.path = argv[1];
	im.line = 1;
	silver_buf_init(&im.hdrtext);
	if ((rv = silver_table_open(im.path, &tbl, &e, &owhy)) != 0)
		return open_error_report(im.path, rv, e, &owhy);
	im.f = silver_table_stream(tbl);
	if ((rv = silver_cli_open(o->dir, 0, &s)) != 0)
		goto out_file;
	if (silver_schema_field(silver_schema_find(im.collection), "retiree", 7) &&
	    (rv = silver_retiree_index_build(s, &im.ix)) != 0) {
		rv = nothing_imported(im.path, rv, NULL);
		silver_store_close(&s);
		goto out_file;
	}
	pthread_mutex_init(&im.mu, NULL);
	pthread_cond_init(&im.cv, NULL);
	if ((rv = pthread_create(&th, NULL, reader, &im)) != 0) {
		rv = nothing_imported(im.path, SILVER_ENOMEM, NULL);
		goto out_store;
	}
	silver_cli_progress_begin(&im.pg);
	rv = silver_store_write_as(s, account, do_import, &im);
	silver_cli_progress_end(&im.pg);
	pthread_mutex_lock(&im.mu);
	im.stop = 1;
	pthread_cond_broadcast(&im.cv);
	pthread_mutex_unlock(&im.mu);
	pthread_join(th, NULL);
	if (rv != 0 && im.err != READ_OK) {
		rv = read_error_report(&im);
	} else if (rv != 0) {
		rv = nothing_imported(im.path, rv, &im.why);
	} else {
		printf(_("Imported %zu records into %s.\n"), im.imported, im.collection);
	}
	while (im.head) {
		struct chunk *c = im.head;
		im.head = c->next;
		chunk_free(c);
	}
out_store:
	pthread_cond_destroy(&im.cv);
	pthread_mutex_destroy(&im.mu);
	silver_store_close(&s);
out_file:
	silver_retiree_index_free(&im.ix);
	silver_table_close(&tbl);
	free(im.hdr);
	silver_buf_release(&im.hdrtext);
	return rv;
}
