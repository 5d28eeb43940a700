/* columns_build.c — writing the segments' column copy (include/tamis/segment_columns.h,
 * layout in columns_int.h) from the stored results.
 *
 * Worker threads each read a chunk of uids (COLS_CHUNK_UIDS) through the results reader
 * (the same values `tamis export` prints: tamis_column_value), stage every slot's
 * cells as doubles (strings as dictionary codes), then pick per slot the narrowest
 * encoding that holds the chunk's values exactly; the calling thread appends the
 * chunks to the file in order (util/ordered.h). The file is written aside, synced and
 * renamed over the old one, so a reader sees the old copy or the new one, whole. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <roaring/roaring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "columns_int.h"
#include "model/results.h"
#include "tamis/alloc.h"
#include "tamis/columns.h"
#include "tamis/score_run.h"
#include "util/bytes.h"
#include "util/ordered.h"
#include "util/strmap.h"

/* Strings seen in one chunk (a slot's values, or the tags), in order of first sight. */
typedef struct str_set {
    tamis_strmap *index; /* text -> position */
    char **text;
    roaring_bitmap_t **users; /* tags only: the chunk's users (local uid) with it */
    size_t n, cap;
    bool too_many; /* past COLS_DICT_MAX */
} str_set;

typedef struct build_job {
    tamis_store *store;
    const tamis_model_config *cfg;
    uint64_t snapshot;
    uint32_t uid_end;
    size_t n_slots, user_slot;
    uint32_t chunk_uids;
    FILE *out;
    uint64_t offset; /* bytes written to out */
    tamis_wbuf dir;  /* the directory so far */
} build_job;

typedef struct build_worker {
    build_job *job;
    tamis_txn *txn;
    tamis_results_reader rd;
    bool have_rd;
    double *cells;   /* n_slots * chunk_uids, slot-major; strings as codes */
    tamis_value *values; /* one user's columns */
    uint8_t *seen;   /* per slot: SEEN_* bits */
    str_set *dicts;  /* per slot */
    str_set tags;
    uint64_t present[COLS_CHUNK_UIDS / 64];
    uint32_t lo;     /* first uid of the chunk */
    uint32_t next;   /* local index of the next cell to fill */
} build_worker;

enum { SEEN_NUMBER = 1, SEEN_STRING = 2, SEEN_OTHER = 4 };

typedef struct build_slot {
    tamis_wbuf data; /* the chunk's arrays, offsets relative to its start */
    tamis_wbuf dir;  /* its directory entry, offsets relative likewise */
} build_slot;

static void str_set_reset(str_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        tamis_free(s->text[i]);
        if (s->users)
            roaring_bitmap_free(s->users[i]);
    }
    tamis_strmap_free(s->index);
    s->index = NULL;
    s->n = 0;
    s->too_many = false;
}

static void str_set_free(str_set *s)
{
    str_set_reset(s);
    tamis_free(s->text);
    tamis_free(s->users);
    memset(s, 0, sizeof *s);
}

/* Position of text in s (added if new); with_users: a tag set. */
static uint32_t str_set_find(str_set *s, const char *text, bool with_users)
{
    size_t len = strlen(text);
    uint32_t at;
    if (!s->index)
        s->index = tamis_strmap_new();
    if (tamis_strmap_get(s->index, text, len, &at))
        return at;
    if (s->n == s->cap) {
        size_t cap = s->cap;
        s->text = tamis_grow(s->text, sizeof *s->text, &cap, s->n + 1);
        if (with_users) {
            cap = s->cap;
            s->users = tamis_grow(s->users, sizeof *s->users, &cap, s->n + 1);
        }
        s->cap = cap;
    }
    s->text[s->n] = tamis_strndup(text, len);
    if (with_users)
        s->users[s->n] = roaring_bitmap_create();
    tamis_strmap_put(s->index, text, len, (uint32_t)s->n);
    return (uint32_t)s->n++;
}

/* Marks cells [w->next, upto) of every slot null (uids without a result). */
static void fill_gap(build_worker *w, uint32_t upto)
{
    for (size_t s = 0; s < w->job->n_slots; s++)
        for (uint32_t i = w->next; i < upto; i++)
            w->cells[s * w->job->chunk_uids + i] = NAN;
    w->next = upto;
}

