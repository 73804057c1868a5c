/*
 * table_in.c - opening the files offices import: CSV in UTF-8, CSV as
 * Excel saves it on a Chinese Windows (GBK), and XLSX workbooks.  Every kind
 * leaves the caller one thing to read, UTF-8 CSV bytes, so the CSV reader
 * (libcsv) and its checks are the same for all of them.
 *
 *   UTF-8 CSV  streamed from the file as it is.
 *   GBK CSV    when the first 64 KiB are not UTF-8 (utf8_ok): the whole file is read
 *              (at most SILVER_TABLE_MAX_FILE bytes) and converted with
 *              iconv from GB18030 (a superset of GBK and GB2312) to UTF-8.
 *   XLSX       a ZIP file (it starts "PK\3\4"): the first worksheet,
 *              xl/worksheets/sheet1.xml, with its shared strings
 *              (xl/sharedStrings.xml), read with libzip and expat and
 *              written out as CSV: one line per spreadsheet row, so that a
 *              row's line number is its row number in the spreadsheet;
 *              missing cells are empty, every row as wide as the first.
 *              Numbers are taken as Excel stores them (a date cell holds a
 *              day number, which the date form accepts).
 */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <expat.h>
#include <utf8proc.h>
#include <zip.h>

#include "silver_i18n.h"
#include "silver_table.h"

struct silver_table {
	enum silver_table_kind kind;
	FILE *f;    /* the stream handed out */
	FILE *file; /* the file itself, when it is not f */
	char *mem;  /* converted bytes behind f (GBK, XLSX) */
	int is_stdin;
};

static void why_set(silver_why *why, const char *reason, const char *detail, long row)
{
	if (!why)
		return;
	memset(why, 0, sizeof(*why));
	snprintf(why->reason, sizeof(why->reason), "%s", reason);
	if (detail)
		snprintf(why->detail, sizeof(why->detail), "%s", detail);
	why->row = row;
}

/* Is the head of a file (n bytes at p; more: the file goes on) UTF-8?
 * Yes when every sequence is valid (but for one cut at the end).  When
 * some are not: GBK if the bytes are valid GB18030 throughout, else UTF-8
 * when valid multi-byte sequences are at least twice the bad bytes (a UTF-8
 * file with a stray bad byte, which the schema then refuses in its cell),
 * else GBK (the conversion names the first bad byte).  UTF-8 Chinese text
 * often decodes as GB18030 too, so GB18030 is asked only when UTF-8 fails;
 * GBK Chinese text makes few valid UTF-8 sequences. */
static int gb18030_ok(const unsigned char *p, size_t n)
{
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	char out[4096];
	char *ip = (char *)p;
	size_t il = n;
	int ok = 1;
	if (cd == (iconv_t)-1)
		return 0;
	while (il > 0) {
		char *op = out;
		size_t ol = sizeof(out);
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 && errno != E2BIG) {
			ok = errno == EINVAL; /* a sequence cut at the end */
			break;
		}
	}
	iconv_close(cd);
	return ok;
}

static int utf8_ok(const unsigned char *p, size_t n, int more)
{
	size_t i = 0, multi = 0, bad = 0;
	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k < 0) {
			if (more && n - i < 4 && (p[i] & 0xC0) == 0xC0)
				break;
			bad++;
			i++;
			continue;
		}
		multi += k > 1;
		i += (size_t)k;
	}
	if (bad == 0)
		return 1;
	if (gb18030_ok(p, n))
		return 0;
	return multi >= 2 * bad;
}

static int read_all(FILE *f, uint64_t cap, char **out, size_t *outlen)
{
	size_t len = 0, capb = 1 << 16;
	char *b = malloc(capb);
	size_t k;
	if (!b)
		return SILVER_ENOMEM;
	while ((k = fread(b + len, 1, capb - len, f)) > 0) {
		len += k;
		if (len > cap) {
			free(b);
			return SILVER_ELIMIT;
		}
		if (len == capb) {
			char *nb = realloc(b, capb *= 2);
			if (!nb) {
				free(b);
				return SILVER_ENOMEM;
			}
			b = nb;
		}
	}
	if (ferror(f)) {
		free(b);
		return SILVER_EIO;
	}
	*out = b;
	*outlen = len;
	return 0;
}

