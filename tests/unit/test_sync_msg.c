/*
 * test_sync_msg.c - the sync protocol's messages (proto/sync_msg.c): round
 * trips, golden bytes, and refusal of malformed, oversized, non-canonical
 * and newer-version input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "silver_proto.h"

static silver_arena *arena;

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

static void test_hello_roundtrip(void **state)
{
	silver_feedstate f[2];
	uint8_t key[SILVER_KEY_BYTES];
	silver_buf b;
	silver_msg m;

	(void)state;
	memset(key, 7, sizeof(key));
	memset(f, 0, sizeof(f));
	memset(f[0].tag, 1, SILVER_FEEDTAG_BYTES);
	f[0].seq = 1;
	memset(f[1].tag, 2, SILVER_FEEDTAG_BYTES);
	f[1].seq = 300000;
	memset(f[1].hash, 9, SILVER_HASH_BYTES);
	silver_buf_init(&b);
	assert_int_equal(silver_msg_hello_encode(key, "longhu", 1, 4, f, 2, &b), 0);
	assert_int_equal(silver_msg_decode(b.data, b.len, arena, &m), 0);
	assert_int_equal(m.type, SILVER_MSG_HELLO);
	assert_memory_equal(m.key, key, SILVER_KEY_BYTES);
	assert_int_equal(m.township.n, 6);
	assert_memory_equal(m.township.p, "longhu", 6);
	assert_int_equal(m.window, 4);
	assert_int_equal(m.nfeeds, 2);
	assert_int_equal(m.feeds[1].seq, 300000);
	assert_memory_equal(m.feeds[1].hash, f[1].hash, SILVER_HASH_BYTES);
	/* every truncation is refused, never read past */
	for (size_t n = 0; n < b.len; n++)
		assert_int_not_equal(silver_msg_decode(b.data, n, arena, &m), 0);
	silver_buf_release(&b);
}

