/*
 * test_proto_vectors.c - golden vectors: the entry-N-*.hex files in tests/vectors
 * must be what this encoder writes for the fixture entries, byte for byte,
 * decode back to them, and carry seals that verify under the fixed test key.
 * The worked examples in docs/FORMAT.md (1.9, and 1.9.1 with an operator)
 * must be two of them.
 *
 * SILVER_REGEN_VECTORS=1 rewrites the .hex files (in $SILVER_VECTORS) instead
 * of comparing: only when the format changes on purpose.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "silver_proto.h"
#include "test_proto_fixtures.h"

#define EXAMPLE_VECTOR 3  /* entry-4-delete is the worked example */
#define OPERATOR_VECTOR 4 /* entry-5-operator is the example with an operator */

static const char *env_dir(const char *name)
{
	const char *d = getenv(name);

	if (!d || !*d) {
		print_error("%s is not set (run through ctest)\n", name);
		fail();
	}
	return d;
}

static void vector_path(const struct fix_vector *v, char *path, size_t n)
{
	snprintf(path, n, "%s/%s.hex", env_dir("SILVER_VECTORS"), v->name);
}

static void write_hex(const char *path, const silver_buf *b)
{
	char *hex = malloc(2 * b->len + 1);
	FILE *f = fopen(path, "w");

	assert_non_null(hex);
	assert_non_null(f);
	silver_hex(b->data, b->len, hex);
	fprintf(f, "%s\n", hex);
	assert_int_equal(fclose(f), 0);
	free(hex);
}

static void test_vectors(void **state)
{
	struct fix_vector *v = fix_vectors();
	int regen = getenv("SILVER_REGEN_VECTORS") && strcmp(getenv("SILVER_REGEN_VECTORS"), "1") == 0;
	uint8_t pk[SILVER_KEY_BYTES], sk[SILVER_SECRET_BYTES];
	silver_arena *a = silver_arena_new();
	uint8_t prev[SILVER_HASH_BYTES] = { 0 };
	char path[4096];
	int k;

	fix_keypair(pk, sk);
	for (k = 0; k < FIX_NVECTORS; k++) {
		silver_buf mine, file;
		silver_entry d;
		uint32_t w;

		silver_buf_init(&mine);
		silver_buf_init(&file);
		fix_encode(&v[k].e, v[k].sealed, sk, &mine);
		vector_path(&v[k], path, sizeof(path));
		if (regen) {
			write_hex(path, &mine);
			print_message("wrote %s (%zu bytes)\n", path, mine.len);
		}
		if (fix_read_hex(path, &file) != 0) {
			print_error("cannot read %s\n", path);
			fail();
		}
		assert_int_equal(file.len, mine.len);
		assert_memory_equal(file.data, mine.data, mine.len);

		silver_arena_reset(a);
		assert_int_equal(silver_entry_decode(file.data, file.len, a, &d), 0);
		assert_memory_equal(d.hash, v[k].e.hash, SILVER_HASH_BYTES);
		assert_memory_equal(d.author, pk, SILVER_KEY_BYTES);
		assert_int_equal(d.seq, (uint64_t)k + 1);
		assert_int_equal(d.hlc, v[k].e.hlc);
		assert_memory_equal(d.prev, prev, SILVER_HASH_BYTES); /* the chain */
		memcpy(prev, d.hash, SILVER_HASH_BYTES);
		assert_int_equal(d.op.nwrites, v[k].e.op.nwrites);
		for (w = 0; w < d.op.nwrites; w++)
			assert_true(silver_value_equal(&d.op.writes[w].value, &v[k].e.op.writes[w].value));
		assert_int_equal(d.op.operator_name.n, v[k].e.op.operator_name.n);
		if (d.op.operator_name.n)
			assert_memory_equal(d.op.operator_name.p, v[k].e.op.operator_name.p,
					    d.op.operator_name.n);
		else
			assert_null(d.op.operator_name.p); /* absent decodes as absent */
		assert_int_equal(d.sealed, v[k].sealed);
		if (d.sealed)
			assert_int_equal(silver_seal_verify(d.hash, pk, d.sig), 0);
		silver_buf_release(&mine);
		silver_buf_release(&file);
	}
	silver_arena_destroy(&a);
}

/* Extract the hex between the marker lines <!-- NAME --> and <!-- /NAME -->
 * of docs/FORMAT.md: it must be vector k. */
static void format_md_example(const char *name, int k)
{
	char open_[64], close_[64];
	struct fix_vector *v = fix_vectors();
	uint8_t pk[SILVER_KEY_BYTES], sk[SILVER_SECRET_BYTES];
	silver_buf doc, bytes, mine;
	silver_arena *a = silver_arena_new();
	char path[4096], *s, *e, *p;
	silver_entry d;

	snprintf(open_, sizeof(open_), "<!-- %s -->", name);
	snprintf(close_, sizeof(close_), "<!-- /%s -->", name);
	fix_keypair(pk, sk);
	snprintf(path, sizeof(path), "%s/docs/FORMAT.md", env_dir("SILVER_SRC"));
	silver_buf_init(&doc);
	silver_buf_init(&bytes);
	silver_buf_init(&mine);
	assert_int_equal(fix_read_file(path, &doc), 0);
	assert_true(doc.len > 0);
	s = strstr((char *)doc.data, open_);
	assert_non_null(s);
	s += strlen(open_);
	e = strstr(s, close_);
	assert_non_null(e);
	for (p = s; p < e; p++) {
		uint8_t byte;
		char pair[3] = { 0 };

		if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == '`')
			continue;
		assert_true(p + 1 < e);
		pair[0] = p[0];
		pair[1] = p[1];
		assert_int_equal(silver_unhex(pair, &byte, 1), 0);
		assert_int_equal(silver_buf_append(&bytes, &byte, 1), 0);
		p++;
	}
	fix_encode(&v[k].e, v[k].sealed, sk, &mine);
	assert_int_equal(bytes.len, mine.len);
	assert_memory_equal(bytes.data, mine.data, mine.len);
	assert_int_equal(silver_entry_decode(bytes.data, bytes.len, a, &d), 0);
	assert_int_equal(d.sealed, 1);
	assert_int_equal(silver_seal_verify(d.hash, pk, d.sig), 0);
	silver_buf_release(&doc);
	silver_buf_release(&bytes);
	silver_buf_release(&mine);
	silver_arena_destroy(&a);
}

static void test_format_md(void **state)
{
	format_md_example("example-entry-hex", EXAMPLE_VECTOR);
	format_md_example("operator-entry-hex", OPERATOR_VECTOR);
}

static int setup(void **state)
{
	(void)state;
	return silver_crypto_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_format_md),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
