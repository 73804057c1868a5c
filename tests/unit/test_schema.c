/*
 * test_schema.c - the schema tables against DOMAIN.md ("Field keys"), the
 * parsing of every field type at its edges, formatting round trips, and
 * record ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "silver_schema.h"

/* ---- helpers ------------------------------------------------------------- */

static silver_arena *arena;
static char why[256];

static int setup(void **state)
{
	(void)state;
	arena = silver_arena_new();
	return arena ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	silver_arena_destroy(&arena);
	return 0;
}

static const silver_field *fld(const char *coll, const char *key)
{
	const silver_collection *c = silver_schema_find(coll);

	assert_non_null(c);
	const silver_field *f = silver_schema_field(c, key, strlen(key));
	assert_non_null(f);
	return f;
}

static silver_value parse_ok(const char *coll, const char *key, const char *text)
{
	silver_value v;
	int rv = silver_schema_parse(fld(coll, key), text, arena, &v, why, sizeof(why));

	if (rv != 0)
		fail_msg("%s.%s: \"%s\" refused: %s", coll, key, text, why);
	return v;
}

static void parse_bad(const char *coll, const char *key, const char *text, const char *reason)
{
	silver_value v;
	int rv = silver_schema_parse(fld(coll, key), text, arena, &v, why, sizeof(why));

	if (rv != SILVER_ESCHEMA)
		fail_msg("%s.%s: \"%s\" accepted (rv %d)", coll, key, text, rv);
	assert_int_equal(v.type, SILVER_V_NIL);
	assert_true(why[0] != 0);
	if (reason)
		assert_string_equal(why, reason);
}

static void assert_str(silver_value v, const char *want)
{
	assert_int_equal(v.type, SILVER_V_STR);
	assert_int_equal(v.s.n, strlen(want));
	assert_memory_equal(v.s.p, want, v.s.n);
}

static void assert_int(silver_value v, int64_t want)
{
	assert_int_equal(v.type, SILVER_V_INT);
	assert_true(v.i == want);
}

/* format(v) as a C string (static buffer, overwritten by the next call) */
static const char *fmt(const silver_field *f, const silver_value *v)
{
	static char s[8192];
	silver_buf b;

	silver_buf_init(&b);
	assert_int_equal(silver_schema_format(f, v, &b), 0);
	assert_true(b.len < sizeof(s));
	assert_int_equal(b.data[b.len], 0); /* NUL-terminated, not counted */
	memcpy(s, b.data, b.len + 1);
	silver_buf_release(&b);
	return s;
}

/* ---- tables against DOMAIN.md -------------------------------------------- */

/* DOMAIN.md "Field keys": fields in order, required ones marked with '*'. */
static const struct {
	const char *name;
	const char *fields[20];
} domain[] = {
	{ "retiree",
	  { "*name", "*category", "gender", "*birth_date", "id_number", "unit", "branch", "address",
	    "phone", "hardship", "checkup_date", "health_notes", "care_plan", "notes", "transferred_to",
	    "transferred_from" } },
	{ "visit", { "*retiree", "*date", "*type", "staff", "notes" } },
	{ "delivery", { "*retiree", "*date", "*type", "notes" } },
	{ "aid", { "*retiree", "*date", "*amount", "*reason", "approver", "notes" } },
	{ "ceremony", { "*person", "*date", "unit", "retiree" } },
	{ "branch", { "*name", "secretary", "liaison", "model_level" } },
	{ "team", { "*name" } },
	{ "club", { "*name" } },
	{ "activity",
	  { "*date", "*kind", "group", "place", "participants", "audience", "notes" } },
	{ "lecture", { "*date", "*kind", "topic", "attendance" } },
	{ "case",
	  { "*received_date", "*stage", "mediator", "*status", "closed_date", "notes" } },
	{ "service", { "*retiree", "*date", "community", "kind" } },
};

