/* snapshot_store.c — stored daily snapshots (see include/tamis/snapshot_store.h).
 *
 * Part 0 of a day, the header: u8 version, svarint as_of_ms, taken_ms, varint
 * config_hash, users, tiers[7], bytes, n_chunks.
 * Part 1 + i, chunk i (uids i * 65536 ...): u8 version, then a zstd frame of
 *   u32 first_uid, u32 n, then n bytes each of tier, trend, score, the 7 sub-scores,
 *   country[0], country[1], n_platforms, then the platform ids of every user in order.
 * Columns of small, mostly repeating values compress to a few bytes per user. */
#include "tamis/snapshot_store.h"

#include <string.h>
#include <zstd.h>

#include "tamis/alloc.h"
#include "util/bytes.h"

#define SNAPSHOT_VERSION 1
#define COLUMNS (3 + TAMIS_SNAPSHOT_SUBS + 3) /* tier, trend, score, subs, country x2, n_platforms */
#define ZSTD_LEVEL 3

uint32_t tamis_snapshot_day_of(int64_t ms)
{
    int64_t d = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
    return d < 0 ? 0 : (uint32_t)d;
}

void tamis_snapshot_chunk_init(tamis_snapshot_chunk *c)
{
    memset(c, 0, sizeof *c);
}

void tamis_snapshot_chunk_free(tamis_snapshot_chunk *c)
{
    tamis_free(c->users);
    memset(c, 0, sizeof *c);
}

void tamis_snapshot_chunk_reset(tamis_snapshot_chunk *c, uint32_t first_uid, uint32_t n)
{
    c->users = tamis_grow(c->users, sizeof *c->users, &c->cap, n ? n : 1);
    c->first_uid = first_uid;
    c->n = n;
    memset(c->users, 0, n * sizeof *c->users);
    for (uint32_t i = 0; i < n; i++)
        c->users[i].tier = TAMIS_SNAPSHOT_ABSENT;
}

/* ------------------------------------------------------------------ encoding */

