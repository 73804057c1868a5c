/*
 * stats_report.h - the county's figures (DOMAIN.md, "Statistics the county
 * hub reports") gathered from the statistics cells a store maintains
 * (silver_store_aggregates, node/stats.c), never from a scan of the
 * records.  silver-stats prints a report in four formats; the property test
 * (tests/unit/test_stats_property.c) fills the same structure by a
 * brute-force recount and compares.  docs/STATS.md describes every figure.
 *
 * A report is a set of sections; each section has fixed columns (stable
 * ASCII keys, English labels in N_()) and one row per township plus the
 * county total.  The activity-by-team-or-club section has one row per
 * (township, team or club) instead; its per-township totals sit in v[] like
 * every other section's.
 *
 * Ownership: stats_report_build fills a caller-provided report; release it
 * with stats_report_free.  Strings in it are owned by the report.
 */
#ifndef SILVER_STATS_REPORT_H
#define SILVER_STATS_REPORT_H

#include <stdint.h>

#include "silver_store.h"

enum stats_sec {
	ST_RETIREES,
	ST_AID,
	ST_VISITS,
	ST_DELIVERIES,
	ST_CEREMONIES,
	ST_ACTIVITIES,
	ST_GROUPS,
	ST_LECTURES,
	ST_CASES,
	ST_BRANCHES,
	ST_TEAMS,
	ST_SERVICES,
	ST_NSEC
};

#define STATS_MAXCOLS 10

/* column flags */
#define STATS_MONEY 1u /* fen, shown as yuan with two decimals */
#define STATS_BAR 2u   /* drawn as a bar of the section's chart */
#define STATS_SUM 4u   /* a total or a secondary measure (bold in HTML) */

struct stats_col {
	const char *key;   /* stable: JSON and CSV */
	const char *label; /* N_() */
	unsigned flags;
};

struct stats_section {
	const char *key;   /* stable: JSON and CSV */
	const char *title; /* N_() */
	const struct stats_col *cols;
	uint32_t ncols;
	int chart_by_township; /* >= 0: the chart shows this column per township; -1: the STATS_BAR columns */
};

extern const struct stats_section stats_sections[ST_NSEC];

/* Columns of ST_GROUPS rows (and of its v[]). */
enum { SG_ACTIVITIES, SG_AUDIENCE };

struct stats_group {
	char *id;   /* record id of the team or club ("" for activities with none) */
	char *name; /* its name, or "" when the record is not held */
	int club;   /* 1: a club, 0: a team or unknown */
	int64_t v[2];
};

struct stats_tw {
	char code[SILVER_MAX_NAME + 1];
	int64_t v[ST_NSEC][STATS_MAXCOLS];
	struct stats_group *groups; /* sorted: teams, then clubs, by name, then id */
	uint32_t ngroups, capgroups;
};

struct stats_report {
	char township[SILVER_MAX_NAME + 1]; /* "" = the whole county */
	char from[11], to[11];              /* "" = unbounded */
	char checkup_from[11], checkup_to[11];
	struct stats_tw *tw; /* sorted by code */
	uint32_t ntw, captw;
	struct stats_tw total;
	/* How the program presents it (stats_view.h): set after building, may
	 * be NULL.  Never read by stats_report_build. */
	const struct stats_meta *meta;
	/* scratch while building: the retirees paid, county-wide and per township */
	struct stats_set *people, *pairs;
};

/* Fill r from the cells of s.  township NULL for the whole county; from/to
 * (YYYY-MM-DD or NULL) bound the dated events; the check-up window is the
 * 365 days before to (today when to is NULL: today is YYYY-MM-DD).  Group
 * names are read with silver_store_get.  Dates must have been checked by
 * the caller (stats_date_ok).  0 or a SILVER_E* code. */
int stats_report_build(silver_store *s, const char *township, const char *from, const char *to, const char *today,
		       struct stats_report *r) SILVER_WUR;
void stats_report_free(struct stats_report *r);

/* For the brute-force recount of the tests: start an empty report for that
 * scope (the windows set as stats_report_build sets them), find or add a
 * township (NULL on ENOMEM) or a group of a township. */
int stats_report_init(struct stats_report *r, const char *township, const char *from, const char *to,
		      const char *today) SILVER_WUR;
struct stats_tw *stats_tw_get(struct stats_report *r, const char *code, size_t n);
struct stats_group *stats_group_get(struct stats_tw *t, const char *id);

/* 1 when d is a real YYYY-MM-DD date. */
int stats_date_ok(const char *d);
/* d minus days, into out (11 bytes). */
void stats_date_minus(const char *d, int days, char out[11]);
/* today's local date into out (11 bytes). */
void stats_today(char out[11]);
/* fen as "1700.51" into out (32 bytes). */
void stats_yuan(int64_t fen, char out[32]);

#endif