static void put_string(build_worker *w, size_t slot, const char *text, double *cell)
{
    str_set *d = &w->dicts[slot];
    w->seen[slot] |= SEEN_STRING;
    if (d->too_many)
        return;
    if (d->n >= COLS_DICT_MAX && !(d->index && tamis_strmap_get(d->index, text, strlen(text), NULL))) {
        d->too_many = true; /* the slot is not copied for this chunk */
        return;
    }
    *cell = (double)str_set_find(d, text, false) + 1;
}

/* One scored user: its cells in every slot, and its tags. */
static int stage_user(void *vctx, tamis_results_reader *rd)
{
    build_worker *w = vctx;
    uint32_t local = rd->uid - w->lo;
    size_t n_columns = w->job->n_slots - 1;

    fill_gap(w, local);
    w->present[local / 64] |= (uint64_t)1 << (local % 64);
    tamis_column_values(&rd->row, w->values);
    for (size_t s = 0; s < n_columns; s++) {
        double *cell = &w->cells[s * w->job->chunk_uids + local];
        const tamis_value *v = &w->values[s];
        *cell = NAN;
        switch (v->type) {
        case TAMIS_V_NULL: break;
        case TAMIS_V_BOOL: *cell = v->b; w->seen[s] |= SEEN_NUMBER; break;
        case TAMIS_V_INT:
        case TAMIS_V_TIME: *cell = (double)v->i; w->seen[s] |= SEEN_NUMBER; break;
        case TAMIS_V_DOUBLE: *cell = v->d; w->seen[s] |= SEEN_NUMBER; break;
        case TAMIS_V_STRING:
            if (v->s && s != w->job->user_slot)
                put_string(w, s, v->s, cell);
            break;
        default: w->seen[s] |= SEEN_OTHER; break;
        }
    }
    w->cells[n_columns * w->job->chunk_uids + local] = NAN;
    if (rd->contact.country[0])
        put_string(w, n_columns, rd->contact.country, &w->cells[n_columns * w->job->chunk_uids + local]);
    for (size_t i = 0; i < rd->contact.n_tags; i++) {
        uint32_t at = str_set_find(&w->tags, rd->contact.tags[i], true); /* may move users[] */
        roaring_bitmap_add(w->tags.users[at], local);
    }
    w->next = local + 1;
    return 0;
}

static void align8(tamis_wbuf *w)
{
    while (w->len % 8)
        tamis_put_u8(w, 0);
}

/* The narrowest encoding holding a numeric slot's cells exactly. */
static cols_enc numeric_encoding(const double *cells, uint32_t n)
{
    bool u8 = true, i32 = true, any = false;
    for (size_t i = 0; i < n && i32; i++) {
        double x = cells[i];
        if (isnan(x))
            continue;
        any = true;
        if (!(x > INT32_MIN && x <= INT32_MAX) || x != (double)(int32_t)x) {
            i32 = u8 = false;
        } else if (!(x >= 0 && x < COLS_U8_NULL))
            u8 = false;
    }
    return !any ? ENC_NULL : u8 ? ENC_U8 : i32 ? ENC_I32 : ENC_F64;
}

static void encode_slot(build_worker *w, size_t s, build_slot *out)
{
    const uint32_t n = w->job->chunk_uids;
    const double *cells = &w->cells[s * n];
    str_set *d = &w->dicts[s];
    cols_enc enc;
    if (s == w->job->user_slot || (w->seen[s] & SEEN_OTHER) || w->seen[s] == (SEEN_NUMBER | SEEN_STRING) ||
        d->too_many)
        enc = ENC_NONE;
    else if (w->seen[s] == SEEN_STRING)
        enc = ENC_CODE;
    else
        enc = numeric_encoding(cells, n);
    tamis_put_u8(&out->dir, (uint8_t)enc);
    if (enc == ENC_NONE || enc == ENC_NULL)
        return;
    align8(&out->data);
    tamis_put_varint(&out->dir, out->data.len);
    if (enc == ENC_CODE) {
        tamis_put_varint(&out->dir, d->n);
        for (size_t k = 0; k < d->n; k++)
            tamis_put_str(&out->dir, d->text[k], strlen(d->text[k]));
    }
    if (enc == ENC_U8) {
        tamis_wbuf_reserve(&out->data, n);
        for (size_t i = 0; i < n; i++)
            out->data.buf[out->data.len + i] = isnan(cells[i]) ? COLS_U8_NULL : (uint8_t)cells[i];
        out->data.len += n;
    } else if (enc == ENC_I32) {
        int32_t *v;
        tamis_wbuf_reserve(&out->data, n * 4);
        v = (int32_t *)(void *)(out->data.buf + out->data.len);
        for (size_t i = 0; i < n; i++)
            v[i] = isnan(cells[i]) ? INT32_MIN : (int32_t)cells[i];
        out->data.len += n * 4;
    } else if (enc == ENC_F64) {
        tamis_put_bytes(&out->data, cells, n * sizeof *cells);
    } else {
        uint16_t *v;
        tamis_wbuf_reserve(&out->data, n * 2);
        v = (uint16_t *)(void *)(out->data.buf + out->data.len);
        for (size_t i = 0; i < n; i++)
            v[i] = isnan(cells[i]) ? 0 : (uint16_t)cells[i];
        out->data.len += n * 2;
    }
}

