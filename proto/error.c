/*
 * error.c - silver_strerror: one plain sentence per error code.
 *
 * The strings are English literals so that callers can pass them through
 * _() (the catalogue in po/ translates them); keep them short, say what went
 * wrong in words a branch office can act on, and end without a full stop
 * because callers often append detail.
 */
#include "silver_proto.h"

const char *silver_strerror(int err)
{
	switch (err) {
	case SILVER_OK:
		return "success";
	case SILVER_ENOMEM:
		return "out of memory";
	case SILVER_EINVAL:
		return "invalid argument or input";
	case SILVER_EMALFORMED:
		return "the data is damaged or is not a silversync record";
	case SILVER_ELIMIT:
		return "the data is larger than silversync allows";
	case SILVER_ENONCANON:
		return "the data is not in the one standard encoding, so it cannot be trusted";
	case SILVER_EVERSION:
		return "the data was written by a newer version of silversync; please upgrade";
	case SILVER_EBADSIG:
		return "a signature does not match; the data was altered or signed with another key";
	case SILVER_ECHAIN:
		return "an entry does not follow the previous entry of its log; a part is missing or altered";
	case SILVER_EFORK:
		return "one key signed two different histories; the key may be copied or a backup was restored";
	case SILVER_ENOTFOUND:
		return "not found";
	case SILVER_EEXIST:
		return "already exists";
	case SILVER_ESCHEMA:
		return "a value does not fit the form of the record";
	case SILVER_EDENIED:
		return "not permitted: the key is not certified, is revoked, or belongs to another township";
	case SILVER_EIO:
		return "a disk or system error occurred";
	case SILVER_EFULL:
		return "the disk is full or the data store cannot grow";
	case SILVER_ESTORE:
		return "the data store reported an error";
	case SILVER_ECORRUPT:
		return "the data store is damaged; restore it from a backup or rebuild it";
	case SILVER_EUNSEALED:
		return "some entries have no signature after them yet; sync again to receive the rest";
	case SILVER_ESKEW:
		return "a computer clock is too far off; check the date and time settings";
	case SILVER_ECONFLICT:
		return "an open conflict must be resolved first";
	case SILVER_ENET:
		return "the network connection or the other side failed";
	case SILVER_ECRYPTO:
		return "the cryptography library could not be started";
	case SILVER_EDISKFULL:
		return "the disk is full";
	case SILVER_ECATCHUP:
		return "this node was restored from a backup and must first receive its own latest entries from the "
		       "hub or a peer (sync or import-bundle), or be told 'silvernode caught-up'";
	}
	return "unknown error";
}
