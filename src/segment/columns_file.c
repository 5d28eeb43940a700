/* columns_file.c — opening the segments' column copy (include/tamis/segment_columns.h,
 * layout in columns_int.h): the file is mapped read-only, its header and directory
 * checked (magic, version, byte order, the directory's hash, every array inside the
 * data area and aligned, the column names those of this build), and the directory
 * decoded into per-chunk parts pointing into the map. A copy that fails any check,
 * or that holds another results generation than the caller's transaction, is not
 * used: the caller reads the stored results instead. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "columns_int.h"
#include "tamis/alloc.h"
#include "tamis/columns.h"
#include "util/bytes.h"

int cols_str_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

void tamis_segment_columns_close(tamis_segment_columns *c)
{
    if (!c)
        return;
    if (c->map)
        munmap(c->map, c->map_len);
    tamis_free(c->chunks);
    tamis_free(c->parts);
    tamis_free(c->strings);
    tamis_free(c->tags);
    tamis_free(c);
}

typedef struct header {
    uint64_t generation;
    int64_t as_of_ms;
    uint32_t uid_end, chunk_uids, n_chunks;
    uint64_t dir_offset, dir_len, dir_hash;
} header;

static bool read_header(const uint8_t *p, size_t size, header *h)
{
    uint32_t version, order, reserved;
    if (size < COLS_HEADER_BYTES || memcmp(p, COLS_MAGIC, 8) != 0)
        return false;
    p += 8;
#define GET(x) (memcpy(&(x), p, sizeof(x)), p += sizeof(x))
    GET(version);
    GET(order);
    GET(h->generation);
    GET(h->as_of_ms);
    GET(h->uid_end);
    GET(h->chunk_uids);
    GET(h->n_chunks);
    GET(reserved);
    GET(h->dir_offset);
    GET(h->dir_len);
    GET(h->dir_hash);
#undef GET
    (void)reserved;
    return version == COLS_VERSION && order == COLS_BYTE_ORDER && h->chunk_uids >= COLS_CHUNK_MIN &&
           h->chunk_uids <= COLS_CHUNK_UIDS && (h->chunk_uids & (h->chunk_uids - 1)) == 0 &&
           h->n_chunks == (h->uid_end + (uint64_t)h->chunk_uids - 1) / h->chunk_uids &&
           h->dir_offset >= COLS_HEADER_BYTES && h->dir_offset <= size && h->dir_len <= size - h->dir_offset;
}

/* Whether [base + off, + len) lies in the data area, aligned to `align`. */
static bool in_data(const header *h, uint64_t base, uint64_t off, uint64_t len, uint64_t align)
{
    uint64_t at = base + off;
    return at >= base && at >= COLS_HEADER_BYTES && at % align == 0 && at <= h->dir_offset &&
           len <= h->dir_offset - at;
}

static const size_t cell_bytes[] = {[ENC_U8] = 1, [ENC_I32] = 4, [ENC_F64] = 8, [ENC_CODE] = 2};

/* Decodes one slot's part of a chunk. */
static bool read_part(tamis_segment_columns *c, const header *h, tamis_rbuf *r, uint64_t base, cols_part *p,
                      size_t *n_strings, size_t *cap_strings)
{
    uint64_t off, n;
    p->enc = tamis_get_u8(r);
    if (p->enc > ENC_CODE)
        return false;
    if (p->enc == ENC_NONE || p->enc == ENC_NULL)
        return r->ok;
    off = tamis_get_varint(r);
    if (!r->ok || !in_data(h, base, off, (uint64_t)h->chunk_uids * cell_bytes[p->enc], cell_bytes[p->enc]))
        return false;
    p->cells = (const uint8_t *)c->map + base + off;
    if (p->enc != ENC_CODE)
        return true;
    n = tamis_get_varint(r);
    if (!r->ok || n > COLS_DICT_MAX)
        return false;
    p->n_dict = (uint32_t)n;
    /* strings are appended; parts keep an index until every chunk is read */
    p->dict = (cols_str *)(uintptr_t)*n_strings;
    for (uint64_t k = 0; k < n; k++) {
        size_t len;
        const char *s = tamis_get_str(r, &len, 1u << 20);
        if (!r->ok)
            return false;
        if (*n_strings == *cap_strings)
            c->strings = tamis_grow(c->strings, sizeof *c->strings, cap_strings, *n_strings + 1);
        c->strings[(*n_strings)++] = (cols_str){s, (uint32_t)len};
    }
    return true;
}