/* ---- GBK ------------------------------------------------------------------------ */

static int gbk_convert(silver_table *t, silver_why *why)
{
	char *in = NULL, *out = NULL;
	size_t inlen, outcap, outlen;
	iconv_t cd;
	int rv;

	rewind(t->file);
	if ((rv = read_all(t->file, SILVER_TABLE_MAX_FILE, &in, &inlen)) != 0)
		return rv;
	if ((cd = iconv_open("UTF-8", "GB18030")) == (iconv_t)-1) {
		free(in);
		return SILVER_ENOMEM;
	}
	outcap = inlen * 2 + 16; /* GB18030 takes 1, 2 or 4 bytes for what UTF-8 writes in at most 4 */
	if (!(out = malloc(outcap))) {
		rv = SILVER_ENOMEM;
		goto done;
	}
	{
		char *ip = in, *op = out;
		size_t il = inlen, ol = outcap;
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
			long line = 1;
			char at[64];
			for (char *q = in; q < ip; q++)
				line += *q == '\n';
			snprintf(at, sizeof(at), "%zu", (size_t)(ip - in));
			why_set(why, N_("neither UTF-8 nor GBK text, at byte offset"), at, line);
			rv = SILVER_EMALFORMED;
			goto done;
		}
		outlen = outcap - ol;
	}
	if (!(t->f = fmemopen(out, outlen ? outlen : 1, "rb"))) {
		rv = SILVER_ENOMEM;
		goto done;
	}
	if (!outlen)
		fgetc(t->f); /* an empty stream */
	t->mem = out;
	out = NULL;
	rv = 0;
done:
	iconv_close(cd);
	free(in);
	free(out);
	return rv;
}

/* ---- XLSX ------------------------------------------------------------------------ */

struct xl {
	XML_Parser p;
	/* shared strings */
	char **ss;
	size_t nss, ssc;
	int in_si, in_rph, in_t, in_v, in_is;
	silver_buf text; /* the text being collected */
	/* the sheet */
	silver_buf csv;
	silver_buf cells; /* the current row's cells: NUL-terminated, one after another */
	size_t *coff;	  /* each column's offset into cells, or (size_t)-1 */
	size_t ncols, ccap;
	long row; /* the last row written */
	long cur_row;
	size_t width; /* columns of the first row written */
	long cur_col;
	char ctype[16];
	int oom, bad, big; /* big: the CSV would pass SILVER_TABLE_MAX_FILE */
};

static int buf_str(silver_buf *b, const char *s, size_t n)
{
	return silver_buf_append(b, s, n);
}

static void xl_text(void *ud, const XML_Char *s, int len)
{
	struct xl *x = ud;
	if (((x->in_t && !x->in_rph) || x->in_v) && buf_str(&x->text, s, (size_t)len) != 0)
		x->oom = 1;
}

static const char *attr(const XML_Char **a, const char *name)
{
	for (; a && a[0]; a += 2)
		if (strcmp(a[0], name) == 0)
			return a[1];
	return NULL;
}

/* "sst"'s <si>: the string is every <t> in it but those of phonetic runs */
static void ss_start(void *ud, const XML_Char *name, const XML_Char **a)
{
	struct xl *x = ud;
	(void)a;
	if (strcmp(name, "si") == 0) {
		x->in_si = 1;
		x->text.len = 0;
	} else if (strcmp(name, "rPh") == 0) {
		x->in_rph = 1;
	} else if (strcmp(name, "t") == 0 && x->in_si) {
		x->in_t = 1;
	}
}

static void ss_end(void *ud, const XML_Char *name)
{
	struct xl *x = ud;
	if (strcmp(name, "t") == 0) {
		x->in_t = 0;
	} else if (strcmp(name, "rPh") == 0) {
		x->in_rph = 0;
	} else if (strcmp(name, "si") == 0) {
		char *s;
		x->in_si = 0;
		if (x->nss == x->ssc) {
			char **n = realloc(x->ss, (x->ssc = x->ssc ? x->ssc * 2 : 256) * sizeof(char *));
			if (!n) {
				x->oom = 1;
				return;
			}
			x->ss = n;
		}
		if (!(s = malloc(x->text.len + 1))) {
			x->oom = 1;
			return;
		}
		if (x->text.len)
			memcpy(s, x->text.data, x->text.len);
		s[x->text.len] = 0;
		x->ss[x->nss++] = s;
	}
}

