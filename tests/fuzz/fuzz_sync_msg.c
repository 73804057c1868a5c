/*
 * fuzz_sync_msg.c - libFuzzer target for the sync protocol's messages
 * (silver_msg_decode, docs/PROTOCOL.md): the bytes a peer sends before
 * anything about it is known.  Whatever decodes must keep the protocol's
 * limits and must encode back, through the public encoders, to the very
 * same bytes; nothing may crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "silver_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A C string copy of a slice, or NULL when it holds a NUL (the encoders
 * take C strings, so such a message cannot be re-encoded by them). */
static char *cstr(const silver_slice *s)
{
	char *p;
	if (memchr(s->p, 0, s->n))
		return NULL;
	if (!(p = malloc(s->n + 1)))
		abort();
	memcpy(p, s->p, s->n);
	p[s->n] = 0;
	return p;
}

static void check_limits(const silver_msg *m, const uint8_t *data, size_t size)
{
	switch (m->type) {
	case SILVER_MSG_HELLO:
		if (m->window < 1 || m->window > SILVER_SYNC_MAX_WINDOW || m->nfeeds > SILVER_SYNC_MAX_FEEDS)
			abort();
		for (uint32_t i = 0; i < m->nfeeds; i++)
			if (m->feeds[i].seq == 0)
				abort();
		break;
	case SILVER_MSG_BATCH: {
		size_t total = 0;
		if (m->nentries > SILVER_SYNC_MAX_BATCH)
			abort();
		for (uint32_t i = 0; i < m->nentries; i++) {
			/* slices point into the message itself */
			if (m->entries[i].n && (m->entries[i].p < data || m->entries[i].p + m->entries[i].n > data + size))
				abort();
			total += m->entries[i].n;
		}
		if (total > SILVER_SYNC_MAX_BATCH_BYTES)
			abort();
		break;
	}
	case SILVER_MSG_ACK:
	case SILVER_MSG_ERROR:
		if (m->reason.n > SILVER_SYNC_MAX_REASON || m->code > 0)
			abort();
		break;
	case SILVER_MSG_FORK:
		if (m->fork.seq == 0)
			abort();
		break;
	case SILVER_MSG_DONE:
		break;
	default:
		abort(); /* an unknown type must not decode */
	}
}

static int reencode(const silver_msg *m, silver_buf *b)
{
	char *s = NULL;
	int rv = 0;
	switch (m->type) {
	case SILVER_MSG_HELLO:
		if (!(s = cstr(&m->township)))
			return 1;
		rv = silver_msg_hello_encode(m->key, s, m->role, m->window, m->feeds, m->nfeeds, b);
		break;
	case SILVER_MSG_BATCH:
		rv = silver_msg_batch_encode(m->batch, m->entries, m->nentries, b);
		break;
	case SILVER_MSG_ACK:
		if (!(s = cstr(&m->reason)))
			return 1;
		rv = silver_msg_ack_encode(m->batch, m->code, s, m->received, m->stored, m->applied, b);
		break;
	case SILVER_MSG_DONE:
		rv = silver_msg_done_encode(m->batches, m->sent, b);
		break;
	case SILVER_MSG_FORK:
		rv = silver_msg_fork_encode(&m->fork, m->fork_theirs, b);
		break;
	case SILVER_MSG_ERROR:
		if (!(s = cstr(&m->reason)))
			return 1;
		rv = silver_msg_error_encode(m->code, s, b);
		break;
	}
	free(s);
	return rv;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	silver_arena *a = silver_arena_new();
	silver_msg m;
	silver_buf b;
	int rv;

	if (!a)
		return 0;
	silver_buf_init(&b);
	memset(&m, 0, sizeof(m));
	if (silver_msg_decode(data, size, a, &m) == 0) {
		check_limits(&m, data, size);
		rv = reencode(&m, &b);
		if (rv < 0 || (rv == 0 && (b.len != size || memcmp(b.data, data, size) != 0)))
			abort();
	}
	silver_buf_release(&b);
	silver_arena_destroy(&a);
	return 0;
}