static void test_collections(void **state)
{
	uint32_t n, i, j, k;
	const silver_collection *cs = silver_schema_collections(&n);

	(void)state;
	assert_int_equal(n, sizeof(domain) / sizeof(domain[0]));
	for (i = 0; i < n; i++) {
		const silver_collection *c = &cs[i];

		assert_string_equal(c->name, domain[i].name);
		assert_ptr_equal(silver_schema_find(c->name), c);
		assert_non_null(c->label);
		for (j = 0; domain[i].fields[j]; j++) {
			const char *want = domain[i].fields[j];
			int req = want[0] == '*';

			assert_true(j < c->nfields);
			assert_string_equal(c->fields[j].key, want + req);
			if (c->fields[j].required != req)
				fail_msg("%s.%s: required %d", c->name, want + req, c->fields[j].required);
			assert_non_null(c->fields[j].label);
		}
		assert_int_equal(j, c->nfields);
		for (j = 0; j < c->nfields; j++) {
			const silver_field *f = &c->fields[j];

			for (k = j + 1; k < c->nfields; k++)
				assert_string_not_equal(f->key, c->fields[k].key);
			if (f->type == SILVER_F_ENUM || f->type == SILVER_F_SET) {
				assert_non_null(f->values);
				assert_true(f->nvalues > 0 && f->nvalues <= SILVER_MAX_LIST);
				for (k = 0; k < f->nvalues; k++)
					assert_non_null(f->values[k].label);
			} else {
				assert_null(f->values);
			}
			if (f->type == SILVER_F_REF)
				assert_true((f->ref != NULL) != (f->refs != NULL));
			else
				assert_true(f->ref == NULL && f->refs == NULL);
		}
	}
	assert_null(silver_schema_find("retirees"));
	assert_null(silver_schema_find(""));
	assert_null(silver_schema_find(NULL));
}

/* enum keys of a field, comma-separated, in table order */
static const char *keys(const char *coll, const char *key)
{
	static char s[512];
	const silver_field *f = fld(coll, key);
	uint32_t i;

	s[0] = 0;
	for (i = 0; i < f->nvalues; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, f->values[i].key);
	}
	return s;
}

static void test_types_and_values(void **state)
{
	(void)state;
	assert_int_equal(fld("retiree", "name")->type, SILVER_F_TEXT);
	assert_int_equal(fld("retiree", "category")->type, SILVER_F_ENUM);
	assert_string_equal(keys("retiree", "category"), "honorary,retired");
	assert_string_equal(keys("retiree", "gender"), "m,f");
	assert_int_equal(fld("retiree", "birth_date")->type, SILVER_F_DATE);
	assert_int_equal(fld("retiree", "checkup_date")->type, SILVER_F_DATE);
	assert_int_equal(fld("retiree", "branch")->type, SILVER_F_REF);
	assert_string_equal(fld("retiree", "branch")->ref, "branch");
	assert_int_equal(fld("retiree", "hardship")->type, SILVER_F_SET);
	assert_string_equal(keys("retiree", "hardship"), "illness,old_age,low_income,other");
	assert_string_equal(keys("visit", "type"), "birthday,illness,letter_call,festival,emergency");
	assert_string_equal(fld("visit", "retiree")->ref, "retiree");
	assert_string_equal(keys("delivery", "type"), "materials,warmth,care,aid,skills");
	assert_int_equal(fld("aid", "amount")->type, SILVER_F_MONEY);
	assert_int_equal(fld("aid", "reason")->type, SILVER_F_ENUM);
	assert_string_equal(keys("aid", "reason"), "illness,old_age,low_income,other");
	assert_int_equal(fld("ceremony", "retiree")->type, SILVER_F_REF);
	assert_false(fld("ceremony", "retiree")->required);
	assert_string_equal(keys("branch", "model_level"), "provincial,city,county,none");
	assert_string_equal(keys("activity", "kind"),
			    "performance,youth_event,science_trip,leaflets,opera,new_piece,other");
	assert_int_equal(fld("activity", "group")->type, SILVER_F_REF);
	assert_null(fld("activity", "group")->ref);
	assert_string_equal(fld("activity", "group")->refs[0], "team");
	assert_string_equal(fld("activity", "group")->refs[1], "club");
	assert_null(fld("activity", "group")->refs[2]);
	assert_int_equal(fld("activity", "audience")->type, SILVER_F_INT);
	assert_string_equal(keys("lecture", "kind"), "lecture,report,six_into");
	assert_int_equal(fld("lecture", "attendance")->type, SILVER_F_INT);
	assert_string_equal(keys("case", "stage"), "pre_litigation,in_litigation");
	assert_string_equal(keys("case", "status"), "open,settled,failed");
	assert_int_equal(fld("case", "closed_date")->type, SILVER_F_DATE);
}

