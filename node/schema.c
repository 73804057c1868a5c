/*
 * schema.c - the collections of DOMAIN.md ("Field keys") as static tables,
 * and the parsing of what a user types into canonical values.
 *
 * Parsing rules (silver_schema_parse), for every type: ASCII spaces (0x20)
 * are trimmed at both ends; what remains empty gives NIL (the field is
 * cleared; whether a required field may be cleared is the store's call).
 *
 *   TEXT   valid UTF-8 (no overlongs, surrogates or code points past
 *          U+10FFFF), normalised to NFC, at most SILVER_MAX_STR bytes after
 *          normalisation.  Control characters (U+0000-U+001F, U+007F-U+009F)
 *          are refused, except LF ("\n") in the free-text fields "notes",
 *          "health_notes" and "care_plan", which may run over several lines
 *          (a spreadsheet cell with line breaks).  CR is refused everywhere.
 *   ENUM   the exact key ("honorary"), ASCII, case-sensitive.
 *   SET    keys separated by commas, spaces around the commas allowed; every
 *          item must be a key; duplicates collapse; an empty item is refused.
 *          Stored as a LIST sorted ascending by bytes.
 *   DATE   exactly YYYY-MM-DD, a real calendar date, year 1900..2100.
 *   MONEY  yuan: digits, optionally '.' and one or two digits; no sign,
 *          exponent or separators; at most 10^12 fen.  Stored as INT fen.
 *   INT    decimal digits only, below 2^53 (exact in a JSON double).
 *   REF    "<township>/<collection>/<17 chars>" (see silver_schema_make_id)
 *          where collection is f->ref or one of f->refs.  Shape only.
 *
 * Reasons written into "why" are short English phrases: either a string
 * literal, or a literal prefix ending in ": " followed by ASCII keys
 * ("not one of: honorary, retired"), so that a caller can translate the
 * prefix with _() and print the keys as they are.
 *
 * Record ids: the 17 chars are 13 base32hex digits (0-9a-v) of the HLC,
 * big-endian, the first digit holding the top 4 bits (so it is 0-f), then
 * 4 lowercase hex digits of author[0] and author[1].  Equal-length ids of
 * one township and collection sort by strcmp in HLC order.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <utf8proc.h>

#include "silver_i18n.h"
#include "silver_schema.h"

#define NV(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))
#define IDTAIL 17                /* chars after the second '/' of an id */
#define MAX_FEN 1000000000000LL  /* 10^12 fen = 10^10 yuan */
#define MAX_INT (1LL << 53)

/* ---- the tables ---------------------------------------------------------- */

#define TEXT(k, l) { k, l, SILVER_F_TEXT, 0, NULL, 0, NULL, NULL, 0 }
#define TEXT_R(k, l) { k, l, SILVER_F_TEXT, 1, NULL, 0, NULL, NULL, 0 }
/* searched by a list's free-text search (silver_schema_searched) */
#define TEXT_Q(k, l) { k, l, SILVER_F_TEXT, 0, NULL, 0, NULL, NULL, 1 }
#define TEXT_RQ(k, l) { k, l, SILVER_F_TEXT, 1, NULL, 0, NULL, NULL, 1 }
#define DATE(k, l) { k, l, SILVER_F_DATE, 0, NULL, 0, NULL, NULL, 0 }
#define DATE_R(k, l) { k, l, SILVER_F_DATE, 1, NULL, 0, NULL, NULL, 0 }
#define INT(k, l) { k, l, SILVER_F_INT, 0, NULL, 0, NULL, NULL, 0 }
#define MONEY_R(k, l) { k, l, SILVER_F_MONEY, 1, NULL, 0, NULL, NULL, 0 }
#define ENUM(k, l, v) { k, l, SILVER_F_ENUM, 0, v, NV(v), NULL, NULL, 0 }
#define ENUM_R(k, l, v) { k, l, SILVER_F_ENUM, 1, v, NV(v), NULL, NULL, 0 }
#define SET(k, l, v) { k, l, SILVER_F_SET, 0, v, NV(v), NULL, NULL, 0 }
#define REF(k, l, c) { k, l, SILVER_F_REF, 0, NULL, 0, c, NULL, 0 }
#define REF_R(k, l, c) { k, l, SILVER_F_REF, 1, NULL, 0, c, NULL, 0 }
#define REFS(k, l, cs) { k, l, SILVER_F_REF, 0, NULL, 0, NULL, cs, 0 }

