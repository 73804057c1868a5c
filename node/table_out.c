/*
 * table_out.c - writing tables for spreadsheet programs: CSV in UTF-8 with
 * a byte order mark (without it Excel on a Chinese Windows reads the bytes
 * as GBK and shows garbage) and CRLF line ends, or XLSX through
 * libxlsxwriter.  Either is written to a temporary file beside the target
 * and renamed into place when complete, so a reader never sees half a file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>
#include <xlsxwriter.h>

#include "silver_table.h"

struct silver_sheet {
	char *path, *tmp;
	FILE *f;	  /* CSV */
	lxw_workbook *wb; /* XLSX */
	lxw_worksheet *ws;
	lxw_row_t row;
	int failed;
};

int silver_sheet_create(const char *path, int xlsx, const char *sheet_name, silver_sheet **out)
{
	silver_sheet *w = calloc(1, sizeof(*w));
	size_t n = strlen(path);

	*out = NULL;
	if (!w || !(w->path = strdup(path)) || !(w->tmp = malloc(n + 32))) {
		silver_sheet_abort(&w);
		return SILVER_ENOMEM;
	}
	snprintf(w->tmp, n + 32, "%s.tmp%ld", path, (long)getpid());
	if (xlsx) {
		lxw_workbook_options opt = { .constant_memory = LXW_TRUE, .tmpdir = NULL };
		if (!(w->wb = workbook_new_opt(w->tmp, &opt)) ||
		    !(w->ws = workbook_add_worksheet(w->wb, sheet_name))) {
			silver_sheet_abort(&w);
			return SILVER_EIO;
		}
	} else {
		if (!(w->f = fopen(w->tmp, "wb"))) {
			silver_sheet_abort(&w);
			return SILVER_EIO;
		}
		fputs("\xEF\xBB\xBF", w->f);
	}
	*out = w;
	return 0;
}

int silver_sheet_row(silver_sheet *w, const char *const *cells, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const char *v = cells[i] ? cells[i] : "";
		if (w->wb) {
			if (v[0] &&
			    worksheet_write_string(w->ws, w->row, (lxw_col_t)i, v, NULL) != LXW_NO_ERROR)
				w->failed = 1;
		} else {
			if (i)
				fputc(',', w->f);
			/* quote a cell only when it must be (a separator, quote or line break) */
			if (strpbrk(v, ",\"\r\n"))
				csv_fwrite(w->f, v, strlen(v));
			else
				fputs(v, w->f);
		}
	}
	if (w->f)
		fputs("\r\n", w->f);
	w->row++;
	if (w->f && ferror(w->f))
		w->failed = 1;
	return w->failed ? SILVER_EIO : 0;
}

int silver_sheet_close(silver_sheet **pw)
{
	silver_sheet *w = *pw;
	int bad = w->failed;
	if (w->wb) {
		bad |= workbook_close(w->wb) != LXW_NO_ERROR;
		w->wb = NULL;
	}
	if (w->f) {
		bad |= fflush(w->f) != 0 || fsync(fileno(w->f)) != 0;
		bad |= fclose(w->f) != 0;
		w->f = NULL;
	}
	if (!bad && rename(w->tmp, w->path) != 0)
		bad = 1;
	if (bad) {
		silver_sheet_abort(pw);
		return SILVER_EIO;
	}
	free(w->path);
	free(w->tmp);
	free(w);
	*pw = NULL;
	return 0;
}

void silver_sheet_abort(silver_sheet **pw)
{
	silver_sheet *w = *pw;
	if (!w)
		return;
	if (w->wb)
		workbook_close(w->wb);
	if (w->f)
		fclose(w->f);
	if (w->tmp)
		unlink(w->tmp);
	free(w->path);
	free(w->tmp);
	free(w);
	*pw = NULL;
}