static void test_field_lookup(void **state)
{
	const silver_collection *c = silver_schema_find("retiree");

	(void)state;
	assert_non_null(c);
	assert_ptr_equal(silver_schema_field(c, "name", 4), &c->fields[0]);
	/* keylen, not NUL, ends the key */
	assert_ptr_equal(silver_schema_field(c, "namex", 4), &c->fields[0]);
	assert_null(silver_schema_field(c, "nam", 3));
	assert_null(silver_schema_field(c, "name", 5)); /* "name\0" is not "name" */
	assert_null(silver_schema_field(c, "_del", 4));
	assert_null(silver_schema_field(c, "", 0));
	assert_null(silver_schema_field(NULL, "name", 4));
	assert_string_equal(silver_schema_field(c, "notes", 5)->key, "notes");

	const silver_field *f = fld("retiree", "category");
	assert_string_equal(silver_schema_enum_label(f, (const uint8_t *)"honorary", 8),
			    "Honorary retired cadre");
	assert_string_equal(silver_schema_enum_label(f, (const uint8_t *)"retiredx", 7), "Retired cadre");
	assert_null(silver_schema_enum_label(f, (const uint8_t *)"honor", 5));
	assert_null(silver_schema_enum_label(fld("retiree", "name"), (const uint8_t *)"x", 1));
	assert_string_equal(silver_schema_enum_label(fld("retiree", "hardship"),
						     (const uint8_t *)"old_age", 7),
			    "Advanced age");
}

/* ---- parsing: text ------------------------------------------------------- */

static void test_text(void **state)
{
	static char big[4 * SILVER_MAX_STR + 8];
	silver_value v;
	size_t i;

	(void)state;
	assert_str(parse_ok("retiree", "name", "  张三  "), "张三");
	assert_str(parse_ok("retiree", "name", "a b"), "a b");
	assert_int_equal(parse_ok("retiree", "name", "").type, SILVER_V_NIL);
	assert_int_equal(parse_ok("retiree", "name", "    ").type, SILVER_V_NIL);
	/* decomposed e + U+0301 becomes the composed U+00E9 */
	assert_str(parse_ok("retiree", "name", "Jose\xcc\x81"), "Jos\xc3\xa9");
	assert_str(parse_ok("retiree", "name", "Jos\xc3\xa9"), "Jos\xc3\xa9");

	parse_bad("retiree", "name", "\xff", "not valid UTF-8 text");
	parse_bad("retiree", "name", "ab\xe5\xbc", "not valid UTF-8 text");     /* truncated */
	parse_bad("retiree", "name", "\xc0\x80", "not valid UTF-8 text");       /* overlong NUL */
	parse_bad("retiree", "name", "\xe0\x80\xaf", "not valid UTF-8 text");   /* overlong '/' */
	parse_bad("retiree", "name", "\xed\xa0\x80", "not valid UTF-8 text");   /* surrogate */
	parse_bad("retiree", "name", "\xf4\x90\x80\x80", "not valid UTF-8 text"); /* > U+10FFFF */
	parse_bad("retiree", "name", "a\tb", "contains a control character");
	parse_bad("retiree", "name", "a\nb", "contains a control character");
	parse_bad("retiree", "name", "a\x7f", "contains a control character");
	parse_bad("retiree", "name", "a\xc2\x85", "contains a control character"); /* U+0085 */
	/* LF is allowed in the free-text fields only, CR nowhere */
	assert_str(parse_ok("retiree", "notes", "line 1\nline 2"), "line 1\nline 2");
	assert_str(parse_ok("retiree", "care_plan", "a\nb"), "a\nb");
	assert_str(parse_ok("retiree", "health_notes", "a\nb"), "a\nb");
	assert_str(parse_ok("case", "notes", "a\nb"), "a\nb");
	parse_bad("retiree", "notes", "a\r\nb", "contains a control character");
	parse_bad("retiree", "address", "a\nb", "contains a control character");

	/* length: exactly SILVER_MAX_STR bytes after normalisation */
	memset(big, 'x', SILVER_MAX_STR);
	big[SILVER_MAX_STR] = 0;
	v = parse_ok("retiree", "notes", big);
	assert_int_equal(v.s.n, SILVER_MAX_STR);
	big[SILVER_MAX_STR] = 'x';
	big[SILVER_MAX_STR + 1] = 0;
	parse_bad("retiree", "notes", big, "too long (more than 4096 bytes)");
	/* 6144 bytes that NFC turns into 4096 */
	for (i = 0; i < SILVER_MAX_STR / 2; i++)
		memcpy(big + 3 * i, "e\xcc\x81", 3);
	big[3 * i] = 0;
	v = parse_ok("retiree", "notes", big);
	assert_int_equal(v.s.n, SILVER_MAX_STR);
	assert_memory_equal(v.s.p, "\xc3\xa9\xc3\xa9", 4);
	memcpy(big + 3 * i, "e", 2);
	parse_bad("retiree", "notes", big, "too long (more than 4096 bytes)");
	/* far too long is refused before normalising */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	parse_bad("retiree", "notes", big, "too long (more than 4096 bytes)");
}

