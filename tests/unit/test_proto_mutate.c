/*
 * test_proto_mutate.c - a small deterministic fuzzer for the normal build:
 * every golden vector, mutated many times with fixed seeds, goes through
 * silver_entry_decode.  Whatever decodes must re-encode to the very same
 * bytes; whatever does not must be refused with a proto error code.  Runs
 * under ASan in the sanitizer build, so the non-fuzz CI exercises the
 * decoder on hostile input too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "silver_proto.h"
#include "test_proto_fixtures.h"

#define ROUNDS 20000

static uint64_t rng = 0x5eed5eed12345678ULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

static const uint8_t interesting[] = { 0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
				       0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xca, 0xcc, 0xcd, 0xce,
				       0xcf, 0xd0, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff };

static void mutate(silver_buf *b, const silver_buf *orig)
{
	uint32_t rounds = 1 + rnd(4), r, at, n;

	b->len = 0;
	assert_int_equal(silver_buf_append(b, orig->data, orig->len), 0);
	for (r = 0; r < rounds && b->len > 0; r++) {
		at = rnd((uint32_t)b->len);
		switch (rnd(7)) {
		case 0: /* flip a bit */
			b->data[at] ^= (uint8_t)(1u << rnd(8));
			break;
		case 1: /* an interesting byte */
			b->data[at] = interesting[rnd(sizeof(interesting))];
			break;
		case 2: /* a random byte */
			b->data[at] = (uint8_t)rnd(256);
			break;
		case 3: /* truncate */
			b->len = at;
			break;
		case 4: /* delete a run */
			n = 1 + rnd(8);
			if (n > b->len - at)
				n = (uint32_t)(b->len - at);
			memmove(b->data + at, b->data + at + n, b->len - at - n);
			b->len -= n;
			break;
		case 5: /* insert a byte */
			assert_int_equal(silver_buf_reserve(b, 1), 0);
			memmove(b->data + at + 1, b->data + at, b->len - at);
			b->data[at] = interesting[rnd(sizeof(interesting))];
			b->len++;
			break;
		case 6: /* duplicate a run */
			n = 1 + rnd(16);
			if (n > b->len - at)
				n = (uint32_t)(b->len - at);
			assert_int_equal(silver_buf_reserve(b, n), 0);
			memmove(b->data + at + n, b->data + at, b->len - at);
			b->len += n;
			break;
		}
	}
}

static void test_mutations(void **state)
{
	struct fix_vector *v = fix_vectors();
	uint8_t pk[SILVER_KEY_BYTES], sk[SILVER_SECRET_BYTES];
	silver_arena *a = silver_arena_new();
	silver_buf orig[FIX_NVECTORS], m, body, whole;
	unsigned ok = 0, refused = 0;
	uint32_t i;
	int k;

	fix_keypair(pk, sk);
	for (k = 0; k < FIX_NVECTORS; k++) {
		silver_buf_init(&orig[k]);
		fix_encode(&v[k].e, v[k].sealed, sk, &orig[k]);
	}
	silver_buf_init(&m);
	silver_buf_init(&body);
	silver_buf_init(&whole);
	for (i = 0; i < ROUNDS; i++) {
		silver_entry d;
		int rv;

		mutate(&m, &orig[i % FIX_NVECTORS]);
		silver_arena_reset(a);
		rv = silver_entry_decode(m.data, m.len, a, &d);
		if (rv != 0) {
			assert_true(rv == SILVER_EMALFORMED || rv == SILVER_ELIMIT || rv == SILVER_ENONCANON ||
				    rv == SILVER_EVERSION);
			refused++;
			continue;
		}
		ok++;
		body.len = whole.len = 0;
		assert_int_equal(silver_entry_encode_body(&d, &body), 0);
		assert_int_equal(silver_entry_wrap(body.data, body.len, d.sealed ? d.sig : NULL, &whole), 0);
		assert_int_equal(whole.len, m.len);
		assert_memory_equal(whole.data, m.data, m.len);
		if (d.sealed && (m.len != orig[i % FIX_NVECTORS].len ||
				 memcmp(m.data, orig[i % FIX_NVECTORS].data, m.len) != 0))
			assert_int_equal(silver_seal_verify(d.hash, d.author, d.sig), SILVER_EBADSIG);
	}
	print_message("%u mutations decoded, %u refused\n", ok, refused);
	assert_int_equal(ok + refused, ROUNDS);
	assert_true(refused > ROUNDS / 2);
	for (k = 0; k < FIX_NVECTORS; k++)
		silver_buf_release(&orig[k]);
	silver_buf_release(&m);
	silver_buf_release(&body);
	silver_buf_release(&whole);
	silver_arena_destroy(&a);
}

static int setup(void **state)
{
	(void)state;
	return silver_crypto_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
