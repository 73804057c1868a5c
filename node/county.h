/*
 * county.h - the county's own settings for reports and status, read from a
 * small JSON file (docs/OPERATIONS.md, "The county file"): the county's
 * name, the reporting unit, the townships in the county's own order with
 * the names people use, and after how many days an office counts as
 * behind.  Nothing here is signed or synced: it is how the hub presents
 * what the signed history holds.
 *
 *   {"county": "新郑市", "unit": "新郑市委组织部老干部科", "stale_days": 14,
 *    "townships": [{"code": "xinjianlu", "name": "新建路街道"}, ...]}
 *
 * Every key is optional.  The default file is DIR/county.json beside a
 * node's store.
 */
#ifndef SILVER_COUNTY_H
#define SILVER_COUNTY_H

#include <stddef.h>

#include "silver_store.h"

#define SILVER_COUNTY_FILE "county.json"
#define SILVER_COUNTY_STALE_DAYS 7 /* when the file does not say */

typedef struct silver_county_tw {
	char code[SILVER_MAX_NAME + 1];
	char *name; /* "" when the file gives none */
} silver_county_tw;

typedef struct silver_county {
	char *county; /* "" when not given */
	char *unit;   /* "" when not given */
	int stale_days;
	silver_county_tw *tw; /* in the county's order */
	size_t ntw;
} silver_county;

/* Reads path into c (always initialised; free with silver_county_free).
 * 0; SILVER_ENOTFOUND when there is no such file (c is then the empty
 * default); SILVER_EINVAL with err filled (English, with the line) when the
 * file is not a county file; SILVER_ENOMEM; SILVER_EIO. */
int silver_county_load(const char *path, silver_county *c, char *err, size_t errn) SILVER_WUR;
void silver_county_free(silver_county *c);
/* The position of code in the county's order, or -1. */
int silver_county_index(const silver_county *c, const char *code);
/* The name for people: the county file's, else the built-in label
 * (silver_schema_township_label, translated), else the code. */
const char *silver_county_name(const silver_county *c, const char *code);

/* The newest entry held of every feed (an office's key writing for a
 * township): how current that office's data is here, whatever the route it
 * came by (network or bundle).  *out is malloc'd (free it); 0 or SILVER_E*. */
typedef struct silver_feed_age {
	uint8_t author[SILVER_KEY_BYTES];
	char township[SILVER_MAX_NAME + 1];
	uint64_t seq; /* entries held */
	uint64_t hlc; /* the newest one's clock (0: none) */
} silver_feed_age;
int silver_feed_ages(silver_store *s, silver_feed_age **out, size_t *n) SILVER_WUR;

#endif