/* ---- parsing: enum and set ----------------------------------------------- */

static void test_enum(void **state)
{
	(void)state;
	assert_str(parse_ok("retiree", "category", "honorary"), "honorary");
	assert_str(parse_ok("retiree", "category", " retired "), "retired");
	assert_str(parse_ok("retiree", "gender", "f"), "f");
	assert_int_equal(parse_ok("retiree", "gender", "").type, SILVER_V_NIL);
	parse_bad("retiree", "category", "Honorary", "not one of: honorary, retired");
	parse_bad("retiree", "category", "honorar", "not one of: honorary, retired");
	parse_bad("retiree", "category", "honorary,retired", "not one of: honorary, retired");
	parse_bad("retiree", "category", "离休", "not one of: honorary, retired");
	parse_bad("case", "status", "closed", "not one of: open, settled, failed");
	parse_bad("branch", "model_level", "national", "not one of: provincial, city, county, none");
}

static void assert_list(silver_value v, const char *const *want, uint32_t n)
{
	uint32_t i;

	assert_int_equal(v.type, SILVER_V_LIST);
	assert_int_equal(v.n, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(v.items[i].n, strlen(want[i]));
		assert_memory_equal(v.items[i].p, want[i], v.items[i].n);
	}
}

static void test_set(void **state)
{
	static const char *const io[] = { "illness", "old_age" };
	static const char *const lo[] = { "low_income", "other" };
	static const char *const all[] = { "illness", "low_income", "old_age", "other" };
	static const char *const one[] = { "other" };
	const silver_field *f = fld("retiree", "hardship");

	(void)state;
	assert_list(parse_ok("retiree", "hardship", "old_age,illness"), io, 2);
	assert_list(parse_ok("retiree", "hardship", "illness , old_age,illness"), io, 2);
	assert_list(parse_ok("retiree", "hardship", " other ,low_income "), lo, 2);
	assert_list(parse_ok("retiree", "hardship", "other,old_age,low_income,illness,other"), all, 4);
	assert_list(parse_ok("retiree", "hardship", "other"), one, 1);
	assert_int_equal(parse_ok("retiree", "hardship", " ").type, SILVER_V_NIL);
	parse_bad("retiree", "hardship", "illness,,old_age", "an empty item in the list");
	parse_bad("retiree", "hardship", "illness,", "an empty item in the list");
	parse_bad("retiree", "hardship", ",illness", "an empty item in the list");
	parse_bad("retiree", "hardship", "illness, ,old_age", "an empty item in the list");
	parse_bad("retiree", "hardship", "illness;old_age",
		  "not one of: illness, old_age, low_income, other");
	parse_bad("retiree", "hardship", "illness,poverty",
		  "not one of: illness, old_age, low_income, other");
	assert_string_equal(fmt(f, &(silver_value){ .type = SILVER_V_NIL }), "");
	silver_value v = parse_ok("retiree", "hardship", "old_age, illness");
	assert_string_equal(fmt(f, &v), "illness,old_age");
}

/* ---- parsing: dates, money, integers ------------------------------------- */

