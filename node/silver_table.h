/*
 * silver_table.h - tables in and out: the files offices keep (CSV in UTF-8
 * or GBK, XLSX), the header and value forms they write (Chinese labels,
 * 离休干部, 1950/1/2), references by natural key, the import preview, and
 * the writing of CSV and XLSX files.  docs/FORMAT.md ("Import files") is
 * the reference for every accepted form.
 *
 * Library code: every function returns 0 or a negative SILVER_E* code and
 * prints nothing.  Reasons written into a silver_why are English (shown
 * through _()); a reason of the form "message: detail" translates the
 * message.
 */
#ifndef SILVER_TABLE_H
#define SILVER_TABLE_H

#include <stdio.h>

#include "silver_schema.h"
#include "silver_store.h"

/* ---- input files ---------------------------------------------------------- */

#define SILVER_TABLE_MAX_LINE (1u << 20)   /* bytes in one row of a CSV file (its cells and separators) */
#define SILVER_TABLE_MAX_FILE (1ull << 30) /* bytes of a GBK or XLSX file, converted in memory */

enum silver_table_kind {
	SILVER_TABLE_CSV = 1, /* UTF-8 (a leading byte order mark is skipped) */
	SILVER_TABLE_CSV_GBK, /* not UTF-8: read as GB18030 (GBK) and converted */
	SILVER_TABLE_XLSX,    /* the first worksheet of an Office Open XML workbook */
};

typedef struct silver_table silver_table;

/* Open path ("-": standard input, read as UTF-8 CSV) for reading rows.
 * Only regular files are read: a directory, FIFO, device or socket is
 * refused with SILVER_EINVAL ("not a regular file").  The kind is told by
 * the bytes: a ZIP file is XLSX; otherwise the first 64 KiB decide between
 * UTF-8 and GBK.  SILVER_ENOTFOUND (errno in *err_errno) when it cannot be
 * opened; SILVER_EMALFORMED with why for a damaged XLSX or GBK file;
 * SILVER_ELIMIT past SILVER_TABLE_MAX_FILE for a converted kind; SILVER_EIO
 * (errno in *err_errno) when reading fails. */
int silver_table_open(const char *path, silver_table **out, int *err_errno, silver_why *why);
/* The file as UTF-8 CSV bytes (an XLSX sheet turned into CSV), valid until
 * silver_table_close. */
FILE *silver_table_stream(silver_table *t);
enum silver_table_kind silver_table_kind(const silver_table *t);
void silver_table_close(silver_table **t); /* NULLs *t; NULL is fine */

/* ---- headers and values --------------------------------------------------- */

/* What a header cell names: a field of the collection, or one of the
 * natural-key columns that name the retiree a row refers to. */
enum silver_col_kind {
	SILVER_COL_FIELD = 1,
	SILVER_COL_NAT_IDNUM, /* the retiree's 身份证号 */
	SILVER_COL_NAT_NAME,  /* the retiree's 姓名 */
	SILVER_COL_NAT_BIRTH, /* the retiree's 出生日期 */
};

typedef struct silver_col {
	enum silver_col_kind kind;
	const silver_field *field; /* FIELD: the field; NAT_*: the REF field they resolve */
} silver_col;

typedef struct silver_header {
	const silver_collection *c;
	silver_col cols[SILVER_MAX_WRITES];
	uint32_t ncols;
	int natural; /* some column is a NAT_* one */
} silver_header;

/* Map a header row: each cell is a field key ("birth_date"), the field's
 * English label, its label in the running locale, or one of its Chinese
 * names (the catalogue's, and the synonyms of FORMAT.md); spaces around
 * are ignored.  A collection with a field referring to retirees also takes
 * the natural-key columns.  SILVER_ESCHEMA with why (why->row 0, why->detail
 * the column number and text) for an unknown, repeated or empty name, or
 * too many columns. */
int silver_header_map(const silver_collection *c, char *const *cells, uint32_t n, silver_header *out,
		      silver_why *why);

