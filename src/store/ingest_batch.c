/* ingest_batch.c — the batch that carries parsed events from the parse side to the
 * apply side of an ingest session (see ingest_session.h): its string table and
 * resetting between uses. */
#include <string.h>

#include "ingest_session.h"
#include "tamis/alloc.h"

void ingest_batch_init(ingest_batch *b)
{
    memset(b, 0, sizeof *b);
}

void ingest_batch_reset(ingest_batch *b)
{
    b->file = NULL;
    b->n_events = b->n_refs = b->n_strings = b->n_new = b->n_learns = b->n_new_platforms = 0;
    b->str_bytes.len = b->rejects.len = b->raw.len = 0;
    b->rejected = 0;
    b->end_offset = b->end_line = 0;
    b->last = false;
    b->have_ts = false;
}

void ingest_batch_free(ingest_batch *b)
{
    tamis_free(b->events);
    tamis_free(b->refs);
    tamis_free(b->str_off);
    tamis_free(b->str_len);
    tamis_free(b->str_bytes.buf);
    tamis_free(b->new_entries);
    tamis_free(b->learns);
    tamis_free(b->rejects.buf);
    tamis_free(b->raw.buf);
    memset(b, 0, sizeof *b);
}

/* Strings are appended, not deduplicated: hashing every field of every event costs
 * more than the few bytes a repeat takes. */
uint32_t ingest_batch_string(ingest_batch *b, const char *s, size_t len)
{
    uint32_t id = (uint32_t)b->n_strings;
    if (b->n_strings + 1 > b->cap_strings) {
        size_t cap = b->cap_strings;
        b->str_off = tamis_grow(b->str_off, sizeof *b->str_off, &cap, b->n_strings + 1);
        b->str_len = tamis_realloc(b->str_len, cap * sizeof *b->str_len);
        b->cap_strings = cap;
    }
    b->str_off[id] = (uint32_t)b->str_bytes.len;
    b->str_len[id] = (uint32_t)len;
    tamis_put_bytes(&b->str_bytes, s, len);
    b->n_strings++;
    return id;
}

uint32_t ingest_batch_bytes(ingest_batch *b, const char *s, size_t len)
{
    uint32_t off = (uint32_t)b->str_bytes.len;
    tamis_put_bytes(&b->str_bytes, s, len);
    return off;
}