static const silver_enumval category_v[] = {
	{ "honorary", N_("Honorary retired cadre") },
	{ "retired", N_("Retired cadre") },
};
static const silver_enumval gender_v[] = {
	{ "m", N_("Male") },
	{ "f", N_("Female") },
};
/* hardship flags of a retiree and reasons for an aid payment */
static const silver_enumval hardship_v[] = {
	{ "illness", N_("Serious illness") },
	{ "old_age", N_("Advanced age") },
	{ "low_income", N_("Low household income") },
	{ "other", N_("Other special hardship") },
};
static const silver_enumval visit_v[] = {
	{ "birthday", N_("Birthday visit") },
	{ "illness", N_("Illness or hospital visit") },
	{ "letter_call", N_("Visit after a letter or call") },
	{ "festival", N_("Major festival visit") },
	{ "emergency", N_("Emergency visit") },
};
static const silver_enumval delivery_v[] = {
	{ "materials", N_("Study materials delivery") },
	{ "warmth", N_("Festival warmth delivery") },
	{ "care", N_("Hospital care delivery") },
	{ "aid", N_("Hardship help delivery") },
	{ "skills", N_("Digital skills delivery") },
};
static const silver_enumval model_v[] = {
	{ "provincial", N_("Provincial model branch") },
	{ "city", N_("City model branch") },
	{ "county", N_("County model branch") },
	{ "none", N_("Not a model branch") },
};
static const silver_enumval activity_v[] = {
	{ "performance", N_("Arts performance") },
	{ "youth_event", N_("Youth care event") },
	{ "science_trip", N_("Science trip") },
	{ "leaflets", N_("Leaflet distribution") },
	{ "opera", N_("Opera performance") },
	{ "new_piece", N_("New opera piece") },
	{ "other", N_("Other activity") },
};
static const silver_enumval lecture_v[] = {
	{ "lecture", N_("Lecture") },
	{ "report", N_("Report talk") },
	{ "six_into", N_("Six-into talk") },
};
static const silver_enumval stage_v[] = {
	{ "pre_litigation", N_("Pre-litigation") },
	{ "in_litigation", N_("In litigation") },
};
static const silver_enumval status_v[] = {
	{ "open", N_("In mediation") },
	{ "settled", N_("Settled") },
	{ "failed", N_("Not settled") },
};

static const char *const team_or_club[] = { "team", "club", NULL };

