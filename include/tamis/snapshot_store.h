/* snapshot_store.h — how daily snapshots are stored (src/store/snapshot_store.c); what
 * they mean and how they are taken is include/tamis/snapshot.h.
 *
 * A day's snapshot: a header (part 0) and one part per 65,536 uids, each a
 * zstd-compressed column block (tier, trend, score, sub-scores, country, platforms);
 * docs/MODEL.md "Snapshots" gives the layout and the bytes per user per day. Erasure
 * clears a user's entry in every snapshot (tamis_snapshots_forget_user, called by
 * tamis_store_forget).
 *
 * Ownership: chunks are the caller's (init / free). */
#ifndef TAMIS_SNAPSHOT_STORE_H
#define TAMIS_SNAPSHOT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/store.h"

#define TAMIS_SNAPSHOT_CHUNK_UIDS 65536u
#define TAMIS_SNAPSHOT_SUBS 7        /* = TAMIS_SUB__COUNT (checked in src/model/snapshot.c) */
#define TAMIS_SNAPSHOT_TIERS 7       /* = TAMIS_TIER__COUNT */
#define TAMIS_SNAPSHOT_PLATFORMS 8   /* = TAMIS_FEATURE_PLATFORMS */
#define TAMIS_SNAPSHOT_ABSENT 0xFF   /* tier of a uid without a user */

typedef struct tamis_snapshot_user {
    uint8_t tier;                    /* TAMIS_SNAPSHOT_ABSENT: no user */
    uint8_t trend, score;
    uint8_t sub[TAMIS_SNAPSHOT_SUBS];  /* TAMIS_SUB_NULL when not observable */
    char country[3];                 /* "" unknown */
    uint8_t n_platforms;
    uint8_t platforms[TAMIS_SNAPSHOT_PLATFORMS];
} tamis_snapshot_user;

typedef struct tamis_snapshot_info {
    uint32_t day;                    /* days since 1970-01-01 (UTC date of as_of_ms) */
    int64_t as_of_ms;
    int64_t taken_ms;                /* when it was stored */
    uint64_t config_hash;
    uint64_t users;
    uint64_t tiers[TAMIS_SNAPSHOT_TIERS];
    uint64_t bytes;                  /* stored bytes of its chunks */
    uint32_t n_chunks;
} tamis_snapshot_info;

/* The users of uids [first_uid, first_uid + n). */
typedef struct tamis_snapshot_chunk {
    uint32_t first_uid, n;
    tamis_snapshot_user *users;
    size_t cap;
} tamis_snapshot_chunk;

void tamis_snapshot_chunk_init(tamis_snapshot_chunk *c);
void tamis_snapshot_chunk_free(tamis_snapshot_chunk *c);
/* Empties c for uids [first_uid, first_uid + n), every one absent. */
void tamis_snapshot_chunk_reset(tamis_snapshot_chunk *c, uint32_t first_uid, uint32_t n);

/* Stores c as chunk first_uid / TAMIS_SNAPSHOT_CHUNK_UIDS of day; *stored_bytes gets
 * its size. buf and cap: scratch the caller keeps between calls (tamis_free). */
int tamis_snapshot_chunk_put(tamis_txn *t, uint32_t day, const tamis_snapshot_chunk *c, uint8_t **buf,
                             size_t *cap, size_t *stored_bytes, tamis_error *err) TAMIS_WUR;
/* Chunk i of a day's snapshot (uids from i * TAMIS_SNAPSHOT_CHUNK_UIDS); a chunk that
 * was never stored reads as n = 0. */
int tamis_snapshot_chunk_get(tamis_txn *t, uint32_t day, uint32_t i, tamis_snapshot_chunk *out,
                             tamis_error *err) TAMIS_WUR;

int tamis_snapshot_info_put(tamis_txn *t, const tamis_snapshot_info *info, tamis_error *err) TAMIS_WUR;
/* A stored snapshot's header; TAMIS_ENOTFOUND when that day has none. */
int tamis_snapshot_info_get(tamis_txn *t, uint32_t day, tamis_snapshot_info *info,
                            tamis_error *err) TAMIS_WUR;

/* The UTC date of a moment, as days since 1970-01-01. */
uint32_t tamis_snapshot_day_of(int64_t ms);

/* Walks two days' snapshots side by side: fn(ctx, uid, a, b) for every uid present in
 * either (a or b is NULL where the user is absent that day), ascending, until fn
 * returns non-zero (returned). TAMIS_ENOTFOUND if a day has no snapshot. */
typedef int (*tamis_snapshot_pair_fn)(void *ctx, uint32_t uid, const tamis_snapshot_user *a,
                                      const tamis_snapshot_user *b);
int tamis_snapshot_walk_pair(tamis_txn *t, uint32_t day_a, uint32_t day_b, tamis_snapshot_pair_fn fn,
                             void *ctx, tamis_error *err) TAMIS_WUR;

/* Erasure: marks uid absent in every stored snapshot (and fixes their counts). */
int tamis_snapshots_forget_user(tamis_txn *t, uint32_t uid, tamis_error *err) TAMIS_WUR;

#endif