typedef struct tag_ref {
    const char *text;
    size_t at;
} tag_ref;

static int tag_order(const void *a, const void *b)
{
    const char *x = ((const tag_ref *)a)->text, *y = ((const tag_ref *)b)->text;
    return cols_str_cmp(x, strlen(x), y, strlen(y));
}

static void encode_tags(build_worker *w, build_slot *out)
{
    tag_ref *order = tamis_calloc(w->tags.n ? w->tags.n : 1, sizeof *order);
    for (size_t i = 0; i < w->tags.n; i++)
        order[i] = (tag_ref){w->tags.text[i], i};
    qsort(order, w->tags.n, sizeof *order, tag_order);
    tamis_put_varint(&out->dir, w->tags.n);
    for (size_t k = 0; k < w->tags.n; k++) {
        roaring_bitmap_t *users = w->tags.users[order[k].at];
        size_t len;
        roaring_bitmap_run_optimize(users);
        len = roaring_bitmap_portable_size_in_bytes(users);
        align8(&out->data);
        tamis_put_str(&out->dir, order[k].text, strlen(order[k].text));
        tamis_put_varint(&out->dir, out->data.len);
        tamis_put_varint(&out->dir, len);
        tamis_wbuf_reserve(&out->data, len);
        roaring_bitmap_portable_serialize(users, (char *)out->data.buf + out->data.len);
        out->data.len += len;
    }
    tamis_free(order);
}

static int build_open(void *ctx, void **out, tamis_error *err)
{
    build_job *job = ctx;
    build_worker *w = tamis_calloc(1, sizeof *w);
    int rc = tamis_txn_begin(job->store, false, &w->txn, err);
    *out = w;
    w->job = job;
    if (rc == 0 && tamis_txn_snapshot(w->txn) != job->snapshot)
        rc = tamis_error_set(err, TAMIS_EBUSY, "the store changed while it was being read; try again");
    if (rc)
        return rc;
    tamis_results_reader_init(&w->rd, job->store, w->txn, job->cfg);
    w->have_rd = true;
    w->cells = tamis_calloc(job->n_slots * job->chunk_uids, sizeof *w->cells);
    w->values = tamis_calloc(job->n_slots, sizeof *w->values);
    w->seen = tamis_calloc(job->n_slots, 1);
    w->dicts = tamis_calloc(job->n_slots, sizeof *w->dicts);
    return TAMIS_OK;
}

static void build_close(void *ctx, void *vw)
{
    build_worker *w = vw;
    (void)ctx;
    if (w->have_rd)
        tamis_results_reader_free(&w->rd);
    if (w->txn)
        tamis_txn_abort(w->txn);
    for (size_t s = 0; w->dicts && s < w->job->n_slots; s++)
        str_set_free(&w->dicts[s]);
    str_set_free(&w->tags);
    tamis_free(w->dicts);
    tamis_free(w->seen);
    tamis_free(w->cells);
    tamis_free(w->values);
    tamis_free(w);
}

static int build_produce(void *ctx, void *vw, size_t chunk, void *vslot, tamis_error *err)
{
    build_job *job = ctx;
    build_worker *w = vw;
    build_slot *slot = vslot;
    uint32_t hi;
    int rc;

    w->lo = (uint32_t)(chunk * job->chunk_uids);
    hi = job->uid_end - w->lo < job->chunk_uids ? job->uid_end : w->lo + job->chunk_uids;
    w->next = 0;
    memset(w->present, 0, sizeof w->present);
    memset(w->seen, 0, job->n_slots);
    for (size_t s = 0; s < job->n_slots; s++)
        str_set_reset(&w->dicts[s]);
    str_set_reset(&w->tags);
    if ((rc = tamis_results_foreach_range(&w->rd, w->lo, hi, stage_user, w, err)) != 0)
        return rc;
    fill_gap(w, job->chunk_uids);

    slot->data.len = slot->dir.len = 0;
    tamis_put_bytes(&slot->data, w->present, job->chunk_uids / 8);
    for (size_t s = 0; s < job->n_slots; s++)
        encode_slot(w, s, slot);
    encode_tags(w, slot);
    return TAMIS_OK;
}