static const silver_field retiree_f[] = {
	TEXT_RQ("name", N_("Name")),
	ENUM_R("category", N_("Category"), category_v),
	ENUM("gender", N_("Gender"), gender_v),
	DATE_R("birth_date", N_("Date of birth")),
	TEXT_Q("id_number", N_("ID card number")),
	TEXT_Q("unit", N_("Work unit")),
	REF("branch", N_("Party branch"), "branch"),
	TEXT("address", N_("Address")),
	TEXT_Q("phone", N_("Phone")),
	SET("hardship", N_("Hardship categories"), hardship_v),
	DATE("checkup_date", N_("Annual check-up date")),
	TEXT("health_notes", N_("Health file")),
	TEXT("care_plan", N_("Care plan")),
	TEXT("notes", N_("Notes")),
	/* a move to another township (silvernode transfer): the old record
	 * names the new one and counts no more; the new one names the old */
	TEXT("transferred_to", N_("Moved to (new record)")),
	TEXT("transferred_from", N_("Moved from (old record)")),
};
static const silver_field visit_f[] = {
	REF_R("retiree", N_("Retiree"), "retiree"),
	DATE_R("date", N_("Date")),
	ENUM_R("type", N_("Visit type"), visit_v),
	TEXT_Q("staff", N_("Staff")),
	TEXT("notes", N_("Notes")),
};
static const silver_field delivery_f[] = {
	REF_R("retiree", N_("Retiree"), "retiree"),
	DATE_R("date", N_("Date")),
	ENUM_R("type", N_("Delivery type"), delivery_v),
	TEXT("notes", N_("Notes")),
};
static const silver_field aid_f[] = {
	REF_R("retiree", N_("Retiree"), "retiree"),
	DATE_R("date", N_("Date")),
	MONEY_R("amount", N_("Amount (yuan)")),
	ENUM_R("reason", N_("Aid reason"), hardship_v),
	TEXT_Q("approver", N_("Approver")),
	TEXT("notes", N_("Notes")),
};
static const silver_field ceremony_f[] = {
	TEXT_RQ("person", N_("Retiring cadre")),
	DATE_R("date", N_("Date")),
	TEXT_Q("unit", N_("Work unit")),
	REF("retiree", N_("Retiree"), "retiree"),
};
static const silver_field branch_f[] = {
	TEXT_RQ("name", N_("Branch name")),
	TEXT_Q("secretary", N_("Branch secretary")),
	TEXT_Q("liaison", N_("Liaison staff")),
	ENUM("model_level", N_("Model branch level"), model_v),
};
static const silver_field team_f[] = {
	TEXT_RQ("name", N_("Team name")),
};
static const silver_field club_f[] = {
	TEXT_RQ("name", N_("Club name")),
};
static const silver_field activity_f[] = {
	DATE_R("date", N_("Date")),
	ENUM_R("kind", N_("Activity kind"), activity_v),
	REFS("group", N_("Team or club"), team_or_club),
	TEXT_Q("place", N_("Place")),
	INT("participants", N_("Participants")),
	INT("audience", N_("Audience reached")),
	TEXT("notes", N_("Notes")),
};
static const silver_field lecture_f[] = {
	DATE_R("date", N_("Date")),
	ENUM_R("kind", N_("Lecture kind"), lecture_v),
	TEXT_Q("topic", N_("Topic")),
	INT("attendance", N_("Attendance")),
};
static const silver_field case_f[] = {
	DATE_R("received_date", N_("Date received")),
	ENUM_R("stage", N_("Stage"), stage_v),
	TEXT_Q("mediator", N_("Mediator")),
	ENUM_R("status", N_("Case status"), status_v),
	DATE("closed_date", N_("Date closed")),
	TEXT("notes", N_("Notes")),
};
static const silver_field service_f[] = {
	REF_R("retiree", N_("Retiree"), "retiree"),
	DATE_R("date", N_("Date")),
	TEXT_Q("community", N_("Community")),
	TEXT_Q("kind", N_("Service kind")),
};

#define COLL(n, l, f) { n, l, f, NV(f) }
static const silver_collection collections[] = {
	COLL("retiree", N_("Retiree"), retiree_f),
	COLL("visit", N_("Visit"), visit_f),
	COLL("delivery", N_("Delivery"), delivery_f),
	COLL("aid", N_("Aid payment"), aid_f),
	COLL("ceremony", N_("Retirement ceremony"), ceremony_f),
	COLL("branch", N_("Party branch"), branch_f),
	COLL("team", N_("Volunteer team"), team_f),
	COLL("club", N_("Club"), club_f),
	COLL("activity", N_("Activity"), activity_f),
	COLL("lecture", N_("Lecture or report"), lecture_f),
	COLL("case", N_("Mediation case"), case_f),
	COLL("service", N_("Community service"), service_f),
};

/* ---- lookups ------------------------------------------------------------- */

const silver_collection *silver_schema_collections(uint32_t *n)
{
	if (n)
		*n = NV(collections);
	return collections;
}

