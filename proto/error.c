/*
 * error.c - silver_strerror: one plain sentence per error code.
 *
 * The strings are English literals so that callers can pass them through
 * _() (the catalogue in po/ translates them); keep them short, say what went
 * wrong in words a branch office can act on, and end without a full stop
 * because callers often append detail.
 */
#include "silver_i18n.h"
#include "silver_proto.h"

const char *silver_strerror(int err)
{
	switch (err) {
	case SILVER_OK:
		return N_("success");
	case SILVER_ENOMEM:
		return N_("out of memory");
	case SILVER_EINVAL:
		return N_("invalid argument or input");
	case SILVER_EMALFORMED:
		return N_("the data is damaged or is not a silversync record");
	case SILVER_ELIMIT:
		return N_("the data is larger than silversync allows");
	case SILVER_ENONCANON:
		return N_("the data is not in the one standard encoding, so it cannot be trusted");
	case SILVER_EVERSION:
		return N_("the data was written by a newer version of silversync; please upgrade");
	case SILVER_EBADSIG:
		return N_("a signature does not match; the data was altered or signed with another key");
	case SILVER_ECHAIN:
		return N_("an entry does not follow the previous entry of its log; a part is missing or altered");
	case SILVER_EFORK:
		return N_("one key signed two different histories; the key may be copied or a backup was restored");
	case SILVER_ENOTFOUND:
		return N_("not found");
	case SILVER_EEXIST:
		return N_("already exists");
	case SILVER_ESCHEMA:
		return N_("a value does not fit the form of the record");
	case SILVER_EDENIED:
		return N_("not permitted: the key is not certified, is revoked, or belongs to another township");
	case SILVER_EIO:
		return N_("a disk or system error occurred");
	case SILVER_EFULL:
		return N_("the disk is full or the data store cannot grow");
	case SILVER_ESTORE:
		return N_("the data store reported an error");
	case SILVER_ECORRUPT:
		return N_("the data store is damaged; restore it from a backup or rebuild it");
	case SILVER_EUNSEALED:
		return N_("some entries have no signature after them yet; sync again to receive the rest");
	case SILVER_ESKEW:
		return N_("a computer clock is too far off; check the date and time settings");
	case SILVER_ECONFLICT:
		return N_("an open conflict must be resolved first");
	case SILVER_ENET:
		return N_("the network connection or the other side failed");
	case SILVER_ECRYPTO:
		return N_("the cryptography library could not be started");
	case SILVER_EDISKFULL:
		return N_("the disk is full");
	case SILVER_EOLDSTORE:
		return N_("the data store was written by an older version of silversync; run \"silvernode upgrade\" once to "
			  "bring it up to date");
	case SILVER_ECLOCK:
		return N_("this computer's clock is set before 1970 or past the year 10889, which silversync cannot "
			  "record; set the date and time, then try again");
	case SILVER_EINDEX:
		return N_("the search index is still being built");
	case SILVER_ECATCHUP:
		return N_("this node was restored from a backup and must first receive its own latest entries from the "
			  "hub or a peer (sync or import-bundle), or be told 'silvernode caught-up'");
	}
	return N_("unknown error");
}