/* "B12" -> column 1 (0-based); -1 when it is not a cell reference */
static long col_of(const char *r)
{
	long c = 0;
	int n = 0;
	if (!r)
		return -1;
	for (; *r >= 'A' && *r <= 'Z' && n < 4; r++, n++)
		c = c * 26 + (*r - 'A' + 1);
	return n && n < 4 ? c - 1 : -1;
}

static void csv_quoted(struct xl *x, const char *s)
{
	if (buf_str(&x->csv, "\"", 1) != 0)
		x->oom = 1;
	for (const char *q; (q = strchr(s, '"')); s = q + 1)
		if (buf_str(&x->csv, s, (size_t)(q - s) + 1) != 0 || buf_str(&x->csv, "\"", 1) != 0)
			x->oom = 1;
	if (buf_str(&x->csv, s, strlen(s)) != 0 || buf_str(&x->csv, "\"", 1) != 0)
		x->oom = 1;
}

static void row_flush(struct xl *x)
{
	size_t n = x->ncols, used = 0;
	for (size_t i = 0; i < x->ncols; i++)
		if (x->coff[i] != (size_t)-1 && ((char *)x->cells.data)[x->coff[i]])
			used = i + 1;
	/* spreadsheet rows without a row element, and this one's number */
	while (x->row + 1 < x->cur_row) {
		if (buf_str(&x->csv, "\n", 1) != 0)
			x->oom = 1;
		x->row++;
	}
	if (used == 0) {
		if (buf_str(&x->csv, "\n", 1) != 0)
			x->oom = 1;
	} else {
		if (!x->width)
			x->width = used;
		n = used > x->width ? used : x->width;
		for (size_t i = 0; i < n; i++) {
			const char *v = i < x->ncols && x->coff[i] != (size_t)-1 ?
						(char *)x->cells.data + x->coff[i] :
						"";
			if (i && buf_str(&x->csv, ",", 1) != 0)
				x->oom = 1;
			csv_quoted(x, v);
		}
		if (buf_str(&x->csv, "\n", 1) != 0)
			x->oom = 1;
	}
	x->row = x->cur_row;
	x->ncols = 0;
	x->cells.len = 0;
	/* a few bytes of XML can name a cell 16,000 columns away: bound the text made */
	if (x->csv.len > SILVER_TABLE_MAX_FILE)
		x->big = 1;
}

static void sh_start(void *ud, const XML_Char *name, const XML_Char **a)
{
	struct xl *x = ud;
	if (strcmp(name, "row") == 0) {
		const char *r = attr(a, "r");
		x->cur_row = r ? strtol(r, NULL, 10) : x->row + 1;
		if (x->cur_row <= x->row || x->cur_row > 1048576)
			x->bad = 1;
		x->ncols = 0;
		x->cells.len = 0;
		x->cur_col = -1;
	} else if (strcmp(name, "c") == 0) {
		const char *t = attr(a, "t");
		const char *r = attr(a, "r");
		x->cur_col = r ? col_of(r) : x->cur_col + 1;
		if (x->cur_col < 0 || x->cur_col >= 16384)
			x->bad = 1;
		snprintf(x->ctype, sizeof(x->ctype), "%s", t ? t : "n");
		x->text.len = 0;
	} else if (strcmp(name, "v") == 0) {
		x->in_v = 1;
	} else if (strcmp(name, "is") == 0) {
		x->in_is = 1;
	} else if (strcmp(name, "rPh") == 0) {
		x->in_rph = 1;
	} else if (strcmp(name, "t") == 0 && x->in_is) {
		x->in_t = 1;
	}
}

