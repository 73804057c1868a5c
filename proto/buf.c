/*
 * buf.c - the growable byte buffer (silver_buf) and the bump allocator
 * (silver_arena) that decoded structures live in.
 *
 * silver_buf invariants (as git's strbuf):
 *   - data is never NULL after silver_buf_init; an empty buffer points at a
 *     shared read-only byte and has cap == 0, so it must never be written
 *     before silver_buf_reserve;
 *   - len <= cap, and when cap > 0 data[len] is a NUL byte that is not part
 *     of the contents (handy for hex and text), so cap counts usable bytes;
 *   - failed is sticky: once the buffer could not grow, every later append
 *     and reserve refuses (the contents lack a piece), so an encoder checks
 *     silver_buf_failed once at its end; silver_buf_reset clears it;
 *   - silver_buf_release frees and leaves an empty, reusable buffer.
 *
 * silver_arena: a list of blocks; silver_arena_alloc hands out zeroed,
 * max_align_t-aligned pieces; reset keeps the blocks for reuse; destroy
 * frees everything.  Nothing is freed one piece at a time.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "silver_proto.h"

static uint8_t silver_buf_empty[1];

void silver_buf_init(silver_buf *b)
{
	b->data = silver_buf_empty;
	b->len = 0;
	b->cap = 0;
	b->failed = 0;
}

int silver_buf_reserve(silver_buf *b, size_t n)
{
	size_t want, cap;
	uint8_t *p;

	if (b->failed)
		return SILVER_ENOMEM; /* sticky: the contents already lack something */
	if (n > SIZE_MAX - 1 - b->len) {
		b->failed = 1;
		return SILVER_ENOMEM;
	}
	want = b->len + n;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > (SIZE_MAX - 1) / 2 ? want : cap * 2;
	p = realloc(b->cap ? b->data : NULL, cap + 1);
	if (!p) {
		b->failed = 1;
		return SILVER_ENOMEM;
	}
	if (!b->cap)
		p[0] = 0;
	b->data = p;
	b->cap = cap;
	b->data[b->len] = 0;
	return 0;
}

int silver_buf_append(silver_buf *b, const void *p, size_t n)
{
	int rv;

	if (n == 0)
		return 0;
	/* The packer appends a few bytes at a time: the room is usually there
	 * (cap + 1 bytes are allocated, so the terminator fits too). */
	if (b->cap && n < b->cap - b->len && !b->failed) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = 0;
		return 0;
	}
	if ((rv = silver_buf_reserve(b, n)) != 0)
		return rv;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

void silver_buf_release(silver_buf *b)
{
	if (b->cap)
		free(b->data);
	silver_buf_init(b);
}

/* ---- arena ---------------------------------------------------------------- */

#define ARENA_BLOCK 8192
#define ARENA_ALIGN (alignof(max_align_t))

struct arena_block {
	struct arena_block *next;
	size_t size, used;
	alignas(max_align_t) uint8_t data[];
};

struct silver_arena {
	struct arena_block *head, *cur;
};

silver_arena *silver_arena_new(void)
{
	return calloc(1, sizeof(silver_arena));
}

void *silver_arena_alloc(silver_arena *a, size_t n)
{
	struct arena_block *b, *last = NULL;
	size_t size;
	void *p;

	if (!a || n > SIZE_MAX / 2)
		return NULL;
	n = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	for (b = a->cur; b; b = b->next) {
		last = b;
		if (b->size - b->used >= n)
			break;
	}
	if (!b) {
		size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->next = NULL;
		b->size = size;
		b->used = 0;
		if (last)
			last->next = b;
		else
			a->head = b;
	}
	a->cur = b;
	p = b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

void silver_arena_reset(silver_arena *a)
{
	struct arena_block *b;

	if (!a)
		return;
	for (b = a->head; b; b = b->next)
		b->used = 0;
	a->cur = a->head;
}

void silver_arena_destroy(silver_arena **pa)
{
	struct arena_block *b, *next;

	if (!pa || !*pa)
		return;
	for (b = (*pa)->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(*pa);
	*pa = NULL;
}
