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
	return fwrite(p, 1, n, ctx) == n ? 0 : silver__errno_err(errno);
}

/* The .part file beside the bundle: a regular file of ours, or nothing.  A
 * leftover regular .part (an earlier run that was stopped) is replaced; any
 * other kind of file there is refused, never opened (a FIFO would block). */
static int open_part(const char *tmp, FILE **f)
{
	struct stat st;
	int fd;
	if (lstat(tmp, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return SILVER_EINVAL;
		if (unlink(tmp) != 0)
			return SILVER_EIO;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return errno == ENOENT ? SILVER_ENOTFOUND : silver__errno_err(errno);
	if (!(*f = fdopen(fd, "wb"))) {
		close(fd);
		unlink(tmp);
		return SILVER_ENOMEM;
	}
	return 0;
}

int silver_bundle_write(silver_store *s, const char *path, const silver_have *have, size_t nhave,
			silver_feedfilter_fn filter, void *fctx, uint64_t *count)
{
	silver_bundle_header h;
	silver_buf hb;
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 8);
	FILE *f = NULL;
	struct stat st;
	int rv, made = 0;
	MDB_txn *txn;
	MDB_val v;

	*count = 0;
	if (!tmp)
		return SILVER_ENOMEM;
	/* Never rename over something that is not a regular file: a device
	 * (/dev/full, /dev/null), a FIFO, a socket or a directory stays. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		free(tmp);
		return SILVER_EINVAL;
	}
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
	if (rv == 0 && (rv = open_part(tmp, &f)) == 0)
		made = 1;
	if (rv == 0 && fwrite(hb.data, 1, hb.len, f) != hb.len)
		rv = silver__errno_err(errno);
	if (rv == 0)
		rv = silver__export(s, txn, have, nhave, filter, fctx, write_one, f);
	silver__rtxn_end(s, txn);
	if (f) {
		if (rv == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0))
			rv = silver__errno_err(errno);
		if (fclose(f) != 0 && rv == 0)
			rv = silver__errno_err(errno);
	}
	/* Checked again just before: the path may have been made meanwhile. */
	if (rv == 0 && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		rv = SILVER_EINVAL;
	if (rv == 0 && rename(tmp, path) != 0)
		rv = silver__errno_err(errno);
	if (rv == 0 && (rv = silver__fsync_dir_of(path)) != 0) {
		/* The rename itself must survive a power cut; when that cannot be
		 * made sure, no bundle is better than one that may vanish. */
		unlink(path);
	}
	if (rv != 0 && made)
		unlink(tmp);
	if (rv == 0)
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

/* Read the whole regular file fd of size bytes into memory.  Reading, not
 * mapping: a mapped file that shrinks while it is read (a USB stick pulled,
 * a copy still being written) would kill the process with SIGBUS; read(2)
 * returns what is there, and a short file is then refused as truncated. */
static int read_all(int fd, uint8_t *p, size_t size, size_t *got)
{
	size_t off = 0;
	while (off < size) {
		ssize_t k = read(fd, p + off, size - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return SILVER_EIO;
		if (k == 0)
			break; /* the file shrank since fstat */
		off += (size_t)k;
	}
	*got = off;
	return 0;
}

int silver_bundle_open(const char *path, silver_bundle **out, silver_why *why)
{
	silver_bundle *b;
	struct stat st;
	size_t off = 0, used, got;
	int fd, rv;

	*out = NULL;
	if (why)
		memset(why, 0, sizeof(*why));
	/* Only a regular file is a bundle: a FIFO would block the open, a
	 * device or a directory is never one.  O_NONBLOCK keeps the open from
	 * waiting for a FIFO's writer; the fstat then refuses it. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == EISDIR) {
		why_at(why, N_("not a regular file (a directory, device or pipe is never a bundle)"), SIZE_MAX, 0);
		return SILVER_EMALFORMED;
	}
	if (fd < 0)
		return errno == ENOENT ? SILVER_ENOTFOUND : SILVER_EIO;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return SILVER_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		why_at(why, N_("not a regular file (a directory, device or pipe is never a bundle)"), SIZE_MAX, 0);
		return SILVER_EMALFORMED;
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
	b->map = malloc(b->size);
	if (!b->map) {
		close(fd);
		free(b);
		return SILVER_ENOMEM;
	}
	rv = read_all(fd, b->map, b->size, &got);
	close(fd);
	if (rv != 0) {
		silver_bundle_close(&b);
		return rv;
	}
	if (got < b->size) {
		why_at(why, N_("the file became shorter while it was read (removed or still being written?)"), SIZE_MAX, 0);
		silver_bundle_close(&b);
		return SILVER_EMALFORMED;
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
	free(b->map);
	free(b->entries);
	free(b);
	*bp = NULL;
}
