/*
 * bundle.c - bundle files: the entries of one or more feeds in a file, for a
 * USB stick or an auditor.  The byte format is proto's (bundle.c there and
 * docs/FORMAT.md); this file only writes and maps files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

static int count_one(const uint8_t *p, size_t n, void *ctx)
{
	(void)p;
	(void)n;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int write_one(const uint8_t *p, size_t n, void *ctx)
{
	return fwrite(p, 1, n, ctx) == n ? 0 : (errno == ENOSPC ? SILVER_EDISKFULL : SILVER_EIO);
}

int silver_bundle_write(silver_store *s, const char *path, const silver_have *have, size_t nhave,
			silver_feedfilter_fn filter, void *fctx, uint64_t *count)
{
	silver_bundle_header h;
	silver_buf hb;
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 8);
	FILE *f = NULL;
	int rv;
	MDB_txn *txn;
	MDB_val v;

	*count = 0;
	if (!tmp)
		return SILVER_ENOMEM;
	snprintf(tmp, plen + 8, "%s.part", path);
	silver_buf_init(&hb);
	memset(&h, 0, sizeof(h));
	h.version = SILVER_FORMAT_VERSION;
	h.suite = SILVER_SUITE_ED25519_BLAKE2B;
	/* The count goes first, so the entries are walked twice, both times in
	 * one read transaction: a write landing meanwhile cannot make the
	 * header lie. */
	if ((rv = silver__rtxn(s, &txn)) != 0) {
		free(tmp);
		return rv;
	}
	if (silver__meta_get(s, txn, "hlc", &v) == 0 && v.mv_size == 8)
		memcpy(&h.created, v.mv_data, 8);
	rv = silver__export(s, txn, have, nhave, filter, fctx, count_one, &h.count);
	if (rv == 0)
		rv = silver_bundle_header_encode(&h, &hb);
	if (rv == 0 && !(f = fopen(tmp, "wb")))
		rv = errno == ENOENT ? SILVER_ENOTFOUND : SILVER_EIO;
	if (rv == 0 && fwrite(hb.data, 1, hb.len, f) != hb.len)
		rv = SILVER_EIO;
	if (rv == 0)
		rv = silver__export(s, txn, have, nhave, filter, fctx, write_one, f);
	mdb_txn_abort(txn);
	if (f) {
		if (rv == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0))
			rv = errno == ENOSPC ? SILVER_EDISKFULL : SILVER_EIO;
		if (fclose(f) != 0 && rv == 0)
			rv = SILVER_EIO;
	}
	if (rv == 0 && rename(tmp, path) != 0)
		rv = SILVER_EIO;
	if (rv != 0)
		unlink(tmp);
	else
		*count = h.count;
	free(tmp);
	silver_buf_release(&hb);
	return rv;
}

static void why_at(silver_why *why, const char *reason, size_t entry, uint64_t count)
{
	if (!why)
		return;
	memset(why, 0, sizeof(*why));
	snprintf(why->reason, sizeof(why->reason), "%s", reason);
	if (entry != SIZE_MAX) /* SIZE_MAX: the header itself is at fault, no entry to name */
		snprintf(why->detail, sizeof(why->detail), "entry %zu of %llu", entry, (unsigned long long)count);
}

int silver_bundle_open(const char *path, silver_bundle **out, silver_why *why)
{
	silver_bundle *b;
	struct stat st;
	size_t off = 0, used;
	int fd, rv;

	*out = NULL;
	if (why)
		memset(why, 0, sizeof(*why));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno == ENOENT ? SILVER_ENOTFOUND : SILVER_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return SILVER_EIO;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		close(fd);
		return SILVER_ENOMEM;
	}
	b->size = (size_t)st.st_size;
	if (b->size == 0) {
		close(fd);
		free(b);
		why_at(why, N_("the file is empty"), SIZE_MAX, 0);
		return SILVER_EMALFORMED;
	}
	b->map = mmap(NULL, b->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (b->map == MAP_FAILED) {
		free(b);
		return SILVER_EIO;
	}
	rv = silver_bundle_header_decode(b->map, b->size, &b->header, &used);
	if (rv != 0) {
		if (rv == SILVER_EMALFORMED)
			why_at(why, N_("not a silversync bundle (no bundle header)"), SIZE_MAX, 0);
		silver_bundle_close(&b);
		return rv;
	}
	off = used;
	/* Every entry is at least a few bytes: a count larger than the file
	 * could hold is a lie, refused before allocating for it. */
	if (b->header.count > (b->size - off) / 8 + 1) {
		why_at(why, N_("the header claims more entries than the file can hold (truncated?)"), 0,
		       b->header.count);
		silver_bundle_close(&b);
		return SILVER_EMALFORMED;
	}
	b->entries = calloc(b->header.count ? b->header.count : 1, sizeof(*b->entries));
	if (!b->entries) {
		silver_bundle_close(&b);
		return SILVER_ENOMEM;
	}
	for (b->n = 0; b->n < b->header.count; b->n++) {
		const uint8_t *p = (const uint8_t *)b->map + off;
		size_t len;
		if (off >= b->size) {
			why_at(why, N_("the file ends before its last entry (truncated)"), b->n + 1, b->header.count);
			silver_bundle_close(&b);
			return SILVER_EMALFORMED;
		}
		rv = silver_bundle_next(p, b->size - off, &len);
		if (rv != 0) {
			why_at(why, rv == SILVER_ELIMIT ? N_("an entry is larger than allowed")
							: N_("an entry is damaged or cut short"),
			       b->n + 1, b->header.count);
			silver_bundle_close(&b);
			return rv == SILVER_ELIMIT ? SILVER_ELIMIT : SILVER_EMALFORMED;
		}
		b->entries[b->n].p = p;
		b->entries[b->n].n = (uint32_t)len;
		off += len;
	}
	if (off != b->size) {
		why_at(why, N_("there are bytes after the last entry"), b->n, b->header.count);
		silver_bundle_close(&b);
		return SILVER_EMALFORMED;
	}
	*out = b;
	return 0;
}

void silver_bundle_close(silver_bundle **bp)
{
	silver_bundle *b = *bp;
	if (!b)
		return;
	if (b->map && b->map != MAP_FAILED)
		munmap(b->map, b->size);
	free(b->entries);
	free(b);
	*bp = NULL;
}
