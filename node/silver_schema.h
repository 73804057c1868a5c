/*
 * silver_schema.h - the collections of ../shared/DOMAIN.md ("Field keys"):
 * their fields, types, required fields and enum values, and the parsing of
 * what a user types (field=value, a CSV cell) into canonical values.
 *
 * Labels are English in N_() and translated when shown (po/zh_CN.po holds
 * the Chinese terms of DOMAIN.md).  Tables are static: nothing to free.
 */
#ifndef SILVER_SCHEMA_H
#define SILVER_SCHEMA_H

#include "silver_proto.h"

enum silver_ftype {
	SILVER_F_TEXT = 1, /* UTF-8, NFC-normalised, no control characters, <= SILVER_MAX_STR */
	SILVER_F_ENUM,     /* one of the field's values */
	SILVER_F_SET,      /* comma-separated values, stored sorted and unique (LIST) */
	SILVER_F_DATE,     /* YYYY-MM-DD, a real calendar date, stored as STR */
	SILVER_F_MONEY,    /* yuan with up to two decimals ("1500.50"), stored as INT fen, >= 0 */
	SILVER_F_INT,      /* a non-negative decimal integer, stored as INT */
	SILVER_F_REF,      /* id of a record of collection ref, stored as STR */
};

typedef struct silver_enumval {
	const char *key;   /* stable ASCII key, e.g. "honorary" */
	const char *label; /* English label in N_(); Chinese via the catalogue */
} silver_enumval;

typedef struct silver_field {
	const char *key;   /* stable ASCII field key, e.g. "birth_date" */
	const char *label; /* N_() English label */
	enum silver_ftype type;
	int required;
	const silver_enumval *values; /* ENUM and SET */
	uint32_t nvalues;
	const char *ref; /* REF: the collection referred to, or NULL for "team or club" style refs listed in refs */
	const char *const *refs; /* REF to one of several collections (NULL-terminated), else NULL */
	int searched; /* TEXT: a list's free-text search looks in it (silver_schema_searched) */
} silver_field;

typedef struct silver_collection {
	const char *name;  /* "retiree" */
	const char *label; /* N_("Retiree") */
	const silver_field *fields;
	uint32_t nfields;
} silver_collection;

/* All collections, in DOMAIN.md order. */
const silver_collection *silver_schema_collections(uint32_t *n);
/* NULL when there is no such collection. */
const silver_collection *silver_schema_find(const char *name);
/* NULL when the collection has no such field (reserved "_del" is not a field). */
const silver_field *silver_schema_field(const silver_collection *c, const char *key, size_t keylen);
/* Does a list's free-text search (q=, node/search.c) look in field f?  The
 * short TEXT fields people search by: names, ID card number, phone, work
 * unit, staff, places, topics; not long prose (notes, health file, care
 * plan), not addresses, and no other type. */
int silver_schema_searched(const silver_field *f);
/* English label of an enum key (for _() at display), or NULL. */
const char *silver_schema_enum_label(const silver_field *f, const uint8_t *key, size_t n);

/* Parse what a user typed into the canonical value for field f.  An empty
 * string gives NIL (clears the field).  Strings in *out point into arena a.
 * On failure returns SILVER_ESCHEMA and writes an English reason (to be
 * wrapped with _() by the caller's format, e.g. "not a date (YYYY-MM-DD)")
 * into why.  REF values are only checked for shape (township/collection/...
 * of the right collection); the store checks that the record exists. */
int silver_schema_parse(const silver_field *f, const char *text, silver_arena *a, silver_value *out,
			char *why, size_t whylen);

/* Append the value as a user would type it (money as "1500.50", sets as
 * "a,b") to out, NUL-terminated (the NUL not counted in out->len). */
int silver_schema_format(const silver_field *f, const silver_value *v, silver_buf *out);

/* Township codes are 1..32 of [a-z0-9_]; "county" is the county itself. */
int silver_schema_township_ok(const char *code);

/* The name people use for a township whose code is one of Xinzheng's
 * (DOMAIN.md: the county silversync is modelled on), untranslated (an
 * N_() string: pass it through _()); NULL for any other code, which is
 * then shown as it is. */
const char *silver_schema_township_label(const char *code);

/* Record ids: "<township>/<collection>/<17 chars>" where the 17 chars are the
 * creating entry's HLC in 13 base32hex digits (0-9a-v, so ids sort in time
 * order) and the first 2 bytes of the author key in 4 hex digits.
 * silver_schema_make_id writes it NUL-terminated into out (SILVER_MAX_ID).
 * silver_schema_split_id checks the shape and returns the township and
 * collection parts (pointers into id). */
int silver_schema_make_id(const char *township, const char *collection, uint64_t hlc,
			  const uint8_t author[SILVER_KEY_BYTES], char out[SILVER_MAX_ID]);
int silver_schema_split_id(const char *id, size_t n, silver_slice *township, silver_slice *collection);

#endif
