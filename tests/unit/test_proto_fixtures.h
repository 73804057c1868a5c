/*
 * test_proto_fixtures.h - shared by the proto tests: the deterministic test
 * key, the golden-vector entries, and an unchecked msgpack writer that can
 * produce entries the real encoder refuses.
 */
#ifndef TEST_PROTO_FIXTURES_H
#define TEST_PROTO_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "silver_proto.h"

#define FIX_NVECTORS 5

/* Ed25519 key pair from the seed 0x01, 0x02, ... 0x20. */
void fix_keypair(uint8_t pk[SILVER_KEY_BYTES], uint8_t sk[SILVER_SECRET_BYTES]);
/* A second author (seed 0x21..0x40), for bases from another feed. */
void fix_keypair2(uint8_t pk[SILVER_KEY_BYTES], uint8_t sk[SILVER_SECRET_BYTES]);

struct fix_vector {
	const char *name; /* file tests/vectors/<name>.hex */
	int sealed;
	silver_entry e;   /* prev filled in by fix_vectors() */
};

/* Builds the golden entries (static storage; prev chained through hashes).
 * Returns the array of FIX_NVECTORS. */
struct fix_vector *fix_vectors(void);

/* Encode + optionally seal + wrap with the real encoder; asserts success. */
void fix_encode(silver_entry *e, int seal, const uint8_t sk[SILVER_SECRET_BYTES], silver_buf *out);

/* The same layout written with msgpack-c and no checks at all. */
void fix_raw_encode(const silver_entry *e, const uint8_t *sig, silver_buf *out);

/* A minimal valid change entry (seq 1) to derive test cases from; writes
 * and values point into static storage owned by the fixture. */
void fix_minimal(silver_entry *e);

/* read a whole file / a hex file into out; 0 or -1 */
int fix_read_file(const char *path, silver_buf *out);
int fix_read_hex(const char *path, silver_buf *out);

#endif