const silver_collection *silver_schema_find(const char *name)
{
	uint32_t i;

	if (!name)
		return NULL;
	for (i = 0; i < NV(collections); i++)
		if (strcmp(collections[i].name, name) == 0)
			return &collections[i];
	return NULL;
}

/* key[0..n) equals the NUL-terminated s */
static int keyeq(const char *s, const void *key, size_t n)
{
	return strlen(s) == n && memcmp(s, key, n) == 0;
}

const silver_field *silver_schema_field(const silver_collection *c, const char *key, size_t keylen)
{
	uint32_t i;

	if (!c || !key)
		return NULL;
	for (i = 0; i < c->nfields; i++)
		if (keyeq(c->fields[i].key, key, keylen))
			return &c->fields[i];
	return NULL;
}

static const silver_enumval *enum_find(const silver_field *f, const void *key, size_t n)
{
	uint32_t i;

	for (i = 0; i < f->nvalues; i++)
		if (keyeq(f->values[i].key, key, n))
			return &f->values[i];
	return NULL;
}

int silver_schema_searched(const silver_field *f)
{
	return f && f->type == SILVER_F_TEXT && f->searched;
}

const char *silver_schema_enum_label(const silver_field *f, const uint8_t *key, size_t n)
{
	const silver_enumval *v;

	if (!f || !key || !f->values)
		return NULL;
	v = enum_find(f, key, n);
	return v ? v->label : NULL;
}

/* ---- parsing ------------------------------------------------------------- */

static int refuse(char *why, size_t whylen, const char *reason)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", reason);
	return SILVER_ESCHEMA;
}

/* "prefix" followed by the field's keys (or ref collections), comma-separated */
static int refuse_list(char *why, size_t whylen, const char *prefix, const silver_field *f)
{
	size_t off;
	uint32_t i;
	int k;

	if (!why || !whylen)
		return SILVER_ESCHEMA;
	k = snprintf(why, whylen, "%s", prefix);
	off = k < 0 ? 0 : (size_t)k;
	if (f->type == SILVER_F_REF) {
		if (f->ref && off < whylen) {
			k = snprintf(why + off, whylen - off, "%s", f->ref);
			off += k < 0 ? 0 : (size_t)k;
		}
		for (i = 0; f->refs && f->refs[i] && off < whylen; i++) {
			k = snprintf(why + off, whylen - off, "%s%s", i ? ", " : "", f->refs[i]);
			off += k < 0 ? 0 : (size_t)k;
		}
		return SILVER_ESCHEMA;
	}
	for (i = 0; i < f->nvalues && off < whylen; i++) {
		k = snprintf(why + off, whylen - off, "%s%s", i ? ", " : "", f->values[i].key);
		off += k < 0 ? 0 : (size_t)k;
	}
	return SILVER_ESCHEMA;
}

static const uint8_t *arena_str(silver_arena *a, const void *p, size_t n)
{
	uint8_t *s = silver_arena_alloc(a, n + 1);

	if (s && n)
		memcpy(s, p, n);
	return s;
}

static int set_str(silver_value *out, silver_arena *a, const void *p, size_t n)
{
	const uint8_t *s = arena_str(a, p, n);

	if (!s)
		return SILVER_ENOMEM;
	out->type = SILVER_V_STR;
	out->s.p = s;
	out->s.n = (uint32_t)n;
	return 0;
}

static int multiline(const silver_field *f)
{
	return strcmp(f->key, "notes") == 0 || strcmp(f->key, "health_notes") == 0 ||
	       strcmp(f->key, "care_plan") == 0;
}

/* Code points that are NFC starters which never compose with a neighbour
 * and have no canonical decomposition: every one below U+0300 (combining
 * marks start there), CJK symbols and punctuation but the combining tone
 * marks U+302A-302F, CJK unified ideographs, halfwidth and fullwidth forms. */
static int nfc_stable(utf8proc_int32_t cp)
{
	return cp < 0x300 || (cp >= 0x3000 && cp <= 0x3029) || (cp >= 0x3030 && cp <= 0x303f) ||
	       (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xff00 && cp <= 0xffef);
}