static void test_date(void **state)
{
	(void)state;
	assert_str(parse_ok("retiree", "birth_date", "2024-02-29"), "2024-02-29");
	assert_str(parse_ok("retiree", "birth_date", " 1930-10-01 "), "1930-10-01");
	assert_str(parse_ok("visit", "date", "2000-02-29"), "2000-02-29");
	assert_str(parse_ok("visit", "date", "1900-01-01"), "1900-01-01");
	assert_str(parse_ok("visit", "date", "2100-12-31"), "2100-12-31");
	assert_str(parse_ok("visit", "date", "2024-12-31"), "2024-12-31");
	assert_str(parse_ok("visit", "date", "2024-04-30"), "2024-04-30");
	parse_bad("visit", "date", "2023-02-29", "no such date");
	parse_bad("visit", "date", "1900-02-29", "no such date");
	parse_bad("visit", "date", "2100-02-29", "no such date");
	parse_bad("visit", "date", "2024-04-31", "no such date");
	parse_bad("visit", "date", "2024-13-01", "no such date");
	parse_bad("visit", "date", "2024-00-10", "no such date");
	parse_bad("visit", "date", "2024-01-00", "no such date");
	parse_bad("visit", "date", "2024-01-32", "no such date");
	parse_bad("visit", "date", "1899-12-31", "year not between 1900 and 2100");
	parse_bad("visit", "date", "2101-01-01", "year not between 1900 and 2100");
	parse_bad("visit", "date", "2024-4-01", "not a date (YYYY-MM-DD)");
	parse_bad("visit", "date", "2024/04/01", "not a date (YYYY-MM-DD)");
	parse_bad("visit", "date", "2024-04-01x", "not a date (YYYY-MM-DD)");
	parse_bad("visit", "date", "20240401", "not a date (YYYY-MM-DD)");
	parse_bad("visit", "date", "2024-04-0a", "not a date (YYYY-MM-DD)");
	parse_bad("visit", "date", "+024-04-01", "not a date (YYYY-MM-DD)");
	parse_bad("visit", "date", "2024-04-01T00:00", "not a date (YYYY-MM-DD)");
	parse_bad("visit", "date", "２０２４-04-01", "not a date (YYYY-MM-DD)");
}

static void test_money(void **state)
{
	(void)state;
	assert_int(parse_ok("aid", "amount", "1500.5"), 150050);
	assert_int(parse_ok("aid", "amount", "1500.50"), 150050);
	assert_int(parse_ok("aid", "amount", "1500"), 150000);
	assert_int(parse_ok("aid", "amount", " 12.30 "), 1230);
	assert_int(parse_ok("aid", "amount", "0"), 0);
	assert_int(parse_ok("aid", "amount", "0.01"), 1);
	assert_int(parse_ok("aid", "amount", "0.1"), 10);
	assert_int(parse_ok("aid", "amount", "007.05"), 705);
	assert_int(parse_ok("aid", "amount", "10000000000"), 1000000000000LL);      /* 10^12 fen */
	assert_int(parse_ok("aid", "amount", "10000000000.00"), 1000000000000LL);
	assert_int(parse_ok("aid", "amount", "9999999999.99"), 999999999999LL);
	parse_bad("aid", "amount", "10000000000.01", "amount too large");
	parse_bad("aid", "amount", "10000000001", "amount too large");
	parse_bad("aid", "amount", "99999999999999999999999999999", "amount too large");
	parse_bad("aid", "amount", "0.005", "more than two decimals");
	parse_bad("aid", "amount", "1.000", "more than two decimals");
	parse_bad("aid", "amount", "-1", "amount cannot be negative");
	parse_bad("aid", "amount", "-0.01", "amount cannot be negative");
	parse_bad("aid", "amount", "+1", "not an amount (like 1500.50)");
	parse_bad("aid", "amount", "1e5", "not an amount (like 1500.50)");
	parse_bad("aid", "amount", "1,500", "not an amount (like 1500.50)");
	parse_bad("aid", "amount", "1 500", "not an amount (like 1500.50)");
	parse_bad("aid", "amount", ".5", "not an amount (like 1500.50)");
	parse_bad("aid", "amount", "5.", "not an amount (like 1500.50)");
	parse_bad("aid", "amount", "1.2.3", "not an amount (like 1500.50)");
	parse_bad("aid", "amount", "¥100", "not an amount (like 1500.50)");
	parse_bad("aid", "amount", "0x10", "not an amount (like 1500.50)");
	assert_int_equal(parse_ok("aid", "amount", "").type, SILVER_V_NIL);
}

