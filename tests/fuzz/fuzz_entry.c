/*
 * fuzz_entry.c - libFuzzer target for silver_entry_decode.
 *
 * Anything the decoder accepts must re-encode to exactly the input bytes
 * (the canonical property), and any refusal must be one of the codes a
 * decoder may give.  Crashes, leaks and UB are found by the sanitizers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "silver_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static silver_arena *a;
	silver_buf body, whole;
	silver_entry e;
	int rv;

	if (!a) {
		if (silver_crypto_init() != 0 || !(a = silver_arena_new()))
			abort();
	}
	silver_arena_reset(a);
	rv = silver_entry_decode(data, size, a, &e);
	if (rv != 0) {
		if (rv != SILVER_EMALFORMED && rv != SILVER_ELIMIT && rv != SILVER_ENONCANON &&
		    rv != SILVER_EVERSION && rv != SILVER_ENOMEM)
			abort();
		return 0;
	}
	silver_buf_init(&body);
	silver_buf_init(&whole);
	if (silver_entry_encode_body(&e, &body) != 0 ||
	    silver_entry_wrap(body.data, body.len, e.sealed ? e.sig : NULL, &whole) != 0 ||
	    whole.len != size || memcmp(whole.data, data, size) != 0 || e.body.n != body.len ||
	    memcmp(e.body.p, body.data, body.len) != 0)
		abort();
	silver_buf_release(&body);
	silver_buf_release(&whole);
	return 0;
}