static int parse_text(const silver_field *f, const char *p, size_t n, silver_arena *a,
		      silver_value *out, char *why, size_t whylen)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;
	utf8proc_uint8_t *nfc, *copy;
	size_t i, m;
	int rv, stable = 1;

	/* NFC never shrinks text by a factor anywhere near 4: longer input
	 * cannot end up within the limit, so refuse it before normalising. */
	if (n > 4 * (size_t)SILVER_MAX_STR)
		return refuse(why, whylen, N_("too long (more than 4096 bytes)"));
	for (i = 0; i < n; i += (size_t)k) {
		k = utf8proc_iterate((const utf8proc_uint8_t *)p + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k < 0 || cp < 0)
			return refuse(why, whylen, N_("not valid UTF-8 text"));
		if ((cp < 0x20 && !(cp == '\n' && multiline(f))) || (cp >= 0x7f && cp <= 0x9f))
			return refuse(why, whylen, N_("contains a control character"));
		if (!nfc_stable(cp))
			stable = 0;
	}
	/* Text made only of characters that NFC leaves alone whatever their
	 * neighbours (ASCII, Latin-1, CJK ideographs and punctuation: most of
	 * what offices type) is its own normal form. */
	if (stable) {
		if (n > SILVER_MAX_STR)
			return refuse(why, whylen, N_("too long (more than 4096 bytes)"));
		return set_str(out, a, (const utf8proc_uint8_t *)p, n);
	}
	/* utf8proc_NFC wants a NUL-terminated string; p is a window of one. */
	copy = malloc(n + 1);
	if (!copy)
		return SILVER_ENOMEM;
	memcpy(copy, p, n);
	copy[n] = 0;
	nfc = utf8proc_NFC(copy);
	free(copy);
	if (!nfc)
		return SILVER_ENOMEM; /* input was checked to be valid */
	m = strlen((const char *)nfc);
	if (m > SILVER_MAX_STR)
		rv = refuse(why, whylen, N_("too long (more than 4096 bytes)"));
	else
		rv = set_str(out, a, nfc, m);
	free(nfc);
	return rv;
}

static int parse_enum(const silver_field *f, const char *p, size_t n, silver_arena *a,
		      silver_value *out, char *why, size_t whylen)
{
	const silver_enumval *v = enum_find(f, p, n);

	if (!v)
		return refuse_list(why, whylen, N_("not one of: "), f);
	return set_str(out, a, v->key, strlen(v->key));
}

static int cmp_key(const void *x, const void *y)
{
	const silver_enumval *const *a = x, *const *b = y;

	return strcmp((*a)->key, (*b)->key); /* strcmp compares as unsigned char */
}

static int parse_set(const silver_field *f, const char *p, size_t n, silver_arena *a,
		     silver_value *out, char *why, size_t whylen)
{
	const silver_enumval *chosen[SILVER_MAX_LIST];
	const silver_enumval *v;
	uint32_t nchosen = 0, i, j;
	size_t start = 0, end, b, e;

	if (f->nvalues > SILVER_MAX_LIST)
		return SILVER_EINVAL; /* a table bug */
	while (start <= n) {
		for (end = start; end < n && p[end] != ','; end++)
			;
		for (b = start; b < end && p[b] == ' '; b++)
			;
		for (e = end; e > b && p[e - 1] == ' '; e--)
			;
		if (b == e)
			return refuse(why, whylen, N_("an empty item in the list"));
		v = enum_find(f, p + b, e - b);
		if (!v)
			return refuse_list(why, whylen, N_("not one of: "), f);
		for (j = 0; j < nchosen && chosen[j] != v; j++)
			;
		if (j == nchosen)
			chosen[nchosen++] = v; /* at most nvalues distinct */
		start = end + 1;
	}
	qsort(chosen, nchosen, sizeof(chosen[0]), cmp_key);
	out->items = silver_arena_alloc(a, nchosen * sizeof(*out->items));
	if (!out->items)
		return SILVER_ENOMEM;
	for (i = 0; i < nchosen; i++) {
		size_t len = strlen(chosen[i]->key);

		out->items[i].p = arena_str(a, chosen[i]->key, len);
		if (!out->items[i].p)
			return SILVER_ENOMEM;
		out->items[i].n = (uint32_t)len;
	}
	out->type = SILVER_V_LIST;
	out->n = nchosen;
	return 0;
}