/* The golden bytes of docs/PROTOCOL.md's DONE example. */
static void test_done_golden(void **state)
{
	static const uint8_t want[] = {0x95, 0xaa, 's', 'i', 'l', 'v', 'e', 'r', 's', 'y', 'n', 'c',
				       0x01, 0x04, 0x03, 0xcd, 0x05, 0xdc};
	silver_buf b;
	silver_msg m;

	(void)state;
	silver_buf_init(&b);
	assert_int_equal(silver_msg_done_encode(3, 1500, &b), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	assert_int_equal(silver_msg_decode(b.data, b.len, arena, &m), 0);
	assert_int_equal(m.batches, 3);
	assert_int_equal(m.sent, 1500);
	silver_buf_release(&b);
}

static void test_batch_and_ack(void **state)
{
	uint8_t e1[3] = {1, 2, 3}, e2[300];
	silver_slice es[2] = {{e1, 3}, {e2, 300}};
	silver_buf a, b, scratch;
	silver_msg m;

	(void)state;
	memset(e2, 0xab, sizeof(e2));
	silver_buf_init(&a);
	silver_buf_init(&b);
	silver_buf_init(&scratch);
	assert_int_equal(silver_msg_batch_encode(42, es, 2, &a), 0);
	/* the two-step form gives the same bytes */
	assert_int_equal(silver_msg_batch_head(42, 2, &b), 0);
	assert_int_equal(silver_msg_bin_append(e1, 3, &scratch), 0);
	assert_int_equal(silver_msg_bin_append(e2, 300, &scratch), 0);
	assert_int_equal(silver_buf_append(&b, scratch.data, scratch.len), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_int_equal(silver_msg_decode(a.data, a.len, arena, &m), 0);
	assert_int_equal(m.type, SILVER_MSG_BATCH);
	assert_int_equal(m.batch, 42);
	assert_int_equal(m.nentries, 2);
	assert_int_equal(m.entries[1].n, 300);
	assert_memory_equal(m.entries[1].p, e2, 300);

	a.len = 0;
	assert_int_equal(silver_msg_ack_encode(42, SILVER_ECHAIN, "does not follow", 2, 0, 0, &a), 0);
	assert_int_equal(silver_msg_decode(a.data, a.len, arena, &m), 0);
	assert_int_equal(m.type, SILVER_MSG_ACK);
	assert_int_equal(m.code, SILVER_ECHAIN);
	assert_int_equal(m.reason.n, strlen("does not follow"));
	assert_int_equal(m.received, 2);
	silver_buf_release(&a);
	silver_buf_release(&b);
	silver_buf_release(&scratch);
}

static void test_limits(void **state)
{
	static silver_slice many[SILVER_SYNC_MAX_BATCH + 1];
	static uint8_t one = 0;
	char reason[1000];
	silver_buf b;
	silver_msg m;

	(void)state;
	for (size_t i = 0; i < SILVER_SYNC_MAX_BATCH + 1; i++)
		many[i] = (silver_slice){&one, 1};
	silver_buf_init(&b);
	assert_int_equal(silver_msg_batch_encode(1, many, SILVER_SYNC_MAX_BATCH + 1, &b), SILVER_ELIMIT);
	assert_int_equal(b.len, 0);
	assert_int_equal(silver_msg_batch_encode(1, many, SILVER_SYNC_MAX_BATCH, &b), 0);
	assert_int_equal(silver_msg_decode(b.data, b.len, arena, &m), 0);
	/* a hand-made BATCH that declares one entry too many */
	b.len = 0;
	assert_int_equal(silver_msg_batch_head(1, SILVER_SYNC_MAX_BATCH, &b), 0);
	/* array16 count MAX -> MAX + 1, big-endian */
	b.data[b.len - 2] = (uint8_t)((SILVER_SYNC_MAX_BATCH + 1) >> 8), b.data[b.len - 1] = (uint8_t)(SILVER_SYNC_MAX_BATCH + 1);
	for (size_t i = 0; i < SILVER_SYNC_MAX_BATCH + 1; i++)
		assert_int_equal(silver_msg_bin_append(&one, 1, &b), 0);
	assert_int_equal(silver_msg_decode(b.data, b.len, arena, &m), SILVER_ELIMIT);
	/* reason text is cut on encode */
	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = 0;
	b.len = 0;
	assert_int_equal(silver_msg_error_encode(SILVER_EDENIED, reason, &b), 0);
	assert_int_equal(silver_msg_decode(b.data, b.len, arena, &m), 0);
	assert_int_equal(m.reason.n, SILVER_SYNC_MAX_REASON);
	/* over the message cap */
	assert_int_equal(silver_msg_decode(b.data, (size_t)SILVER_SYNC_MAX_MSG + 1, arena, &m), SILVER_ELIMIT);
	silver_buf_release(&b);
}

static void test_refusals(void **state)
{
	silver_buf b;
	silver_msg m;
	uint8_t x[64];

	(void)state;
	silver_buf_init(&b);
	assert_int_equal(silver_msg_done_encode(1, 2, &b), 0);
	/* a newer protocol version */
	memcpy(x, b.data, b.len);
	x[12] = 0x02;
	assert_int_equal(silver_msg_decode(x, b.len, arena, &m), SILVER_EVERSION);
	/* an unknown type */
	memcpy(x, b.data, b.len);
	x[13] = 0x09;
	assert_int_equal(silver_msg_decode(x, b.len, arena, &m), SILVER_EVERSION);
	/* wrong magic */
	memcpy(x, b.data, b.len);
	x[2] = 'S';
	assert_int_equal(silver_msg_decode(x, b.len, arena, &m), SILVER_EMALFORMED);
	/* trailing bytes */
	memcpy(x, b.data, b.len);
	x[b.len] = 0;
	assert_int_equal(silver_msg_decode(x, b.len + 1, arena, &m), SILVER_EMALFORMED);
	/* non-canonical: uint 2 written as uint8 */
	memcpy(x, b.data, b.len - 1);
	x[b.len - 1] = 0xcc;
	x[b.len] = 0x02;
	assert_int_equal(silver_msg_decode(x, b.len + 1, arena, &m), SILVER_ENONCANON);
	/* codes: an ACK's is 0 or negative, an ERROR's negative (found by fuzz_sync_msg) */
	b.len = 0;
	assert_int_equal(silver_msg_ack_encode(7, 0, "", 1, 1, 1, &b), 0);
	memcpy(x, b.data, b.len);
	assert_int_equal(silver_msg_decode(x, b.len, arena, &m), 0);
	x[15] = 0x10; /* code 16 */
	assert_int_equal(silver_msg_decode(x, b.len, arena, &m), SILVER_EMALFORMED);
	b.len = 0;
	assert_int_equal(silver_msg_error_encode(SILVER_EDENIED, "no", &b), 0);
	memcpy(x, b.data, b.len);
	assert_int_equal(silver_msg_decode(x, b.len, arena, &m), 0);
	x[14] = 0x00; /* code 0 */
	assert_int_equal(silver_msg_decode(x, b.len, arena, &m), SILVER_EMALFORMED);
	x[14] = 0x05; /* code 5 */
	assert_int_equal(silver_msg_decode(x, b.len, arena, &m), SILVER_EMALFORMED);
	/* garbage */
	memset(x, 0xc1, sizeof(x));
	assert_int_equal(silver_msg_decode(x, sizeof(x), arena, &m), SILVER_EMALFORMED);
	assert_int_equal(silver_msg_decode(x, 0, arena, &m), SILVER_EMALFORMED);
	silver_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_roundtrip), cmocka_unit_test(test_done_golden),
		cmocka_unit_test(test_batch_and_ack),   cmocka_unit_test(test_limits),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
