/* score_run.c — the score run over the store (see include/tamis/score_run.h).
 *
 * Steps, in one write transaction held by the calling thread:
 *   1. decide full or incremental (meta score_window_end / score_config_hash);
 *   2. read every user's device facets (accounts per device are a cross-user fact, so
 *      even an incremental run needs them) — in worker threads, src/model/score_pool.c;
 *   3. judge the users to score — every user, or the changed ones and those sharing a
 *      device with them — in worker threads, and store their records here, in uid
 *      order (appended after a full run's clear);
 *   4. write the run's meta, clear the change marks, commit. */
#include "tamis/score_run.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/score_pool.h"
#include "tamis/alloc.h"
#include "tamis/features.h"
#include "tamis/user_state.h"

#define META_WINDOW_END "score_window_end"
#define META_CONFIG_HASH "score_config_hash"
#define META_SCORED_USERS "score_users"

typedef struct run_ctx {
    tamis_txn *txn;
    const tamis_score_options *opts;
    tamis_score_summary *sum;
    tamis_error *err;
    score_shared sh;
    tamis_platform_names names;
    tamis_device_facts *devices;
    tamis_user_state state;
    /* incremental: uids to score */
    uint32_t *todo;
    size_t n_todo, cap_todo;
} run_ctx;

bool tamis_score_as_of(tamis_txn *t, int64_t *tc_ms)
{
    bool present = false;
    *tc_ms = tamis_meta_get_i64(t, META_WINDOW_END, &present);
    return present;
}

void tamis_score_platform_names(const tamis_store *store, tamis_platform_names *names)
{
    memset(names, 0, sizeof *names);
    for (int i = 0; i < 256; i++)
        names->name[i] = tamis_platform_name(store, (uint8_t)i);
}

/* Stores one judged chunk (called in uid order). */
static int write_chunk(void *vctx, const score_chunk *chunk, tamis_error *err)
{
    run_ctx *x = vctx;
    uint32_t start = 0;
    for (size_t i = 0; i < chunk->n; i++) {
        const score_chunk_user *u = &chunk->users[i];
        int rc = tamis_score_record_put(x->txn, u->uid, chunk->bytes + start, u->end - start, x->sum->full, err);
        if (rc)
            return rc;
        start = u->end;
    }
    x->sum->users_scored += chunk->n;
    for (int t = 0; t < TAMIS_TIER__COUNT; t++)
        x->sum->tiers[t] += chunk->tiers[t];
    return TAMIS_OK;
}