static int isdig(char c)
{
	return c >= '0' && c <= '9';
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int parse_date(const char *p, size_t n, silver_arena *a, silver_value *out, char *why,
		      size_t whylen)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, dim;
	size_t i;

	if (n != 10 || p[4] != '-' || p[7] != '-')
		return refuse(why, whylen, N_("not a date (YYYY-MM-DD)"));
	for (i = 0; i < n; i++)
		if (i != 4 && i != 7 && !isdig(p[i]))
			return refuse(why, whylen, N_("not a date (YYYY-MM-DD)"));
	y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
	m = (p[5] - '0') * 10 + (p[6] - '0');
	d = (p[8] - '0') * 10 + (p[9] - '0');
	if (y < 1900 || y > 2100)
		return refuse(why, whylen, N_("year not between 1900 and 2100"));
	if (m < 1 || m > 12)
		return refuse(why, whylen, N_("no such date"));
	dim = mdays[m - 1] + (m == 2 && leap(y));
	if (d < 1 || d > dim)
		return refuse(why, whylen, N_("no such date"));
	return set_str(out, a, p, n);
}

static int parse_money(const char *p, size_t n, silver_value *out, char *why, size_t whylen)
{
	int64_t yuan = 0, fen = 0;
	size_t i = 0, ndec = 0;

	if (p[0] == '-')
		return refuse(why, whylen, N_("amount cannot be negative"));
	for (; i < n && isdig(p[i]); i++) {
		if (yuan > MAX_FEN / 100)
			return refuse(why, whylen, N_("amount too large"));
		yuan = yuan * 10 + (p[i] - '0');
	}
	if (i == 0)
		return refuse(why, whylen, N_("not an amount (like 1500.50)"));
	if (i < n) {
		if (p[i] != '.')
			return refuse(why, whylen, N_("not an amount (like 1500.50)"));
		for (i++; i < n && isdig(p[i]); i++, ndec++)
			if (ndec < 2)
				fen = fen * 10 + (p[i] - '0');
		if (i < n || ndec == 0)
			return refuse(why, whylen, N_("not an amount (like 1500.50)"));
		if (ndec > 2)
			return refuse(why, whylen, N_("more than two decimals"));
		if (ndec == 1)
			fen *= 10;
	}
	if (yuan > MAX_FEN / 100 || yuan * 100 + fen > MAX_FEN)
		return refuse(why, whylen, N_("amount too large"));
	out->type = SILVER_V_INT;
	out->i = yuan * 100 + fen;
	return 0;
}

static int parse_int(const char *p, size_t n, silver_value *out, char *why, size_t whylen)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isdig(p[i]))
			return refuse(why, whylen, N_("not a whole number"));
		v = v * 10 + (p[i] - '0');
		if (v >= MAX_INT)
			return refuse(why, whylen, N_("number too large"));
	}
	out->type = SILVER_V_INT;
	out->i = v;
	return 0;
}

static int slice_is(silver_slice s, const char *name)
{
	return name && keyeq(name, s.p, s.n);
}

static int parse_ref(const silver_field *f, const char *p, size_t n, silver_arena *a,
		     silver_value *out, char *why, size_t whylen)
{
	silver_slice town, coll;
	int ok = 0;
	uint32_t i;

	if (silver_schema_split_id(p, n, &town, &coll) != 0)
		return refuse(why, whylen, N_("not a record id (township/collection/id)"));
	ok = slice_is(coll, f->ref);
	for (i = 0; !ok && f->refs && f->refs[i]; i++)
		ok = slice_is(coll, f->refs[i]);
	if (!ok)
		return refuse_list(why, whylen, N_("not a record id of: "), f);
	return set_str(out, a, p, n);
}