static void put_u32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4); /* little-endian hosts only, like the rest of the store */
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The stored bytes of c into *out (growable, caller's). */
static int chunk_encode(const tamis_snapshot_chunk *c, uint8_t **raw, size_t *raw_cap, uint8_t **out, size_t *out_cap,
                        size_t *out_len, tamis_error *err)
{
    size_t n = c->n, plat = 0, len, bound, z;
    uint8_t *p;

    for (size_t i = 0; i < n; i++)
        plat += c->users[i].n_platforms;
    len = 8 + n * COLUMNS + plat;
    *raw = tamis_grow(*raw, 1, raw_cap, len);
    p = *raw;
    put_u32(p, c->first_uid);
    put_u32(p + 4, c->n);
    p += 8;
    for (size_t i = 0; i < n; i++) {
        const tamis_snapshot_user *u = &c->users[i];
        p[i] = u->tier;
        p[n + i] = u->trend;
        p[2 * n + i] = u->score;
        for (size_t s = 0; s < TAMIS_SNAPSHOT_SUBS; s++)
            p[(3 + s) * n + i] = u->sub[s];
        p[(3 + TAMIS_SNAPSHOT_SUBS) * n + i] = (uint8_t)u->country[0];
        p[(4 + TAMIS_SNAPSHOT_SUBS) * n + i] = (uint8_t)u->country[1];
        p[(5 + TAMIS_SNAPSHOT_SUBS) * n + i] = u->n_platforms;
    }
    p += n * COLUMNS;
    for (size_t i = 0; i < n; i++) {
        memcpy(p, c->users[i].platforms, c->users[i].n_platforms);
        p += c->users[i].n_platforms;
    }
    bound = ZSTD_compressBound(len) + 1;
    *out = tamis_grow(*out, 1, out_cap, bound);
    (*out)[0] = SNAPSHOT_VERSION;
    z = ZSTD_compress(*out + 1, bound - 1, *raw, len, ZSTD_LEVEL);
    if (ZSTD_isError(z))
        return tamis_error_set(err, TAMIS_EINTERNAL, "snapshot: zstd: %s", ZSTD_getErrorName(z));
    *out_len = z + 1;
    return TAMIS_OK;
}

static int chunk_decode(const void *data, size_t len, tamis_snapshot_chunk *c, tamis_error *err)
{
    const uint8_t *in = data, *p, *end;
    unsigned long long raw_len;
    uint8_t *raw = NULL;
    size_t n, got;
    int rc = TAMIS_OK;

    if (len < 1 || in[0] != SNAPSHOT_VERSION)
        return tamis_error_set(err, TAMIS_ECORRUPT, "snapshot chunk: unknown version");
    raw_len = ZSTD_getFrameContentSize(in + 1, len - 1);
    if (raw_len == ZSTD_CONTENTSIZE_ERROR || raw_len == ZSTD_CONTENTSIZE_UNKNOWN || raw_len < 8 ||
        raw_len > 8 + (unsigned long long)TAMIS_SNAPSHOT_CHUNK_UIDS * (COLUMNS + TAMIS_SNAPSHOT_PLATFORMS))
        return tamis_error_set(err, TAMIS_ECORRUPT, "snapshot chunk: bad frame");
    raw = tamis_malloc((size_t)raw_len);
    got = ZSTD_decompress(raw, (size_t)raw_len, in + 1, len - 1);
    if (ZSTD_isError(got) || got != raw_len) {
        tamis_free(raw);
        return tamis_error_set(err, TAMIS_ECORRUPT, "snapshot chunk: cannot decompress");
    }
    n = get_u32(raw + 4);
    if (n > TAMIS_SNAPSHOT_CHUNK_UIDS || 8 + n * COLUMNS > raw_len) {
        tamis_free(raw);
        return tamis_error_set(err, TAMIS_ECORRUPT, "snapshot chunk: bad size");
    }
    tamis_snapshot_chunk_reset(c, get_u32(raw), (uint32_t)n);
    p = raw + 8;
    end = raw + raw_len;
    for (size_t i = 0; i < n; i++) {
        tamis_snapshot_user *u = &c->users[i];
        u->tier = p[i];
        u->trend = p[n + i];
        u->score = p[2 * n + i];
        for (size_t s = 0; s < TAMIS_SNAPSHOT_SUBS; s++)
            u->sub[s] = p[(3 + s) * n + i];
        u->country[0] = (char)p[(3 + TAMIS_SNAPSHOT_SUBS) * n + i];
        u->country[1] = (char)p[(4 + TAMIS_SNAPSHOT_SUBS) * n + i];
        u->country[2] = '\0';
        u->n_platforms = p[(5 + TAMIS_SNAPSHOT_SUBS) * n + i];
        if (u->n_platforms > TAMIS_SNAPSHOT_PLATFORMS)
            rc = TAMIS_ECORRUPT;
    }
    p += n * COLUMNS;
    for (size_t i = 0; i < n && rc == 0; i++) {
        tamis_snapshot_user *u = &c->users[i];
        if ((size_t)(end - p) < u->n_platforms) {
            rc = TAMIS_ECORRUPT;
            break;
        }
        memcpy(u->platforms, p, u->n_platforms);
        p += u->n_platforms;
    }
    tamis_free(raw);
    if (rc || p != end)
        return tamis_error_set(err, TAMIS_ECORRUPT, "snapshot chunk: bad platforms");
    return TAMIS_OK;
}

int tamis_snapshot_chunk_put(tamis_txn *t, uint32_t day, const tamis_snapshot_chunk *c, uint8_t **buf,
                             size_t *cap, size_t *stored_bytes, tamis_error *err)
{
    uint8_t *raw = NULL;
    size_t raw_cap = 0;
    int rc = chunk_encode(c, &raw, &raw_cap, buf, cap, stored_bytes, err);
    tamis_free(raw);
    if (rc)
        return rc;
    return tamis_snapshot_part_put(t, day, c->first_uid / TAMIS_SNAPSHOT_CHUNK_UIDS + 1, *buf, *stored_bytes, err);
}

int tamis_snapshot_info_put(tamis_txn *t, const tamis_snapshot_info *info, tamis_error *err)
{
    tamis_wbuf w = {0};
    int rc;
    tamis_put_u8(&w, SNAPSHOT_VERSION);
    tamis_put_svarint(&w, info->as_of_ms);
    tamis_put_svarint(&w, info->taken_ms);
    tamis_put_varint(&w, info->config_hash);
    tamis_put_varint(&w, info->users);
    for (int i = 0; i < TAMIS_SNAPSHOT_TIERS; i++)
        tamis_put_varint(&w, info->tiers[i]);
    tamis_put_varint(&w, info->bytes);
    tamis_put_varint(&w, info->n_chunks);
    rc = tamis_snapshot_part_put(t, info->day, 0, w.buf, w.len, err);
    tamis_free(w.buf);
    return rc;
}

int tamis_snapshot_info_get(tamis_txn *t, uint32_t day, tamis_snapshot_info *info, tamis_error *err)
{
    const void *data;
    size_t len;
    tamis_rbuf r;
    int rc = tamis_snapshot_part_get(t, day, 0, &data, &len, err);
    if (rc)
        return rc;
    r = tamis_rbuf_make(data, len);
    memset(info, 0, sizeof *info);
    info->day = day;
    if (tamis_get_u8(&r) != SNAPSHOT_VERSION)
        return tamis_error_set(err, TAMIS_ECORRUPT, "snapshot of day %u: unknown version", day);
    info->as_of_ms = tamis_get_svarint(&r);
    info->taken_ms = tamis_get_svarint(&r);
    info->config_hash = tamis_get_varint(&r);
    info->users = tamis_get_varint(&r);
    for (int i = 0; i < TAMIS_SNAPSHOT_TIERS; i++)
        info->tiers[i] = tamis_get_varint(&r);
    info->bytes = tamis_get_varint(&r);
    info->n_chunks = (uint32_t)tamis_get_varint(&r);
    if (!r.ok || r.p != r.end)
        return tamis_error_set(err, TAMIS_ECORRUPT, "snapshot of day %u: corrupt header", day);
    return TAMIS_OK;
}

int tamis_snapshot_chunk_get(tamis_txn *t, uint32_t day, uint32_t i, tamis_snapshot_chunk *out, tamis_error *err)
{
    const void *data;
    size_t len;
    int rc = tamis_snapshot_part_get(t, day, i + 1, &data, &len, err);
    if (rc == TAMIS_ENOTFOUND) {
        tamis_snapshot_chunk_reset(out, i * TAMIS_SNAPSHOT_CHUNK_UIDS, 0);
        return TAMIS_OK;
    }
    if (rc)
        return rc;
    if ((rc = chunk_decode(data, len, out, err)) != 0)
        tamis_error_prefix(err, "snapshot of day %u", day);
    return rc;
}

/* ------------------------------------------------------------------ erasure */

int tamis_snapshots_forget_user(tamis_txn *t, uint32_t uid, tamis_error *err)
{
    tamis_snapshot_chunk c;
    uint32_t *days;
    size_t n;
    uint8_t *raw = NULL, *out = NULL;
    size_t raw_cap = 0, out_cap = 0, len;
    uint32_t i = uid / TAMIS_SNAPSHOT_CHUNK_UIDS;
    int rc;

    if ((rc = tamis_snapshot_days(t, &days, &n, err)) != 0)
        return rc;
    tamis_snapshot_chunk_init(&c);
    for (size_t d = 0; d < n && rc == 0; d++) {
        tamis_snapshot_info info;
        tamis_snapshot_user *u;
        const void *old;
        size_t old_len;
        if ((rc = tamis_snapshot_info_get(t, days[d], &info, err)) != 0 ||
            (rc = tamis_snapshot_chunk_get(t, days[d], i, &c, err)) != 0)
            break;
        if (uid - c.first_uid >= c.n || c.users[uid - c.first_uid].tier == TAMIS_SNAPSHOT_ABSENT)
            continue;
        u = &c.users[uid - c.first_uid];
        info.users--;
        if (u->tier < TAMIS_SNAPSHOT_TIERS)
            info.tiers[u->tier]--;
        memset(u, 0, sizeof *u);
        u->tier = TAMIS_SNAPSHOT_ABSENT;
        if ((rc = tamis_snapshot_part_get(t, days[d], i + 1, &old, &old_len, err)) != 0 ||
            (rc = chunk_encode(&c, &raw, &raw_cap, &out, &out_cap, &len, err)) != 0)
            break;
        info.bytes = info.bytes - old_len + len;
        if ((rc = tamis_snapshot_part_put(t, days[d], i + 1, out, len, err)) == 0)
            rc = tamis_snapshot_info_put(t, &info, err);
    }
    tamis_snapshot_chunk_free(&c);
    tamis_free(days);
    tamis_free(raw);
    tamis_free(out);
    return rc;
}

/* ------------------------------------------------------------------ pairs */

static const tamis_snapshot_user *user_at(const tamis_snapshot_chunk *c, uint32_t uid)
{
    const tamis_snapshot_user *u;
    if (uid - c->first_uid >= c->n)
        return NULL;
    u = &c->users[uid - c->first_uid];
    return u->tier == TAMIS_SNAPSHOT_ABSENT ? NULL : u;
}

int tamis_snapshot_walk_pair(tamis_txn *t, uint32_t day_a, uint32_t day_b, tamis_snapshot_pair_fn fn, void *ctx,
                             tamis_error *err)
{
    tamis_snapshot_info ia, ib;
    tamis_snapshot_chunk ca, cb;
    uint32_t chunks;
    int rc;

    if ((rc = tamis_snapshot_info_get(t, day_a, &ia, err)) != 0 || (rc = tamis_snapshot_info_get(t, day_b, &ib, err)) != 0)
        return rc;
    chunks = ia.n_chunks > ib.n_chunks ? ia.n_chunks : ib.n_chunks;
    tamis_snapshot_chunk_init(&ca);
    tamis_snapshot_chunk_init(&cb);
    for (uint32_t i = 0; i < chunks && rc == 0; i++) {
        uint32_t first = i * TAMIS_SNAPSHOT_CHUNK_UIDS, n;
        if ((rc = tamis_snapshot_chunk_get(t, day_a, i, &ca, err)) != 0 ||
            (rc = tamis_snapshot_chunk_get(t, day_b, i, &cb, err)) != 0)
            break;
        ca.first_uid = cb.first_uid = first; /* an empty chunk reads as n = 0 from first */
        n = ca.n > cb.n ? ca.n : cb.n;
        for (uint32_t k = 0; k < n && rc == 0; k++) {
            const tamis_snapshot_user *a = user_at(&ca, first + k), *b = user_at(&cb, first + k);
            if (a || b)
                rc = fn(ctx, first + k, a, b);
        }
    }
    tamis_snapshot_chunk_free(&ca);
    tamis_snapshot_chunk_free(&cb);
    return rc;
}
