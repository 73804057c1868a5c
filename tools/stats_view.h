/*
 * stats_view.h - a report's sections as grids of text cells (the aligned
 * table and the HTML tables) and as bars (the HTML charts).  Labels are
 * translated here; values are formatted as the user reads them (counts as
 * integers, money as yuan with two decimals).
 */
#ifndef SILVER_STATS_VIEW_H
#define SILVER_STATS_VIEW_H

#include <stdio.h>

#include "county.h"
#include "stats_report.h"

/* What a report says besides the figures: the county file (names, order,
 * reporting unit), the store's digests so that a printed report ties to an
 * audit, when it was made, and how current each township's data is. */
struct stats_fresh {
	char code[SILVER_MAX_NAME + 1];
	uint64_t hlc; /* the newest entry held from the township's offices; 0: none */
	uint64_t entries;
};
struct stats_meta {
	const silver_county *county; /* never NULL (may be empty) */
	char state_digest[2 * SILVER_HASH_BYTES + 1];
	char log_digest[2 * SILVER_HASH_BYTES + 1];
	uint64_t entries;
	char made[32];  /* local "YYYY-MM-DD HH:MM" */
	char today[11]; /* YYYY-MM-DD */
	int64_t now;    /* seconds since the epoch */
	struct stats_fresh *fresh; /* the county file's townships in order, then the others held, by code */
	size_t nfresh;
};

/* Fills m from s (digests, freshness of the county file's townships and of
 * r's) for county c; 0 or SILVER_E*. */
int stats_meta_build(silver_store *s, const silver_county *c, const struct stats_report *r, struct stats_meta *m);
void stats_meta_free(struct stats_meta *m);
/* Puts r's townships in the county's order: those the county file names in
 * its order, then the others by code.  Also makes view_township_label use
 * the county file's names. */
void stats_order(struct stats_report *r, const struct stats_meta *m);
/* The report's title (translated) into out: "<county> ... statistics", or
 * the single township's. */
void view_title(const struct stats_report *r, char *out, size_t n);
/* The age of data in words ("3 days", "today", "never"), and whether it is
 * past the county's stale_days. */
int view_fresh(const struct stats_report *r, const struct stats_fresh *fr, char *date, size_t dn, char *age,
	       size_t an);
/* An integer or fen value with thousands separators ("1,234,567" or
 * "1,700.51") into out (40 bytes). */
void view_number(int64_t v, int money, char out[40]);

#define VIEW_MAXCOLS (STATS_MAXCOLS + 2)

struct view_row {
	char *cell[VIEW_MAXCOLS]; /* malloc'd */
	int total;                /* the county row (or a county row of the groups section) */
};

struct view_grid {
	uint32_t ncols, nlead;        /* nlead leading label columns, then the section's columns */
	const char *head[VIEW_MAXCOLS]; /* translated, static */
	unsigned flags[VIEW_MAXCOLS];   /* STATS_* of the section's columns; 0 for the leading ones */
	struct view_row *rows;
	uint32_t nrows;
};

/* 0 or SILVER_ENOMEM.  Rows: the townships in order, then the county total;
 * for the groups section, (township, group) rows then the county's groups. */
int view_grid_build(const struct stats_report *r, enum stats_sec sec, struct view_grid *g);
void view_grid_free(struct view_grid *g);

struct view_bar {
	char label[256];
	int64_t value;
};
/* The bars of a section's chart (at most max): the STATS_BAR columns of the
 * county row, or one column per township, or per team or club.  *money is
 * set when values are fen. */
uint32_t view_bars(const struct stats_report *r, enum stats_sec sec, struct view_bar *bars, uint32_t max, int *money);

/* A group's display name: its name, else its id, else "(no team or club)". */
const char *view_group_label(const struct stats_group *gr);
/* "County total" (or "Total" when the report is one township's) */
/* A township's name for people (silver_schema_township_label, translated),
 * else its code. */
const char *view_township_label(const char *code);
const char *view_total_label(const struct stats_report *r);
/* The period in words, into out. */
void view_period(const struct stats_report *r, char *out, size_t n);

/* Writes the aligned table (CJK-width aware). */
int stats_write_table(const struct stats_report *r, FILE *f);
/* Writes the self-contained HTML report (report_html.c). */
int stats_write_html(const struct stats_report *r, FILE *f);

#endif