int silver_schema_parse(const silver_field *f, const char *text, silver_arena *a, silver_value *out,
			char *why, size_t whylen)
{
	size_t n;

	if (why && whylen)
		why[0] = 0;
	if (!out)
		return SILVER_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!f || !text || !a)
		return SILVER_EINVAL;
	while (*text == ' ')
		text++;
	n = strlen(text);
	while (n && text[n - 1] == ' ')
		n--;
	if (n == 0)
		return 0; /* NIL */
	switch (f->type) {
	case SILVER_F_TEXT:
		return parse_text(f, text, n, a, out, why, whylen);
	case SILVER_F_ENUM:
		return parse_enum(f, text, n, a, out, why, whylen);
	case SILVER_F_SET:
		return parse_set(f, text, n, a, out, why, whylen);
	case SILVER_F_DATE:
		return parse_date(text, n, a, out, why, whylen);
	case SILVER_F_MONEY:
		return parse_money(text, n, out, why, whylen);
	case SILVER_F_INT:
		return parse_int(text, n, out, why, whylen);
	case SILVER_F_REF:
		return parse_ref(f, text, n, a, out, why, whylen);
	}
	return SILVER_EINVAL;
}

/* ---- formatting ---------------------------------------------------------- */

int silver_schema_format(const silver_field *f, const silver_value *v, silver_buf *out)
{
	char num[32];
	uint32_t i;
	int rv = 0;

	if (!f || !v || !out)
		return SILVER_EINVAL;
	if (v->type == SILVER_V_NIL)
		goto done;
	switch (f->type) {
	case SILVER_F_TEXT:
	case SILVER_F_ENUM:
	case SILVER_F_DATE:
	case SILVER_F_REF:
		if (v->type != SILVER_V_STR)
			return SILVER_ESCHEMA;
		rv = silver_buf_append(out, v->s.p, v->s.n);
		break;
	case SILVER_F_SET:
		if (v->type != SILVER_V_LIST)
			return SILVER_ESCHEMA;
		for (i = 0; i < v->n && rv == 0; i++) {
			if (i)
				rv = silver_buf_append(out, ",", 1);
			if (rv == 0)
				rv = silver_buf_append(out, v->items[i].p, v->items[i].n);
		}
		break;
	case SILVER_F_MONEY:
		if (v->type != SILVER_V_INT || v->i < 0)
			return SILVER_ESCHEMA;
		snprintf(num, sizeof(num), "%lld.%02lld", (long long)(v->i / 100),
			 (long long)(v->i % 100));
		rv = silver_buf_append(out, num, strlen(num));
		break;
	case SILVER_F_INT:
		if (v->type != SILVER_V_INT)
			return SILVER_ESCHEMA;
		snprintf(num, sizeof(num), "%lld", (long long)v->i);
		rv = silver_buf_append(out, num, strlen(num));
		break;
	default:
		return SILVER_EINVAL;
	}
	if (rv)
		return rv;
done:
	/* terminate without counting the NUL */
	if ((rv = silver_buf_append(out, "", 1)) != 0)
		return rv;
	out->len--;
	return 0;
}

/* ---- townships and record ids -------------------------------------------- */

/* The name rules are proto's (proto/names.c); ids are made of them. */
static int name_ok(const char *p, size_t n, enum silver_name_kind kind)
{
	return silver_name_check((const uint8_t *)p, n, kind) == 0;
}

int silver_schema_township_ok(const char *code)
{
	return silver_township_ok(code);
}