static void sh_end(void *ud, const XML_Char *name)
{
	struct xl *x = ud;
	if (strcmp(name, "v") == 0) {
		x->in_v = 0;
	} else if (strcmp(name, "t") == 0) {
		x->in_t = 0;
	} else if (strcmp(name, "rPh") == 0) {
		x->in_rph = 0;
	} else if (strcmp(name, "is") == 0) {
		x->in_is = 0;
	} else if (strcmp(name, "c") == 0) {
		const char *v;
		static const char nul;
		if (x->bad || x->cur_col < 0)
			return;
		if (buf_str(&x->text, &nul, 1) != 0) {
			x->oom = 1;
			return;
		}
		v = (const char *)x->text.data;
		if (strcmp(x->ctype, "s") == 0) {
			char *end;
			unsigned long i = strtoul(v, &end, 10);
			if (end == v || *end || i >= x->nss) {
				x->bad = 1;
				return;
			}
			v = x->ss[i];
		} else if (strcmp(x->ctype, "b") == 0) {
			v = strcmp(v, "1") == 0 ? "TRUE" : "FALSE";
		}
		while (x->ncols <= (size_t)x->cur_col) {
			if (x->ncols == x->ccap) {
				size_t *n = realloc(x->coff,
						    (x->ccap = x->ccap ? x->ccap * 2 : 64) * sizeof(size_t));
				if (!n) {
					x->oom = 1;
					return;
				}
				x->coff = n;
			}
			x->coff[x->ncols++] = (size_t)-1;
		}
		x->coff[x->cur_col] = x->cells.len;
		if (buf_str(&x->cells, v, strlen(v) + 1) != 0)
			x->oom = 1;
	} else if (strcmp(name, "row") == 0) {
		if (!x->bad)
			row_flush(x);
	}
}

/* Feed one member of the archive to a fresh expat parser. */
static int xl_parse(struct xl *x, zip_t *z, const char *member, XML_StartElementHandler s,
		    XML_EndElementHandler e, uint64_t *budget, int optional, silver_why *why)
{
	zip_file_t *zf = zip_fopen(z, member, 0);
	char buf[65536];
	zip_int64_t k;
	int rv = 0;

	if (!zf) {
		if (optional)
			return 0;
		why_set(why, N_("not a spreadsheet: the workbook has no first sheet"), member, 0);
		return SILVER_EMALFORMED;
	}
	if (!(x->p = XML_ParserCreate("UTF-8"))) {
		zip_fclose(zf);
		return SILVER_ENOMEM;
	}
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, s, e);
	XML_SetCharacterDataHandler(x->p, xl_text);
	while ((k = zip_fread(zf, buf, sizeof(buf))) > 0) {
		if ((uint64_t)k > *budget) {
			rv = SILVER_ELIMIT;
			break;
		}
		*budget -= (uint64_t)k;
		if (XML_Parse(x->p, buf, (int)k, 0) != XML_STATUS_OK) {
			rv = SILVER_EMALFORMED;
			break;
		}
		if (x->oom || x->bad || x->big)
			break;
	}
	if (rv == 0 && k < 0)
		rv = SILVER_EMALFORMED;
	if (rv == 0 && x->big)
		rv = SILVER_ELIMIT;
	if (rv == 0 && !x->oom && !x->bad && XML_Parse(x->p, "", 0, 1) != XML_STATUS_OK)
		rv = SILVER_EMALFORMED;
	if (rv == 0 && x->oom)
		rv = SILVER_ENOMEM;
	if (rv == 0 && x->bad)
		rv = SILVER_EMALFORMED;
	if (rv == SILVER_EMALFORMED)
		why_set(why, N_("not a spreadsheet this program can read: a damaged part"), member, 0);
	XML_ParserFree(x->p);
	x->p = NULL;
	zip_fclose(zf);
	return rv;
}