static int build_consume(void *ctx, size_t chunk, void *vslot, tamis_error *err)
{
    build_job *job = ctx;
    build_slot *slot = vslot;
    static const uint8_t zeros[8];
    size_t pad = (size_t)((8 - job->offset % 8) % 8);
    (void)chunk;
    if ((pad && fwrite(zeros, 1, pad, job->out) != pad) ||
        fwrite(slot->data.buf, 1, slot->data.len, job->out) != slot->data.len)
        return tamis_error_set(err, TAMIS_EIO, "cannot write the segment columns: %s", strerror(errno));
    job->offset += pad;
    tamis_put_varint(&job->dir, job->offset); /* the chunk's base; the present bitset is at 0 */
    tamis_put_bytes(&job->dir, slot->dir.buf, slot->dir.len);
    job->offset += slot->data.len;
    return TAMIS_OK;
}

static void build_slot_free(void *ctx, void *vslot)
{
    build_slot *slot = vslot;
    (void)ctx;
    tamis_free(slot->data.buf);
    tamis_free(slot->dir.buf);
}

/* The header (columns_int.h) into h. */
static void encode_header(uint8_t h[COLS_HEADER_BYTES], uint64_t generation, int64_t as_of_ms, uint32_t uid_end,
                          uint32_t chunk_uids, uint32_t n_chunks, uint64_t dir_offset, const tamis_wbuf *dir)
{
    uint32_t version = COLS_VERSION, order = COLS_BYTE_ORDER, reserved = 0;
    uint64_t dir_len = dir->len, hash = XXH3_64bits(dir->buf, dir->len);
    uint8_t *p = h;
    memset(h, 0, COLS_HEADER_BYTES);
#define PUT(x) (memcpy(p, &(x), sizeof(x)), p += sizeof(x))
    memcpy(p, COLS_MAGIC, 8);
    p += 8;
    PUT(version);
    PUT(order);
    PUT(generation);
    PUT(as_of_ms);
    PUT(uid_end);
    PUT(chunk_uids);
    PUT(n_chunks);
    PUT(reserved);
    PUT(dir_offset);
    PUT(dir_len);
    PUT(hash);
#undef PUT
}

/* Syncs and closes out, renames tmp to path and syncs the directory. */
static int install(FILE *out, const char *tmp, const char *path, const char *dir, tamis_error *err)
{
    int dfd, rc = TAMIS_OK;
    if (fflush(out) != 0 || fsync(fileno(out)) != 0) {
        rc = tamis_error_set(err, TAMIS_EIO, "cannot write %s: %s", tmp, strerror(errno));
        fclose(out);
        return rc;
    }
    if (fclose(out) != 0)
        return tamis_error_set(err, TAMIS_EIO, "cannot write %s: %s", tmp, strerror(errno));
    if (rename(tmp, path) != 0)
        return tamis_error_set(err, TAMIS_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
        if (fsync(dfd) != 0)
            rc = tamis_error_set(err, TAMIS_EIO, "cannot sync %s: %s", dir, strerror(errno));
        close(dfd);
    }
    return rc;
}

/* Reads the chunks into job->out after the header's room; the directory in job->dir. */
static int write_chunks(build_job *job, unsigned threads, uint32_t n_chunks, tamis_error *err)
{
    static const tamis_ordered_ops ops = {sizeof(build_slot), build_open,    build_close,
                                          build_produce,      build_consume, build_slot_free};
    static const uint8_t room[COLS_HEADER_BYTES];
    if (fwrite(room, 1, sizeof room, job->out) != sizeof room)
        return tamis_error_set(err, TAMIS_EIO, "cannot write the segment columns: %s", strerror(errno));
    job->offset = sizeof room;
    tamis_put_varint(&job->dir, job->n_slots);
    for (size_t s = 0; s + 1 < job->n_slots; s++)
        tamis_put_str(&job->dir, tamis_column_name(s), strlen(tamis_column_name(s)));
    tamis_put_str(&job->dir, "country", 7);
    return tamis_ordered_run(&ops, job, n_chunks, threads, err);
}

