/*
 * silver_pack.h - MessagePack encoding straight into a silver_buf.
 *
 * msgpack-c's packer is one template, msgpack/pack_template.h, which its
 * own pack.h instantiates for msgpack_packer: every token (a type byte, a
 * length, a short string) goes through a write callback.  An entry or a
 * record state is a hundred tokens or more, and the indirect call cost as
 * much as the rest of the encoding.  This header instantiates the same
 * template again, as silver_pack_*(silver_buf *, ...), with the append
 * inlined: the bytes are msgpack-c's, only the call is gone.
 *
 * Every function returns 0, or -1 when the buffer could not grow; the
 * results may be or-ed together and checked once, or ignored and the
 * buffer's sticky flag (silver_buf_failed) checked at the end.
 */
#ifndef SILVER_PACK_H
#define SILVER_PACK_H

#include <string.h>

#include <msgpack.h>

#include "silver_proto.h"

static inline int silver__pack_append(silver_buf *b, const void *p, size_t n)
{
	if (b->cap && n < b->cap - b->len && !b->failed) { /* the room is usually there (cap + 1 bytes are allocated) */
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = 0;
		return 0;
	}
	return silver_buf_append(b, p, n) == 0 ? 0 : -1;
}

/* pack.h leaves these two defined for its own instantiation */
#undef msgpack_pack_inline_func_cint
#undef msgpack_pack_inline_func_fixint
#define msgpack_pack_inline_func(name) static inline int silver_pack##name
#define msgpack_pack_inline_func_cint(name) static inline int silver_pack##name
#define msgpack_pack_inline_func_fixint(name) static inline int silver_pack_fix##name
#define msgpack_pack_user silver_buf *
#define msgpack_pack_append_buffer(user, buf, len) return silver__pack_append(user, buf, len)
/* the template calls one of its functions by its msgpack_packer name */
#define msgpack_pack_ext silver_pack_ext

#include <msgpack/pack_template.h>

#undef msgpack_pack_ext
#undef msgpack_pack_inline_func_cint
#undef msgpack_pack_inline_func_fixint

#endif
