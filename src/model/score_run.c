/* score_run.c — the score run over the store (see include/tamis/score_run.h).
 *
 * Steps, in one write transaction:
 *   1. decide full or incremental (meta score_window_end / score_config_hash);
 *   2. read every activity state once for its device facets (accounts per device are
 *      a cross-user fact, so even an incremental run needs them);
 *   3. for each user to score: decode contact and activity, find its zone table,
 *      compute features, score, encode the record, store it;
 *   4. write the run's meta, clear the change marks, commit. */
#include "tamis/score_run.h"

#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/features.h"
#include "tamis/record.h"
#include "tamis/score.h"
#include "tamis/user_state.h"
#include "tamis/zone_hours.h"

#define META_WINDOW_END "score_window_end"
#define META_CONFIG_HASH "score_config_hash"
#define META_SCORED_USERS "score_users"

typedef struct run_ctx {
    tamis_txn *txn;
    const tamis_model_config *cfg;
    const tamis_score_options *opts;
    tamis_score_summary *sum;
    tamis_error *err;
    int64_t tc;
    tamis_zone_cache *zones;
    tamis_device_facts *devices;
    tamis_platform_names names;
    int unknown_platform;
    tamis_user_state state;
    tamis_contact contact;
    tamis_features features;
    tamis_result result;
    uint8_t *buf;
    size_t cap;
    /* incremental: uids to score */
    uint32_t *todo;
    size_t n_todo, cap_todo;
} run_ctx;

void tamis_score_platform_names(const tamis_store *store, tamis_platform_names *names)
{
    for (int i = 0; i < 256; i++)
        names->name[i] = tamis_platform_name(store, (uint8_t)i);
}

/* Step 2: device facets of every user, first seen before Tc. */
static int collect_device(void *vctx, uint32_t uid, const void *data, size_t len)
{
    run_ctx *x = vctx;
    int rc = tamis_user_state_decode_reuse(&x->state, data, len, x->err);
    if (rc) {
        tamis_error_prefix(x->err, "activity of uid %u", uid);
        return rc;
    }
    for (size_t i = 0; i < x->state.n_facets; i++) {
        const tamis_facet *f = &x->state.facets[i];
        if (f->type == TAMIS_FACET_DEVICE && f->first_ms < x->tc)
            tamis_device_facts_add(x->devices, tamis_facet_key(f), f->key_len, uid, f->first_ms);
    }
    return 0;
}

/* Step 3 for one user whose contact record bytes are given. */
static int score_one(run_ctx *x, uint32_t uid, const void *contact_bytes, size_t contact_len)
{
    tamis_feature_input in;
    tamis_zone_source source;
    const void *data;
    size_t len;
    int rc;

    tamis_contact_free(&x->contact);
    if ((rc = tamis_contact_decode(&x->contact, contact_bytes, contact_len, x->err)) != 0) {
        tamis_error_prefix(x->err, "contact of uid %u", uid);
        return rc;
    }
    rc = tamis_activity_get_reuse(x->txn, uid, &x->state, x->err);
    if (rc) {
        tamis_error_prefix(x->err, "activity of uid %u", uid);
        return rc;
    }
    memset(&in, 0, sizeof in);
    in.state = &x->state;
    in.contact = &x->contact;
    in.uid = uid;
    in.zone = tamis_zone_cache_for_contact(x->zones, &x->contact, &source);
    in.zone_source = (uint8_t)source;
    in.devices = x->devices;
    in.unknown_platform = x->unknown_platform;
    in.as_of_ms = x->opts->as_of_ms;
    tamis_features_compute(&in, x->cfg, &x->features);
    tamis_score_compute(&x->features, &x->contact, x->cfg, &x->names, &x->result);
    tamis_record_encode(&x->result, &x->features, &x->buf, &x->cap, &len);
    data = x->buf;
    if ((rc = tamis_score_record_put(x->txn, uid, data, len, x->err)) != 0)
        return rc;
    x->sum->users_scored++;
    x->sum->tiers[x->result.tier]++;
    if (x->opts->progress && (x->sum->users_scored & 1023) == 0)
        tamis_progress_update(x->opts->progress, x->sum->users_scored, x->sum->users_scored);
    return 0;
}

