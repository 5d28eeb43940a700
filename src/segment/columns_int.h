/* columns_int.h — private to src/segment/columns_*.c: the layout of the segments'
 * column copy (include/tamis/segment_columns.h) on disk and once opened.
 *
 * The file, in the byte order of the machine that wrote it (a marker in the header
 * tells; a copy from another byte order is not used):
 *
 *   header (COLS_HEADER_BYTES): magic "TAMISCOL", u32 version, u32 byte-order marker,
 *     u64 results generation, i64 as-of ms, u32 uid end, u32 uids per chunk,
 *     u32 chunks, u32 reserved, u64 directory offset, u64 directory length,
 *     u64 XXH3-64 of the directory
 *   data: per chunk, 8-byte aligned arrays (see below)
 *   directory (varints, util/bytes.h): the column names in slot order; then per chunk
 *     the offset of its present-users bitset, per slot an encoding and an offset (and
 *     for strings the chunk's dictionary), and its tags with the offset and length
 *     of each one's CRoaring bitmap (portable format) of the chunk's users having it.
 *
 * Slots are the column table's columns (include/tamis/columns.h) in order, then the
 * contact's country. A chunk holds `uids per chunk` consecutive uids (COLS_CHUNK_UIDS); a slot's array in
 * it has one cell per uid, by encoding: u8 (COLS_U8_NULL: null), i32 (INT32_MIN:
 * null), f64 (NaN: null; times are UTC ms), or u16 dictionary codes (0: null, k: the
 * k-th dictionary string). Booleans are u8 0 / 1. Columns that are not single values
 * (histogram, reasons, platforms) and the user key are not copied. */
#ifndef TAMIS_SEGMENT_COLUMNS_INT_H
#define TAMIS_SEGMENT_COLUMNS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <roaring/roaring.h>

#include "tamis/expr.h"
#include "tamis/segment_columns.h"

#define COLS_MAGIC "TAMISCOL"
#define COLS_VERSION 1u
#define COLS_BYTE_ORDER 0x01020304u
#define COLS_HEADER_BYTES 80
#define COLS_CHUNK_UIDS 65536u /* uids per chunk as tamis builds it, and the most a file may use */
#define COLS_CHUNK_MIN 1024u    /* the fewest a file may use (a power of two in between) */
#define COLS_U8_NULL 255
#define COLS_DICT_MAX 65535u /* strings of one slot in one chunk */

typedef enum cols_enc {
    ENC_NONE = 0, /* not copied, or the slot's values cannot be copied */
    ENC_NULL,     /* every cell null */
    ENC_U8,
    ENC_I32,
    ENC_F64,
    ENC_CODE      /* u16 codes into the part's dictionary */
} cols_enc;

typedef struct cols_str {
    const char *s; /* in the mapped file: not NUL-terminated */
    uint32_t len;
} cols_str;

/* One slot in one chunk. */
typedef struct cols_part {
    uint8_t enc;         /* cols_enc */
    const void *cells;   /* a cell per uid of the chunk (ENC_U8 .. ENC_CODE) */
    uint32_t n_dict;     /* ENC_CODE */
    cols_str *dict;      /* dict[k - 1] is code k */
} cols_part;

typedef struct cols_tag {
    cols_str name;
    const void *bitmap; /* portable CRoaring bytes */
    size_t len;
} cols_tag;

typedef struct cols_chunk {
    const uint64_t *present; /* bitset of the chunk's uids that have a result */
    cols_part *parts;        /* one per slot */
    cols_tag *tags;          /* sorted by name (bytes, then length) */
    size_t n_tags;
} cols_chunk;

struct tamis_segment_columns {
    void *map;
    size_t map_len;
    uint64_t generation;
    int64_t as_of_ms;
    uint32_t uid_end;
    uint32_t chunk_uids;
    uint32_t n_chunks;
    size_t n_slots;       /* columns, then country */
    cols_chunk *chunks;
    cols_part *parts;     /* n_chunks * n_slots, the chunks' parts */
    cols_str *strings;    /* every dictionary's strings */
    cols_tag *tags;       /* every chunk's tags */
};

/* The slot of the contact's country. */
static inline size_t cols_country_slot(const struct tamis_segment_columns *c)
{
    return c->n_slots - 1;
}

/* Builds the copy with chunk_uids uids per chunk (tamis_segment_columns_build uses
 * COLS_CHUNK_UIDS; tests make small files). */
int cols_build(tamis_store *store, const tamis_model_config *cfg, unsigned threads, uint32_t chunk_uids,
               tamis_error *err);
/* Checks and decodes the mapped file c->map (c->map_len bytes) into c's other fields;
 * false with *reason when it is not a readable copy. The results generation is not
 * checked here. */
bool cols_parse(struct tamis_segment_columns *c, const char **reason);

/* Whether every name e reads is in the copy (columns_eval.c); if not, the caller
 * evaluates e row by row. */
bool cols_supports(const struct tamis_segment_columns *c, const tamis_expr *e);
/* Adds the uids of e's members to members, evaluated over the copy on `threads`
 * workers (cols_supports must be true). */
int cols_evaluate(const struct tamis_segment_columns *c, const tamis_expr *e, unsigned threads,
                  roaring_bitmap_t *members, tamis_error *err);

/* Byte-wise order of two strings as strcmp would give for NUL-free text. */
int cols_str_cmp(const char *a, size_t alen, const char *b, size_t blen);

#endif
