/*
 * hlc.c - the hybrid logical clock stamped on every entry.
 *
 * A clock value is 64 bits: milliseconds since the Unix epoch in the top 48,
 * a counter in the low 16.  Values only grow:
 *
 *   next(last, now)  = max(last + 1, now << 16), or 0 (refused) when now is
 *                    past the 48-bit millisecond range or last is the
 *                    largest value: a stamp is never reused
 *   observe(clock, remote): refuse (SILVER_ESKEW) a remote whose millisecond
 *                    part is more than max_skew_ms ahead of our wall clock,
 *                    so one laptop with its date set to 2035 cannot drag
 *                    every replica's clock into the future; otherwise
 *                    clock = max(clock, remote).  The caller then stamps its
 *                    next local event with next(clock, now), which is past
 *                    everything it has seen.
 */
#include "silver_proto.h"

uint64_t silver_hlc_next(uint64_t last, uint64_t now_ms)
{
	uint64_t wall;

	/* A clock set before 1970 reads as a huge number here; one past the
	 * year 10889 does not fit.  Either would pin every later value to the
	 * top of the range, and record ids made from equal values collide: so
	 * refuse, and let the caller say the clock is wrong. */
	if (now_ms > SILVER_HLC_MAX_MS || last == UINT64_MAX)
		return 0;
	wall = now_ms << 16;
	return last + 1 > wall ? last + 1 : wall;
}

int silver_hlc_observe(uint64_t *clock, uint64_t remote, uint64_t now_ms, uint64_t max_skew_ms)
{
	uint64_t limit;

	if (!clock)
		return SILVER_EINVAL;
	limit = now_ms > UINT64_MAX - max_skew_ms ? UINT64_MAX : now_ms + max_skew_ms;
	if (SILVER_HLC_MS(remote) > limit)
		return SILVER_ESKEW;
	if (remote > *clock)
		*clock = remote;
	return 0;
}