static bool read_tags(tamis_segment_columns *c, const header *h, tamis_rbuf *r, uint64_t base, cols_chunk *ck,
                      size_t *n_tags, size_t *cap_tags)
{
    uint64_t n = tamis_get_varint(r);
    if (!r->ok || n > h->dir_len) /* each takes directory bytes */
        return false;
    ck->n_tags = (size_t)n;
    ck->tags = (cols_tag *)(uintptr_t)*n_tags;
    for (uint64_t k = 0; k < n; k++) {
        size_t len;
        const char *s = tamis_get_str(r, &len, 1u << 20);
        uint64_t off = tamis_get_varint(r), blen = tamis_get_varint(r);
        if (!r->ok || !in_data(h, base, off, blen, 8))
            return false;
        if (*n_tags == *cap_tags)
            c->tags = tamis_grow(c->tags, sizeof *c->tags, cap_tags, *n_tags + 1);
        c->tags[(*n_tags)++] = (cols_tag){{s, (uint32_t)len}, (const uint8_t *)c->map + base + off, (size_t)blen};
    }
    return true;
}

static bool read_directory(tamis_segment_columns *c, const header *h)
{
    tamis_rbuf r = tamis_rbuf_make((const uint8_t *)c->map + h->dir_offset, h->dir_len);
    size_t n_strings = 0, cap_strings = 0, n_tags = 0, cap_tags = 0;
    c->n_slots = (size_t)tamis_get_varint(&r);
    if (!r.ok || c->n_slots != tamis_column_count() + 1)
        return false;
    for (size_t s = 0; s < c->n_slots; s++) {
        size_t len;
        const char *name = tamis_get_str(&r, &len, 256);
        const char *want = s + 1 < c->n_slots ? tamis_column_name(s) : "country";
        if (!r.ok || len != strlen(want) || memcmp(name, want, len) != 0)
            return false; /* written by a build with other columns */
    }
    c->n_chunks = h->n_chunks;
    c->chunks = tamis_calloc(c->n_chunks ? c->n_chunks : 1, sizeof *c->chunks);
    c->parts = tamis_calloc(c->n_chunks * c->n_slots + 1, sizeof *c->parts);
    for (size_t k = 0; k < c->n_chunks; k++) {
        cols_chunk *ck = &c->chunks[k];
        uint64_t base = tamis_get_varint(&r);
        if (!r.ok || !in_data(h, base, 0, h->chunk_uids / 8, 8))
            return false;
        ck->present = (const uint64_t *)(const void *)((const uint8_t *)c->map + base);
        ck->parts = &c->parts[k * c->n_slots];
        for (size_t s = 0; s < c->n_slots; s++)
            if (!read_part(c, h, &r, base, &ck->parts[s], &n_strings, &cap_strings))
                return false;
        if (!read_tags(c, h, &r, base, ck, &n_tags, &cap_tags))
            return false;
    }
    if (!r.ok || r.p != r.end)
        return false;
    for (size_t k = 0; k < c->n_chunks * c->n_slots; k++) /* indexes to pointers */
        if (c->parts[k].enc == ENC_CODE)
            c->parts[k].dict = c->strings + (uintptr_t)c->parts[k].dict;
    for (size_t k = 0; k < c->n_chunks; k++)
        c->chunks[k].tags = c->tags + (uintptr_t)c->chunks[k].tags;
    return true;
}

bool cols_parse(tamis_segment_columns *c, const char **reason)
{
    header h;
    if (!read_header(c->map, c->map_len, &h)) {
        *reason = "the column copy is not readable";
        return false;
    }
    if (XXH3_64bits((const uint8_t *)c->map + h.dir_offset, h.dir_len) != h.dir_hash) {
        *reason = "the column copy is damaged";
        return false;
    }
    c->generation = h.generation;
    c->as_of_ms = h.as_of_ms;
    c->uid_end = h.uid_end;
    c->chunk_uids = h.chunk_uids;
    if (!read_directory(c, &h)) {
        *reason = "the column copy is not readable";
        return false;
    }
    return true;
}

int tamis_segment_columns_open(tamis_store *store, tamis_txn *t, tamis_segment_columns **out, const char **why,
                               tamis_error *err)
{
    char path[4096];
    struct stat st;
    tamis_segment_columns *c;
    const char *reason = NULL;
    int fd;

    (void)err;
    *out = NULL;
    snprintf(path, sizeof path, "%s/%s", tamis_store_dir(store), TAMIS_STORE_COLUMNS_FILE);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        if (why)
            *why = "no column copy (tamis score builds it)";
        return TAMIS_OK;
    }
    c = tamis_calloc(1, sizeof *c);
    if (fstat(fd, &st) != 0 || st.st_size < COLS_HEADER_BYTES) {
        reason = "the column copy is truncated";
    } else {
        c->map_len = (size_t)st.st_size;
        c->map = mmap(NULL, c->map_len, PROT_READ, MAP_SHARED, fd, 0);
        if (c->map == MAP_FAILED) {
            c->map = NULL;
            reason = "the column copy cannot be mapped";
        }
    }
    close(fd);
    if (!reason && cols_parse(c, &reason) && c->generation != tamis_results_generation(t))
        reason = "the column copy is older than the stored results";
    if (reason) {
        tamis_segment_columns_close(c);
        if (why)
            *why = reason;
        return TAMIS_OK;
    }
    *out = c;
    if (why)
        *why = NULL;
    return TAMIS_OK;
}
