/*
 * fuzz_admin.c - libFuzzer target for the admin's operations (certificates
 * and revocations) and for fork proofs: whatever decodes must re-encode to
 * the same bytes; nothing may crash or leak.  The first byte chooses the
 * decoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "silver_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	silver_arena *a;
	silver_slice raw;
	silver_buf b;

	if (size < 1)
		return 0;
	raw.p = data + 1;
	raw.n = (uint32_t)(size - 1);
	a = silver_arena_new();
	if (!a)
		return 0;
	silver_buf_init(&b);
	switch (data[0] % 3) {
	case 0: {
		silver_cert c;
		if (silver_cert_decode(&raw, a, &c) == 0 &&
		    (silver_cert_encode(&c, &b) != 0 || b.len != raw.n || memcmp(b.data, raw.p, b.len)))
			abort();
		break;
	}
	case 1: {
		silver_revoke r;
		if (silver_revoke_decode(&raw, a, &r) == 0 &&
		    (silver_revoke_encode(&r, &b) != 0 || b.len != raw.n || memcmp(b.data, raw.p, b.len)))
			abort();
		break;
	}
	default: {
		silver_fork_info info;
		if (silver_fork_proof_verify(raw.p, raw.n, &info) == 0 && info.seq == 0)
			abort(); /* a valid proof names a real seq */
		break;
	}
	}
	silver_buf_release(&b);
	silver_arena_destroy(&a);
	return 0;
}