int tamis_segment_columns_build(tamis_store *store, const tamis_model_config *cfg, unsigned threads,
                                tamis_error *err)
{
    return cols_build(store, cfg, threads, COLS_CHUNK_UIDS, err);
}

int cols_build(tamis_store *store, const tamis_model_config *cfg, unsigned threads, uint32_t chunk_uids,
               tamis_error *err)
{
    build_job job = {.store = store, .cfg = cfg, .n_slots = tamis_column_count() + 1, .chunk_uids = chunk_uids};
    const char *dir = tamis_store_dir(store);
    char path[4096], tmp[4200];
    uint8_t header[COLS_HEADER_BYTES];
    uint64_t generation, dir_offset;
    int64_t as_of_ms;
    uint32_t n_chunks;
    tamis_txn *t;
    int rc;

    if (chunk_uids < COLS_CHUNK_MIN || chunk_uids > COLS_CHUNK_UIDS || (chunk_uids & (chunk_uids - 1)))
        return tamis_error_set(err, TAMIS_EUSAGE, "uids per chunk: a power of two from %u to %u, not %u",
                               COLS_CHUNK_MIN, COLS_CHUNK_UIDS, chunk_uids);
    snprintf(path, sizeof path, "%s/%s", dir, TAMIS_STORE_COLUMNS_FILE);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    job.user_slot = (size_t)tamis_column_find("user", 4);
    if ((rc = tamis_txn_begin(store, false, &t, err)) != 0)
        return rc;
    job.snapshot = tamis_txn_snapshot(t);
    generation = tamis_results_generation(t);
    if (!tamis_score_as_of(t, &as_of_ms) || (rc = tamis_user_uid_end(t, &job.uid_end, err)) != 0 ||
        job.uid_end == 0) {
        tamis_txn_abort(t);
        if (rc == 0 && unlink(path) != 0 && errno != ENOENT)
            rc = tamis_error_set(err, TAMIS_EIO, "cannot remove %s: %s", path, strerror(errno));
        return rc;
    }
    n_chunks = (job.uid_end + chunk_uids - 1) / chunk_uids;
    if (!(job.out = fopen(tmp, "wb"))) {
        tamis_txn_abort(t);
        return tamis_error_set(err, TAMIS_EIO, "cannot create %s: %s", tmp, strerror(errno));
    }
    setvbuf(job.out, NULL, _IOFBF, 1 << 20);
    rc = write_chunks(&job, threads ? threads : 1, n_chunks, err);
    tamis_txn_abort(t);
    if (rc == 0) {
        static const uint8_t zeros[8];
        size_t pad = (size_t)((8 - job.offset % 8) % 8);
        dir_offset = job.offset + pad;
        encode_header(header, generation, as_of_ms, job.uid_end, chunk_uids, n_chunks, dir_offset, &job.dir);
        if ((pad && fwrite(zeros, 1, pad, job.out) != pad) ||
            fwrite(job.dir.buf, 1, job.dir.len, job.out) != job.dir.len || fseek(job.out, 0, SEEK_SET) != 0 ||
            fwrite(header, 1, sizeof header, job.out) != sizeof header)
            rc = tamis_error_set(err, TAMIS_EIO, "cannot write %s: %s", tmp, strerror(errno));
    }
    if (rc == 0)
        rc = install(job.out, tmp, path, dir, err);
    else
        fclose(job.out);
    if (rc == 0 && (rc = tamis_txn_begin(store, false, &t, err)) == 0) {
        /* Changed meanwhile (a user forgotten, say): the copy is stale, and may hold
         * what erasure removed. */
        if (tamis_results_generation(t) != generation && unlink(path) != 0 && errno != ENOENT)
            rc = tamis_error_set(err, TAMIS_EIO, "cannot remove %s: %s", path, strerror(errno));
        tamis_txn_abort(t);
    }
    if (rc)
        unlink(tmp);
    tamis_free(job.dir.buf);
    return rc;
}

int tamis_segment_columns_refresh(tamis_store *store, const tamis_model_config *cfg, unsigned threads,
                                  tamis_error *err)
{
    tamis_segment_columns *cols = NULL;
    tamis_txn *t;
    int rc = tamis_txn_begin(store, false, &t, err);
    if (rc)
        return rc;
    rc = tamis_segment_columns_open(store, t, &cols, NULL, err);
    tamis_txn_abort(t);
    if (rc || cols) {
        tamis_segment_columns_close(cols);
        return rc;
    }
    return tamis_segment_columns_build(store, cfg, threads, err);
}