/* A cell in one of the accepted forms turned into what silver_schema_parse
 * takes: enum and set labels (离休干部, "Honorary retired cadre", 离休) into
 * keys, sets split on , ， 、 ; and ；, dates 1950/1/2, 1950.1.2, 1950-1-2,
 * 1950年1月2日, 19500102 and Excel day numbers into YYYY-MM-DD.  Returns
 * text itself when it needs no change, else out (of size n), or text when
 * out is too small (the parser then refuses it). */
const char *silver_value_form(const silver_field *f, const char *text, char *out, size_t n);

/* ---- natural keys ----------------------------------------------------------- */

/* The retirees of one township (all when the node is the county's), by id
 * number and by name and birth date, read once before an import. */
typedef struct silver_retiree_index silver_retiree_index;
int silver_retiree_index_build(silver_store *s, silver_retiree_index **out);
void silver_retiree_index_free(silver_retiree_index **ix);

/* The row's cells (col[i] names cell[i]) with the natural-key columns
 * resolved: writes at most SILVER_MAX_WRITES assignments into kv (keys and
 * texts point into the header, cells or out, a buffer of SILVER_MAX_ID *
 * SILVER_MAX_WRITES bytes at least), values turned by silver_value_form.
 * A REF cell that is not a record id but looks like an id number (15 or
 * 18 characters) is looked up as one.  SILVER_ESCHEMA with why.field the
 * REF field: "no retiree with this id number in the township", "no retiree
 * with this name and birth date in the township", "more than one retiree
 * ...: name the record id", or "the retiree's name and birth date are both
 * needed".  ix may be NULL when h->natural is 0 (then an id number in a
 * REF cell is refused as not a record id). */
int silver_row_kv(const silver_header *h, const silver_retiree_index *ix, char *const *cells, uint32_t n,
		  silver_kv *kv, uint32_t *nkv, char *out, silver_why *why);

/* ---- the preview ------------------------------------------------------------ */

typedef struct silver_preview {
	enum silver_table_kind kind;
	uint64_t rows;	 /* data rows read (blank lines not counted) */
	uint64_t ok;	 /* rows that would be imported */
	uint64_t errors; /* rows refused (each reported to fn) */
	int err_errno;	 /* SILVER_ENOTFOUND, SILVER_EIO: errno */
} silver_preview;

/* Called for each refused row in file order (why->row: the line the row
 * starts on, 1 for the header; why->field: the field, if any); non-zero
 * stops the preview and is returned. */
typedef int (*silver_preview_fn)(const silver_why *why, void *ctx);

/* What `silvernode import COLLECTION FILE` would do, without writing: every
 * row read, mapped, resolved and checked against the schema and the store
 * (references must exist), every refused row reported to fn.  Rows are
 * checked one by one: two rows of the file that refer to each other are
 * not a case (import adds independent records).  Returns 0 when the file
 * could be read to the end (see out->errors), or the error that stopped it
 * (a file that is not CSV, cannot be read, has no header or no data row),
 * with why. */
int silver_import_preview(silver_store *s, const char *collection, const char *path, silver_preview_fn fn,
			  void *ctx, silver_preview *out, silver_why *why);

/* ---- output files ----------------------------------------------------------- */

typedef struct silver_sheet silver_sheet;

/* A new table file at path, written atomically (a temporary file renamed
 * at silver_sheet_close).  xlsx 0: CSV in UTF-8 with a byte order mark (so
 * that spreadsheet programs show Chinese), CRLF line ends, cells quoted as
 * needed; xlsx 1: one worksheet named sheet_name. */
int silver_sheet_create(const char *path, int xlsx, const char *sheet_name, silver_sheet **out);
/* One row of n cells (NULL or "" is an empty cell). */
int silver_sheet_row(silver_sheet *w, const char *const *cells, uint32_t n);
/* Finish the file (rename into place); on failure nothing is left at path. */
int silver_sheet_close(silver_sheet **w);
void silver_sheet_abort(silver_sheet **w); /* drop the file; NULL is fine */

#endif