static const struct {
	const char *code, *label;
} township_labels[] = {
	{"county", N_("County")},
	{"xinjianlu", N_("Xinjianlu Subdistrict")},
	{"xinhualu", N_("Xinhualu Subdistrict")},
	{"xinyan", N_("Xinyan Subdistrict")},
	{"longhu", N_("Longhu Town")},
	{"mengzhuang", N_("Mengzhuang Town")},
	{"guodian", N_("Guodian Town")},
	{"xuedian", N_("Xuedian Town")},
	{"hezhuang", N_("Hezhuang Town")},
	{"xincun", N_("Xincun Town")},
	{"xindian", N_("Xindian Town")},
	{"guanyinsi", N_("Guanyinsi Town")},
	{"lihe", N_("Lihe Town")},
	{"chengguan", N_("Chengguan Township")},
	{"baqian", N_("Baqian Township")},
	{"longwang", N_("Longwang Township")},
};

const char *silver_schema_township_label(const char *code)
{
	for (size_t i = 0; code && i < sizeof(township_labels) / sizeof(township_labels[0]); i++)
		if (strcmp(code, township_labels[i].code) == 0)
			return township_labels[i].label;
	return NULL;
}

static const char b32hex[] = "0123456789abcdefghijklmnopqrstuv";

int silver_schema_make_id(const char *township, const char *collection, uint64_t hlc,
			  const uint8_t author[SILVER_KEY_BYTES], char out[SILVER_MAX_ID])
{
	size_t nt, nc, off;
	int i;

	if (!township || !collection || !author || !out)
		return SILVER_EINVAL;
	nt = strlen(township);
	nc = strlen(collection);
	if (!name_ok(township, nt, SILVER_NAME_TOWNSHIP) || !name_ok(collection, nc, SILVER_NAME_COLLECTION) ||
	    nt + nc + 2 + IDTAIL + 1 > SILVER_MAX_ID)
		return SILVER_EINVAL;
	memcpy(out, township, nt);
	out[nt] = '/';
	memcpy(out + nt + 1, collection, nc);
	out[nt + 1 + nc] = '/';
	off = nt + nc + 2;
	for (i = 0; i < 13; i++)
		out[off + i] = b32hex[(hlc >> (5 * (12 - i))) & 31];
	for (i = 0; i < 4; i++)
		out[off + 13 + i] = "0123456789abcdef"[(author[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[off + 17] = 0;
	return 0;
}

int silver_schema_split_id(const char *id, size_t n, silver_slice *township, silver_slice *collection)
{
	const char *s1, *s2, *tail;
	size_t nt, nc, i;

	if (!id || n < 1 + 1 + 1 + 1 + IDTAIL || n >= SILVER_MAX_ID)
		return SILVER_ESCHEMA;
	s1 = memchr(id, '/', n);
	if (!s1)
		return SILVER_ESCHEMA;
	nt = (size_t)(s1 - id);
	s2 = memchr(s1 + 1, '/', n - nt - 1);
	if (!s2)
		return SILVER_ESCHEMA;
	nc = (size_t)(s2 - s1 - 1);
	tail = s2 + 1;
	if ((size_t)(id + n - tail) != IDTAIL || !name_ok(id, nt, SILVER_NAME_TOWNSHIP) ||
	    !name_ok(s1 + 1, nc, SILVER_NAME_COLLECTION))
		return SILVER_ESCHEMA;
	/* the first digit holds only the top 4 bits of the clock */
	if (!((tail[0] >= '0' && tail[0] <= '9') || (tail[0] >= 'a' && tail[0] <= 'f')))
		return SILVER_ESCHEMA;
	for (i = 1; i < 13; i++)
		if (!(isdig(tail[i]) || (tail[i] >= 'a' && tail[i] <= 'v')))
			return SILVER_ESCHEMA;
	for (; i < IDTAIL; i++)
		if (!(isdig(tail[i]) || (tail[i] >= 'a' && tail[i] <= 'f')))
			return SILVER_ESCHEMA;
	if (township) {
		township->p = (const uint8_t *)id;
		township->n = (uint32_t)nt;
	}
	if (collection) {
		collection->p = (const uint8_t *)(s1 + 1);
		collection->n = (uint32_t)nc;
	}
	return 0;
}