static int score_visit(void *vctx, uint32_t uid, const void *data, size_t len)
{
    return score_one(vctx, uid, data, len);
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

/* The changed users and everyone sharing a device with them, sorted, unique. */
static int incremental_set(run_ctx *x)
{
    uint32_t *changed = NULL;
    size_t n = 0, k = 0;
    int rc = tamis_changed_users_get(x->txn, &changed, &n, x->err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        add_todo(x, changed[i]);
        if ((rc = tamis_activity_get_reuse(x->txn, changed[i], &x->state, x->err)) != 0)
            break;
        for (size_t f = 0; f < x->state.n_facets; f++) {
            const tamis_facet *fc = &x->state.facets[f];
            if (fc->type == TAMIS_FACET_DEVICE && fc->first_ms < x->tc)
                tamis_device_facts_neighbours(x->devices, tamis_facet_key(fc), fc->key_len, add_todo, x);
        }
    }
    tamis_free(changed);
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

static int run(run_ctx *x, tamis_store *store)
{
    bool have_end = false;
    int64_t stored_end = tamis_meta_get_i64(x->txn, META_WINDOW_END, &have_end);
    uint64_t stored_hash = tamis_meta_get_u64(x->txn, META_CONFIG_HASH);
    uint64_t hash = tamis_model_config_hash(x->cfg);
    int rc;

    x->sum->full = true;
    x->sum->why = x->opts->full         ? "--full"
                  : !have_end           ? "first run"
                  : stored_end != x->tc ? "as-of changed"
                  : stored_hash != hash ? "config changed"
                                        : NULL;
    if (!x->sum->why) {
        x->sum->full = false;
        x->sum->why = "changes";
    }
    tamis_score_platform_names(store, &x->names);
    x->unknown_platform = -1;
    for (int i = 0; i < 256; i++)
        if (x->names.name[i] && strcmp(x->names.name[i], "unknown") == 0)
            x->unknown_platform = i;
    if ((rc = tamis_activity_foreach(x->txn, collect_device, x, x->err)) != 0)
        return rc;
    tamis_device_facts_finish(x->devices);

    if (x->sum->full) {
        if ((rc = tamis_score_records_clear(x->txn, x->err)) != 0)
            return rc;
        rc = tamis_user_records_foreach(x->txn, score_visit, x, x->err);
    } else {
        rc = incremental_set(x);
        for (size_t i = 0; i < x->n_todo && rc == 0; i++) {
            const void *data;
            size_t len;
            rc = tamis_user_record_get(x->txn, x->todo[i], &data, &len, x->err);
            if (rc == TAMIS_ENOTFOUND) { /* a mark left by a since-deleted user */
                rc = 0;
                continue;
            }
            if (rc == 0)
                rc = score_one(x, x->todo[i], data, len);
        }
    }
    if (rc)
        return rc;
    if ((rc = tamis_meta_put_i64(x->txn, META_WINDOW_END, x->tc, x->err)) != 0 ||
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
    uint32_t first_hour, end_hour;
    uint32_t retention = tamis_store_retention_days(store);
    int rc;

    memset(sum, 0, sizeof *sum);
    memset(&x, 0, sizeof x);
    x.cfg = cfg;
    x.opts = opts;
    x.sum = sum;
    x.err = err;
    x.tc = tamis_features_window_end(opts->as_of_ms);
    tamis_features_hour_span(opts->as_of_ms, &first_hour, &end_hour);
    /* cover the whole retention window, so "days since" of old events use real offsets */
    first_hour = first_hour > (retention + 2) * 24 ? (uint32_t)(end_hour - (retention + 3) * 24) : 0;
    x.zones = tamis_zone_cache_new(first_hour, end_hour, cfg);
    x.devices = tamis_device_facts_new();
    tamis_user_state_init(&x.state);
    tamis_contact_init(&x.contact);
    if ((rc = tamis_txn_begin(store, true, &x.txn, err)) == 0) {
        rc = run(&x, store);
        if (rc)
            tamis_txn_abort(x.txn);
        else
            rc = tamis_txn_commit(x.txn, err);
    }
    tamis_user_state_free(&x.state);
    tamis_contact_free(&x.contact);
    tamis_zone_cache_free(x.zones);
    tamis_device_facts_free(x.devices);
    tamis_free(x.buf);
    tamis_free(x.todo);
    return rc;
}