static void test_int(void **state)
{
	(void)state;
	assert_int(parse_ok("activity", "audience", "0"), 0);
	assert_int(parse_ok("activity", "audience", " 30000 "), 30000);
	assert_int(parse_ok("activity", "audience", "0042"), 42);
	assert_int(parse_ok("lecture", "attendance", "9007199254740991"), 9007199254740991LL);
	parse_bad("lecture", "attendance", "9007199254740992", "number too large");
	parse_bad("lecture", "attendance", "99999999999999999999999", "number too large");
	parse_bad("lecture", "attendance", "-1", "not a whole number");
	parse_bad("lecture", "attendance", "+1", "not a whole number");
	parse_bad("lecture", "attendance", "1.0", "not a whole number");
	parse_bad("lecture", "attendance", "1e3", "not a whole number");
	parse_bad("lecture", "attendance", "1 000", "not a whole number");
}

/* ---- parsing: refs ------------------------------------------------------- */

static void test_ref(void **state)
{
	(void)state;
	assert_str(parse_ok("retiree", "branch", "xinyan/branch/0123456789abcab12"),
		   "xinyan/branch/0123456789abcab12");
	assert_str(parse_ok("retiree", "branch", " county/branch/fvvvvvvvvvvvvffff "),
		   "county/branch/fvvvvvvvvvvvvffff");
	assert_str(parse_ok("activity", "group", "longhu/team/0000000000000abcd"),
		   "longhu/team/0000000000000abcd");
	assert_str(parse_ok("activity", "group", "longhu/club/0000000000000abcd"),
		   "longhu/club/0000000000000abcd");
	assert_str(parse_ok("ceremony", "retiree", "a_1/retiree/0000000000000abcd"),
		   "a_1/retiree/0000000000000abcd");
	parse_bad("retiree", "branch", "xinyan/club/0123456789abcab12", "not a record id of: branch");
	parse_bad("activity", "group", "longhu/retiree/0000000000000abcd",
		  "not a record id of: team, club");

	static const char *const bad[] = {
		"xinyan/branch/0123456789abcab1",    /* 16 chars */
		"xinyan/branch/0123456789abcab123",  /* 18 chars */
		"xinyan/branch/g123456789abcab12",   /* first digit over 4 bits */
		"xinyan/branch/0123456789abwab12",   /* w is not base32hex */
		"xinyan/branch/0123456789abcag12",   /* g is not hex */
		"xinyan/branch/0123456789abcAB12",   /* upper case */
		"Xinyan/branch/0123456789abcab12",
		"/branch/0123456789abcab12",
		"xinyan//0123456789abcab12",
		"xinyan/branch0123456789abcab12",
		"xinyan/branch/x/0123456789abcab12",
		"xinyan-1/branch/0123456789abcab12",
		"abcdefghijklmnopqrstuvwxyz0123456/branch/0123456789abcab12", /* 33 */
		"xinyan/branch/0123456789abc ab12",
		"0123456789abcab12",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_bad("retiree", "branch", bad[i], "not a record id (township/collection/id)");
	assert_str(parse_ok("retiree", "branch",
			    "abcdefghijklmnopqrstuvwxyz012345/branch/0123456789abcab12"),
		   "abcdefghijklmnopqrstuvwxyz012345/branch/0123456789abcab12");
}

/* ---- townships and ids --------------------------------------------------- */

static void test_township(void **state)
{
	(void)state;
	assert_true(silver_schema_township_ok("xinyan"));
	assert_true(silver_schema_township_ok("county"));
	assert_true(silver_schema_township_ok("a"));
	assert_true(silver_schema_township_ok("town_2"));
	assert_true(silver_schema_township_ok("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
	assert_false(silver_schema_township_ok("abcdefghijklmnopqrstuvwxyz0123456"));
	assert_false(silver_schema_township_ok(""));
	assert_false(silver_schema_township_ok(NULL));
	assert_false(silver_schema_township_ok("Xinyan"));
	assert_false(silver_schema_township_ok("xin yan"));
	assert_false(silver_schema_township_ok("xin-yan"));
	assert_false(silver_schema_township_ok("xin/yan"));
	assert_false(silver_schema_township_ok("新烟"));
}

static void test_ids(void **state)
{
	static const uint64_t hlcs[] = {
		0, 1, 31, 32, 1023, 1024, (uint64_t)1700000000000 << 16, ((uint64_t)1700000000000 << 16) + 1,
		((uint64_t)1700000000001 << 16), (1ULL << 60) - 1, 1ULL << 60, UINT64_MAX - 1, UINT64_MAX,
	};
	uint8_t author[SILVER_KEY_BYTES] = { 0xab, 0xcd, 0xef };
	char id[SILVER_MAX_ID], prev[SILVER_MAX_ID];
	silver_slice t, c;
	size_t i;

	(void)state;
	assert_int_equal(silver_schema_make_id("xinyan", "retiree", 0, author, id), 0);
	assert_string_equal(id, "xinyan/retiree/0000000000000abcd");
	assert_int_equal(silver_schema_make_id("xinyan", "retiree", UINT64_MAX, author, id), 0);
	assert_string_equal(id, "xinyan/retiree/fvvvvvvvvvvvvabcd");
	assert_int_equal(silver_schema_make_id("county", "aid", 32, author, id), 0);
	assert_string_equal(id, "county/aid/0000000000010abcd");
	assert_int_equal(silver_schema_make_id("county", "aid", 1ULL << 60, author, id), 0);
	assert_string_equal(id, "county/aid/1000000000000abcd");

	prev[0] = 0;
	for (i = 0; i < sizeof(hlcs) / sizeof(hlcs[0]); i++) {
		assert_int_equal(silver_schema_make_id("longhu", "visit", hlcs[i], author, id), 0);
		assert_int_equal(strlen(id), strlen("longhu/visit/") + 17);
		assert_true(strcmp(prev, id) < 0);
		strcpy(prev, id);
		assert_int_equal(silver_schema_split_id(id, strlen(id), &t, &c), 0);
		assert_int_equal(t.n, 6);
		assert_memory_equal(t.p, "longhu", 6);
		assert_int_equal(c.n, 5);
		assert_memory_equal(c.p, "visit", 5);
		assert_ptr_equal(t.p, (const uint8_t *)id);
	}
	/* split_id reads n bytes, not up to a NUL */
	assert_int_equal(silver_schema_split_id(id, strlen(id) - 1, &t, &c), SILVER_ESCHEMA);
	assert_int_equal(silver_schema_split_id("a/b/0000000000000abcdXYZ", 21, &t, &c), 0);
	assert_int_equal(silver_schema_split_id("a/b/000000000000", 16, &t, &c), SILVER_ESCHEMA);
	assert_int_equal(silver_schema_split_id(NULL, 0, &t, &c), SILVER_ESCHEMA);

	assert_int_equal(silver_schema_make_id("", "visit", 1, author, id), SILVER_EINVAL);
	assert_int_equal(silver_schema_make_id("Longhu", "visit", 1, author, id), SILVER_EINVAL);
	assert_int_equal(silver_schema_make_id("longhu", "", 1, author, id), SILVER_EINVAL);
	assert_int_equal(silver_schema_make_id("longhu", "vi/sit", 1, author, id), SILVER_EINVAL);
	assert_int_equal(silver_schema_make_id("abcdefghijklmnopqrstuvwxyz012345",
					       "abcdefghijklmnopqrstuvwxyz0123456789abcdefghi", 7,
					       author, id),
			 SILVER_EINVAL); /* one byte too long */
	/* the longest township and collection that fit */
	assert_int_equal(silver_schema_make_id("abcdefghijklmnopqrstuvwxyz012345",
					       "abcdefghijklmnopqrstuvwxyz0123456789abcdefgh", 7,
					       author, id),
			 0);
	assert_int_equal(strlen(id), SILVER_MAX_ID - 1);
	assert_int_equal(silver_schema_split_id(id, strlen(id), &t, &c), 0);
	assert_int_equal(c.n, 44);
}

/* ---- formatting ---------------------------------------------------------- */

static void test_format(void **state)
{
	static const struct {
		const char *coll, *key, *in, *out;
	} rt[] = {
		{ "retiree", "name", "  王 建国 ", "王 建国" },
		{ "retiree", "name", "Jose\xcc\x81", "Jos\xc3\xa9" },
		{ "retiree", "category", "honorary", "honorary" },
		{ "retiree", "hardship", "other, illness,other", "illness,other" },
		{ "retiree", "birth_date", "1928-07-01", "1928-07-01" },
		{ "aid", "amount", "1500.5", "1500.50" },
		{ "aid", "amount", "1", "1.00" },
		{ "aid", "amount", "0.05", "0.05" },
		{ "aid", "amount", "0", "0.00" },
		{ "aid", "amount", "10000000000", "10000000000.00" },
		{ "activity", "audience", "0030000", "30000" },
		{ "activity", "group", "xinyan/club/0000000000000abcd", "xinyan/club/0000000000000abcd" },
		{ "visit", "notes", "", "" },
	};
	const silver_field *money = fld("aid", "amount");
	silver_value v, w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		const silver_field *f = fld(rt[i].coll, rt[i].key);
		char s[256];

		v = parse_ok(rt[i].coll, rt[i].key, rt[i].in);
		strcpy(s, fmt(f, &v));
		assert_string_equal(s, rt[i].out);
		/* parse(format(v)) gives v back */
		w = parse_ok(rt[i].coll, rt[i].key, s);
		assert_true(silver_value_equal(&v, &w));
	}
	v = (silver_value){ .type = SILVER_V_INT, .i = 150050 };
	assert_string_equal(fmt(money, &v), "1500.50");
	v.i = 100;
	assert_string_equal(fmt(money, &v), "1.00");
	v.i = 5;
	assert_string_equal(fmt(money, &v), "0.05");

	/* a value of the wrong type for the field */
	silver_buf b;
	silver_buf_init(&b);
	v.i = -1;
	assert_int_equal(silver_schema_format(money, &v, &b), SILVER_ESCHEMA);
	v = (silver_value){ .type = SILVER_V_STR, .s = { (const uint8_t *)"1", 1 } };
	assert_int_equal(silver_schema_format(money, &v, &b), SILVER_ESCHEMA);
	v = (silver_value){ .type = SILVER_V_INT, .i = 1 };
	assert_int_equal(silver_schema_format(fld("retiree", "name"), &v, &b), SILVER_ESCHEMA);
	assert_int_equal(silver_schema_format(fld("retiree", "hardship"), &v, &b), SILVER_ESCHEMA);
	/* appends */
	v = (silver_value){ .type = SILVER_V_INT, .i = 7 };
	assert_int_equal(silver_schema_format(fld("activity", "audience"), &v, &b), 0);
	assert_int_equal(silver_schema_format(fld("activity", "audience"), &v, &b), 0);
	assert_int_equal(b.len, 2);
	assert_string_equal((const char *)b.data, "77");
	silver_buf_release(&b);
}

static void test_why_buffer(void **state)
{
	silver_value v;
	char tiny[8];

	(void)state;
	/* a short why buffer is truncated, never overrun; NULL is allowed */
	assert_int_equal(silver_schema_parse(fld("retiree", "hardship"), "x", arena, &v, tiny,
					     sizeof(tiny)),
			 SILVER_ESCHEMA);
	assert_string_equal(tiny, "not one");
	assert_int_equal(silver_schema_parse(fld("retiree", "birth_date"), "x", arena, &v, tiny,
					     sizeof(tiny)),
			 SILVER_ESCHEMA);
	assert_string_equal(tiny, "not a d");
	assert_int_equal(silver_schema_parse(fld("retiree", "birth_date"), "x", arena, &v, NULL, 0),
			 SILVER_ESCHEMA);
	assert_int_equal(silver_schema_parse(fld("retiree", "birth_date"), NULL, arena, &v, NULL, 0),
			 SILVER_EINVAL);
	assert_int_equal(silver_schema_parse(NULL, "x", arena, &v, NULL, 0), SILVER_EINVAL);
	/* success clears why */
	strcpy(why, "stale");
	assert_int_equal(silver_schema_parse(fld("retiree", "birth_date"), "2024-01-01", arena, &v,
					     why, sizeof(why)),
			 0);
	assert_string_equal(why, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collections),
		cmocka_unit_test(test_types_and_values),
		cmocka_unit_test(test_field_lookup),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_money),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_ref),
		cmocka_unit_test(test_township),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_why_buffer),
	};

	return cmocka_run_group_tests_name("schema", tests, setup, teardown);
}