static int xlsx_convert(silver_table *t, const char *path, silver_why *why)
{
	struct xl x;
	zip_t *z;
	int zerr = 0, rv;
	uint64_t budget = SILVER_TABLE_MAX_FILE;

	memset(&x, 0, sizeof(x));
	silver_buf_init(&x.text);
	silver_buf_init(&x.csv);
	silver_buf_init(&x.cells);
	if (!(z = zip_open(path, ZIP_RDONLY, &zerr))) {
		why_set(why, N_("not a spreadsheet this program can read: not a ZIP archive"), NULL, 0);
		return SILVER_EMALFORMED;
	}
	rv = xl_parse(&x, z, "xl/sharedStrings.xml", ss_start, ss_end, &budget, 1, why);
	if (rv == 0)
		rv = xl_parse(&x, z, "xl/worksheets/sheet1.xml", sh_start, sh_end, &budget, 0, why);
	if (rv == SILVER_ELIMIT)
		why_set(why, N_("the spreadsheet is too large"), NULL, 0);
	zip_close(z);
	if (rv == 0) {
		if (!(t->f = fmemopen(x.csv.data ? (char *)x.csv.data : "", x.csv.len ? x.csv.len : 1,
				      "rb"))) {
			rv = SILVER_ENOMEM;
		} else {
			if (!x.csv.len)
				fgetc(t->f);
			t->mem = (char *)x.csv.data;
			silver_buf_init(&x.csv); /* handed over */
		}
	}
	for (size_t i = 0; i < x.nss; i++)
		free(x.ss[i]);
	free(x.ss);
	free(x.coff);
	silver_buf_release(&x.text);
	silver_buf_release(&x.csv);
	silver_buf_release(&x.cells);
	return rv;
}

/* ---- opening --------------------------------------------------------------------- */

int silver_table_open(const char *path, silver_table **out, int *err_errno, silver_why *why)
{
	silver_table *t;
	struct stat st;
	unsigned char head[65536];
	size_t n;
	int rv, fd;

	*out = NULL;
	if (err_errno)
		*err_errno = 0;
	if (why)
		memset(why, 0, sizeof(*why));
	if (!(t = calloc(1, sizeof(*t))))
		return SILVER_ENOMEM;
	if (strcmp(path, "-") == 0) {
		t->f = stdin;
		t->is_stdin = 1;
		t->kind = SILVER_TABLE_CSV;
		*out = t;
		return 0;
	}
	/* O_NONBLOCK: opening a FIFO must not wait for a writer before it is
	 * refused */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (err_errno)
			*err_errno = errno;
		free(t);
		return SILVER_ENOTFOUND;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		why_set(why, N_("not a regular file (a directory, device or pipe cannot be imported)"), path,
			0);
		close(fd);
		free(t);
		return SILVER_EINVAL;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 || !(t->file = fdopen(fd, "rb"))) {
		if (err_errno)
			*err_errno = errno;
		close(fd);
		free(t);
		return SILVER_EIO;
	}
	n = fread(head, 1, sizeof(head), t->file);
	if (ferror(t->file)) {
		if (err_errno)
			*err_errno = errno;
		fclose(t->file);
		free(t);
		return SILVER_EIO;
	}
	if (n >= 4 && memcmp(head, "PK\3\4", 4) == 0) {
		t->kind = SILVER_TABLE_XLSX;
		rv = xlsx_convert(t, path, why);
	} else if (!utf8_ok(head, n, n == sizeof(head))) {
		t->kind = SILVER_TABLE_CSV_GBK;
		rv = gbk_convert(t, why);
	} else {
		t->kind = SILVER_TABLE_CSV;
		rewind(t->file);
		t->f = t->file;
		t->file = NULL;
		rv = 0;
	}
	if (rv != 0) {
		if (rv == SILVER_ELIMIT && why && !why->reason[0])
			why_set(why, N_("the file is too large to convert (more than 1 GiB)"), NULL, 0);
		silver_table_close(&t);
		return rv;
	}
	*out = t;
	return 0;
}

FILE *silver_table_stream(silver_table *t)
{
	return t->f;
}

enum silver_table_kind silver_table_kind(const silver_table *t)
{
	return t->kind;
}

void silver_table_close(silver_table **pt)
{
	silver_table *t = *pt;
	if (!t)
		return;
	if (t->f && !t->is_stdin)
		fclose(t->f);
	if (t->file)
		fclose(t->file);
	free(t->mem);
	free(t);
	*pt = NULL;
}