static void add_todo(void *vctx, uint32_t uid)
{
    run_ctx *x = vctx;
    x->todo = tamis_grow(x->todo, sizeof *x->todo, &x->cap_todo, x->n_todo + 1);
    x->todo[x->n_todo++] = uid;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The n changed users and everyone sharing a device with them, sorted, unique. */
static int incremental_set(run_ctx *x, const uint32_t *changed, size_t n)
{
    size_t k = 0;
    int rc = TAMIS_OK;
    for (size_t i = 0; i < n; i++) {
        add_todo(x, changed[i]);
        if ((rc = tamis_activity_get_reuse(x->txn, changed[i], &x->state, x->err)) != 0)
            break;
        for (size_t f = 0; f < x->state.n_facets; f++) {
            const tamis_facet *fc = &x->state.facets[f];
            if (fc->type == TAMIS_FACET_DEVICE && fc->first_ms < x->sh.tc)
                tamis_device_facts_neighbours(x->devices, tamis_facet_key(fc), fc->key_len, add_todo, x);
        }
    }
    if (rc)
        return rc;
    if (x->n_todo)
        qsort(x->todo, x->n_todo, sizeof *x->todo, cmp_u32);
    for (size_t i = 0; i < x->n_todo; i++)
        if (k == 0 || x->todo[k - 1] != x->todo[i])
            x->todo[k++] = x->todo[i];
    x->n_todo = k;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* With TAMIS_TRACE: seconds since *t0 for one step, then restarts the clock. */
static void trace_step(const run_ctx *x, const char *step, double *t0)
{
    double t = now_s();
    if (x->opts->trace)
        fprintf(x->opts->trace, "score: %-8s %.3f s\n", step, t - *t0);
    *t0 = t;
}

static int run(run_ctx *x, tamis_store *store, const tamis_model_config *cfg)
{
    bool have_end = false;
    int64_t stored_end = tamis_meta_get_i64(x->txn, META_WINDOW_END, &have_end);
    uint64_t stored_hash = tamis_meta_get_u64(x->txn, META_CONFIG_HASH);
    uint64_t hash = tamis_model_config_hash(cfg);
    uint32_t uid_end, *changed = NULL;
    size_t n_changed = 0;
    double t0 = now_s();
    int rc;

    x->sum->full = true;
    x->sum->why = x->opts->full            ? "--full"
                  : !have_end              ? "first run"
                  : stored_end != x->sh.tc ? "as-of changed"
                  : stored_hash != hash    ? "config changed"
                                           : NULL;
    if (!x->sum->why) {
        x->sum->full = false;
        x->sum->why = "changes";
    }
    if (!x->sum->full && (rc = tamis_changed_users_get(x->txn, &changed, &n_changed, x->err)) != 0)
        return rc;
    if (x->sum->full || n_changed) { /* with nothing changed, nothing to read */
        if ((rc = tamis_user_uid_end(x->txn, &uid_end, x->err)) != 0 ||
            (rc = score_devices_collect(&x->sh, uid_end, x->devices, x->err)) != 0) {
            tamis_free(changed);
            return rc;
        }
        x->sh.devices = x->devices;
        trace_step(x, "devices", &t0);
    }
    if (x->sum->full) {
        if ((rc = tamis_score_records_clear(x->txn, x->err)) == 0)
            rc = score_pool_run(&x->sh, uid_end, NULL, 0, write_chunk, x, x->opts->progress, x->err);
    } else if (n_changed) {
        if ((rc = incremental_set(x, changed, n_changed)) == 0)
            rc = score_pool_run(&x->sh, 0, x->todo, x->n_todo, write_chunk, x, x->opts->progress, x->err);
    }
    tamis_free(changed);
    if (rc)
        return rc;
    trace_step(x, "judge", &t0);
    if ((rc = tamis_meta_put_i64(x->txn, META_WINDOW_END, x->sh.tc, x->err)) != 0 ||
        (rc = tamis_meta_put_u64(x->txn, META_CONFIG_HASH, hash, x->err)) != 0 ||
        (rc = tamis_changed_users_clear(x->txn, x->err)) != 0)
        return rc;
    {
        tamis_store_counts counts;
        if ((rc = tamis_store_counts_get(x->txn, &counts, x->err)) != 0)
            return rc;
        x->sum->users_total = counts.scores;
    }
    return tamis_meta_put_u64(x->txn, META_SCORED_USERS, x->sum->users_total, x->err);
}

int tamis_score_run(tamis_store *store, const tamis_model_config *cfg, const tamis_score_options *opts,
                    tamis_score_summary *sum, tamis_error *err)
{
    run_ctx x;
    int rc;

    memset(sum, 0, sizeof *sum);
    memset(&x, 0, sizeof x);
    x.opts = opts;
    x.sum = sum;
    x.err = err;
    score_shared_init(&x.sh, &x.names, store, cfg, opts->as_of_ms, opts->threads);
    x.devices = tamis_device_facts_new();
    tamis_user_state_init(&x.state);
    if ((rc = tamis_txn_begin(store, true, &x.txn, err)) == 0) {
        rc = run(&x, store, cfg);
        if (rc) {
            tamis_txn_abort(x.txn);
        } else {
            double t0 = now_s();
            rc = tamis_txn_commit(x.txn, err);
            trace_step(&x, "commit", &t0);
        }
    }
    tamis_user_state_free(&x.state);
    tamis_device_facts_free(x.devices);
    tamis_free(x.todo);
    return rc;
}
