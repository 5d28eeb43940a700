/* snapshot.c — taking a daily snapshot: every user judged as of T by the score run's
 * workers (src/model/score_pool.c, without encoding score records), their summaries
 * gathered in uid order into chunks of 65,536 uids and stored
 * (src/store/snapshot_store.c), in one write transaction. See include/tamis/snapshot.h. */
#include "tamis/snapshot.h"

#include <assert.h>
#include <string.h>
#include <time.h>

#include "model/score_pool.h"
#include "tamis/alloc.h"

static_assert(TAMIS_SNAPSHOT_SUBS == TAMIS_SUB__COUNT, "snapshot columns follow the sub-scores");
static_assert(TAMIS_SNAPSHOT_TIERS == TAMIS_TIER__COUNT, "snapshot counts follow the tiers");
static_assert(TAMIS_SNAPSHOT_PLATFORMS == TAMIS_FEATURE_PLATFORMS, "snapshot platforms follow the features");

/* ------------------------------------------------------------------ taking */

typedef struct take_ctx {
    tamis_txn *txn;
    tamis_snapshot_info *info;
    uint32_t uid_end;
    tamis_snapshot_chunk chunk;
    bool have_chunk;
    uint8_t *buf;
    size_t cap;
} take_ctx;

static int flush_chunk(take_ctx *x, tamis_error *err)
{
    size_t len;
    uint32_t i = x->chunk.first_uid / TAMIS_SNAPSHOT_CHUNK_UIDS;
    int rc;
    if (!x->have_chunk)
        return TAMIS_OK;
    x->have_chunk = false;
    /* trailing absent uids are not stored: a chunk's bytes depend only on its users */
    while (x->chunk.n && x->chunk.users[x->chunk.n - 1].tier == TAMIS_SNAPSHOT_ABSENT)
        x->chunk.n--;
    if ((rc = tamis_snapshot_chunk_put(x->txn, x->info->day, &x->chunk, &x->buf, &x->cap, &len, err)) != 0)
        return rc;
    x->info->bytes += len;
    if (i + 1 > x->info->n_chunks)
        x->info->n_chunks = i + 1;
    return TAMIS_OK;
}

/* Writer of the score pool: judged users in uid order into the chunk in hand. */
static int take_write(void *vctx, const score_chunk *in, tamis_error *err)
{
    take_ctx *x = vctx;
    for (size_t k = 0; k < in->n; k++) {
        const score_chunk_user *u = &in->users[k];
        uint32_t first = u->uid - u->uid % TAMIS_SNAPSHOT_CHUNK_UIDS;
        tamis_snapshot_user *s;
        int rc;
        if (!x->have_chunk || first != x->chunk.first_uid) {
            uint32_t n = x->uid_end - first < TAMIS_SNAPSHOT_CHUNK_UIDS ? x->uid_end - first
                                                                        : TAMIS_SNAPSHOT_CHUNK_UIDS;
            if ((rc = flush_chunk(x, err)) != 0)
                return rc;
            tamis_snapshot_chunk_reset(&x->chunk, first, n); /* uid < uid_end, so it is inside */
            x->have_chunk = true;
        }
        s = &x->chunk.users[u->uid - first];
        s->tier = u->tier;
        s->trend = u->trend;
        s->score = u->score;
        memcpy(s->sub, u->sub, sizeof s->sub);
        memcpy(s->country, u->country, sizeof s->country);
        s->n_platforms = u->n_platforms;
        memcpy(s->platforms, u->platforms, u->n_platforms);
        x->info->users++;
        x->info->tiers[u->tier]++;
    }
    return TAMIS_OK;
}

/* Drops snapshots older than the newest minus keep days. */
static int apply_retention(tamis_txn *t, uint32_t keep, tamis_error *err)
{
    uint32_t *days;
    size_t n;
    int rc;
    if (keep == 0)
        return TAMIS_OK;
    if ((rc = tamis_snapshot_days(t, &days, &n, err)) != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (days[i] + keep < days[n - 1])
            rc = tamis_snapshot_day_delete(t, days[i], err);
    tamis_free(days);
    return rc;
}

static int take(take_ctx *x, tamis_store *store, const tamis_model_config *cfg, const tamis_snapshot_options *opts,
                tamis_error *err)
{
    score_shared sh;
    tamis_platform_names names;
    tamis_device_facts *devices = tamis_device_facts_new();
    int rc;

    score_shared_init(&sh, &names, store, cfg, opts->as_of_ms, opts->threads);
    sh.no_records = true;
    sh.skip_unborn = true;
    if ((rc = tamis_user_uid_end(x->txn, &x->uid_end, err)) == 0 &&
        (rc = score_devices_collect(&sh, x->uid_end, devices, err)) == 0) {
        sh.devices = devices;
        if ((rc = tamis_snapshot_day_delete(x->txn, x->info->day, err)) == 0 &&
            (rc = score_pool_run(&sh, x->uid_end, NULL, 0, take_write, x, opts->progress, err)) == 0 &&
            (rc = flush_chunk(x, err)) == 0)
            rc = tamis_snapshot_info_put(x->txn, x->info, err);
    }
    tamis_device_facts_free(devices);
    return rc ? rc : apply_retention(x->txn, opts->keep_days, err);
}

int tamis_snapshot_take(tamis_store *store, const tamis_model_config *cfg, const tamis_snapshot_options *opts,
                        tamis_snapshot_info *info, tamis_error *err)
{
    take_ctx x;
    struct timespec now;
    int rc;

    memset(&x, 0, sizeof x);
    memset(info, 0, sizeof *info);
    clock_gettime(CLOCK_REALTIME, &now);
    info->day = tamis_snapshot_day_of(opts->as_of_ms);
    info->as_of_ms = opts->as_of_ms;
    info->taken_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    info->config_hash = tamis_model_config_hash(cfg);
    x.info = info;
    tamis_snapshot_chunk_init(&x.chunk);
    if ((rc = tamis_txn_begin(store, true, &x.txn, err)) == 0) {
        if ((rc = take(&x, store, cfg, opts, err)) != 0)
            tamis_txn_abort(x.txn);
        else
            rc = tamis_txn_commit(x.txn, err);
    }
    tamis_snapshot_chunk_free(&x.chunk);
    tamis_free(x.buf);
    return rc;
}

