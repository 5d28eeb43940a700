/* score_pool.c — the worker threads of a score run (see score_pool.h).
 *
 * Both passes run on tamis_ordered_run (src/util/ordered.c): workers produce chunks
 * of uids, the calling thread consumes them in order (absorbing device tables, or
 * storing score records). Each worker owns everything it writes: a read transaction
 * with an activity cursor, a zone cache (zone tables are built lazily, so caches are
 * not shared), the decoded state and contact of the user in hand, and the slot of the
 * chunk it claimed. What workers share is read-only: configuration, platform rules,
 * device facts. */
#include "model/score_pool.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/record.h"
#include "tamis/user_state.h"
#include "tamis/zone_hours.h"
#include "tamis/score_run.h"
#include "util/ordered.h"
#include "util/workpool.h"

#define CHUNK_USERS 4096u   /* users (or uids of the range) per chunk */

typedef struct judge_job {
    const score_shared *sh;
    const uint32_t *uids; /* NULL: the uid range */
    size_t n_uids;
    size_t n_chunks;
    score_write_fn write;
    void *write_ctx;
    tamis_progress *progress;
    uint64_t users_written;
} judge_job;

typedef struct worker {
    const score_shared *sh;
    tamis_txn *txn;
    tamis_activity_cursor *acur;
    tamis_zone_cache *zones;
    tamis_user_state state;
    tamis_contact contact;
    tamis_features features;
    tamis_result result;
    uint8_t *buf;
    size_t cap;
    /* device pass: the table of the chunk in hand (borrowed) */
    tamis_device_facts *devices;
    uint32_t uid;
    tamis_error err;
} worker;

#define MAX_THREADS 8

void score_shared_init(score_shared *sh, tamis_platform_names *names, tamis_store *store,
                       const tamis_model_config *cfg, int64_t as_of_ms, unsigned threads)
{
    uint32_t first_hour, end_hour, retention = tamis_store_retention_days(store);

    memset(sh, 0, sizeof *sh);
    sh->store = store;
    sh->cfg = cfg;
    sh->names = names;
    sh->as_of_ms = as_of_ms;
    sh->tc = tamis_features_window_end(as_of_ms);
    sh->threads = threads ? (threads > MAX_THREADS ? MAX_THREADS : threads) : tamis_cpu_count(MAX_THREADS);
    tamis_score_platform_names(store, names);
    tamis_platform_names_bind(names, cfg);
    sh->unknown_platform = -1;
    for (int i = 0; i < 256; i++)
        if (names->name[i] && strcmp(names->name[i], "unknown") == 0)
            sh->unknown_platform = i;
    tamis_features_hour_span(as_of_ms, &first_hour, &end_hour);
    /* cover the whole retention window, so "days since" of old events use real offsets */
    sh->zone_first_hour = first_hour > (retention + 2) * 24 ? (uint32_t)(end_hour - (retention + 3) * 24) : 0;
    sh->zone_end_hour = end_hour;
}

/* ------------------------------------------------------------------ workers */

static void worker_init(worker *w, const score_shared *sh)
{
    memset(w, 0, sizeof *w);
    w->sh = sh;
    tamis_user_state_init(&w->state);
    tamis_contact_init(&w->contact);
}

static void worker_free(worker *w)
{
    tamis_user_state_free(&w->state);
    tamis_contact_free(&w->contact);
    tamis_zone_cache_free(w->zones);
    tamis_free(w->buf);
}

/* In the worker's thread: its read transaction (and, to judge, cursor and zones). */
static int worker_open(worker *w, bool judge)
{
    int rc = tamis_txn_begin(w->sh->store, false, &w->txn, &w->err);
    if (rc || !judge)
        return rc;
    if ((rc = tamis_activity_cursor_open(w->txn, &w->acur, &w->err)) != 0)
        return rc;
    w->zones = tamis_zone_cache_new(w->sh->zone_first_hour, w->sh->zone_end_hour, w->sh->cfg);
    return TAMIS_OK;
}

static void worker_close(worker *w)
{
    tamis_activity_cursor_close(w->acur);
    w->acur = NULL;
    if (w->txn)
        tamis_txn_abort(w->txn);
    w->txn = NULL;
}

/* In a worker thread: a worker with a read transaction (and, to judge, more). */
static int open_worker(const score_shared *sh, bool judge, void **out, tamis_error *err)
{
    worker *w = tamis_malloc(sizeof *w);
    int rc;
    worker_init(w, sh);
    *out = w;
    if ((rc = worker_open(w, judge)) != 0)
        *err = w->err;
    return rc;
}

static void close_worker(void *ctx, void *vw)
{
    worker *w = vw;
    (void)ctx;
    worker_close(w);
    worker_free(w);
    tamis_free(w);
}

/* ------------------------------------------------------------------ device pass */

#define DEVICE_CHUNK_USERS (4 * CHUNK_USERS)

typedef struct device_job {
    const score_shared *sh;
    size_t n_chunks;
    tamis_device_facts *devices; /* where chunks are absorbed */
} device_job;

/* A slot of the device pass: one chunk's entries. */
typedef struct device_slot {
    tamis_device_facts *part;
} device_slot;

static void add_device(void *ctx, const tamis_facet_view *f)
{
    worker *w = ctx;
    if (f->first_ms < w->sh->tc)
        tamis_device_facts_add(w->devices, f->key, f->key_len, w->uid, f->first_ms);
}

static int collect_visit(void *ctx, uint32_t uid, const void *data, size_t len)
{
    worker *w = ctx;
    int rc;
    w->uid = uid;
    rc = tamis_user_state_scan_facets(data, len, TAMIS_FACET_DEVICE, add_device, w, &w->err);
    if (rc)
        tamis_error_prefix(&w->err, "activity of uid %u", uid);
    return rc;
}

static int device_open(void *ctx, void **out, tamis_error *err)
{
    return open_worker(((device_job *)ctx)->sh, false, out, err);
}

static int device_produce(void *ctx, void *vw, size_t chunk, void *vslot, tamis_error *err)
{
    device_job *job = ctx;
    worker *w = vw;
    device_slot *slot = vslot;
    uint32_t lo = (uint32_t)(chunk * DEVICE_CHUNK_USERS);
    uint32_t hi = chunk + 1 == job->n_chunks ? UINT32_MAX : lo + DEVICE_CHUNK_USERS;
    int rc;

    if (!slot->part)
        slot->part = tamis_device_facts_new();
    w->devices = slot->part; /* borrowed for the chunk; emptied when absorbed */
    rc = tamis_records_foreach_range(w->txn, TAMIS_RECORDS_ACTIVITY, lo, hi, collect_visit, w, &w->err);
    w->devices = NULL;
    if (rc)
        *err = w->err;
    return rc;
}

static int device_consume(void *ctx, size_t chunk, void *vslot, tamis_error *err)
{
    device_job *job = ctx;
    device_slot *slot = vslot;
    (void)chunk;
    (void)err;
    tamis_device_facts_absorb(job->devices, slot->part);
    return TAMIS_OK;
}

static void device_slot_free(void *ctx, void *vslot)
{
    (void)ctx;
    tamis_device_facts_free(((device_slot *)vslot)->part);
}

int score_devices_collect(const score_shared *sh, uint32_t uid_end, tamis_device_facts *devices, tamis_error *err)
{
    static const tamis_ordered_ops ops = {sizeof(device_slot), device_open,    close_worker,
                                          device_produce,      device_consume, device_slot_free};
    device_job job = {sh, uid_end / DEVICE_CHUNK_USERS + 1, devices};
    int rc = tamis_ordered_run(&ops, &job, job.n_chunks, sh->threads, err);
    if (rc == 0)
        tamis_device_facts_finish(devices);
    return rc;
}

/* ------------------------------------------------------------------ judging */

static void summarize(const worker *w, uint32_t uid, uint32_t end, score_chunk_user *u)
{
    const tamis_features *f = &w->features;
    u->uid = uid;
    u->end = end;
    u->tier = w->result.tier;
    u->trend = w->result.trend;
    u->score = w->result.score;
    memcpy(u->sub, w->result.sub, sizeof u->sub);
    memcpy(u->country, w->contact.country, sizeof u->country);
    u->days_since_seen = f->days_since_seen;
    u->days_since_purchase = f->days_since_purchase;
    u->n_usable_platforms = f->n_usable_platforms;
    u->n_platforms = f->n_platforms;
    for (uint8_t i = 0; i < f->n_platforms; i++)
        u->platforms[i] = f->platforms[i].platform;
}

static int judge_user(worker *w, uint32_t uid, const void *contact, size_t contact_len, score_chunk *out)
{
    const score_shared *sh = w->sh;
    tamis_feature_input in;
    tamis_zone_source source;
    const void *act;
    size_t act_len, len;
    int rc;

    tamis_contact_free(&w->contact);
    if ((rc = tamis_contact_decode(&w->contact, contact, contact_len, &w->err)) != 0) {
        tamis_error_prefix(&w->err, "contact of uid %u", uid);
        return rc;
    }
    rc = tamis_activity_cursor_bytes(w->acur, uid, &act, &act_len, &w->err);
    if (rc == TAMIS_ENOTFOUND) {
        tamis_user_state_clear(&w->state);
        rc = TAMIS_OK;
    } else if (rc == TAMIS_OK) {
        rc = tamis_user_state_decode_judge(&w->state, act, act_len, &w->err);
    }
    if (rc) {
        tamis_error_prefix(&w->err, "activity of uid %u", uid);
        return rc;
    }
    if (sh->skip_unborn && w->contact.auto_created && (w->state.last_ms == 0 || w->state.first_ms >= sh->tc))
        return TAMIS_OK;
    memset(&in, 0, sizeof in);
    in.state = &w->state;
    in.contact = &w->contact;
    in.uid = uid;
    in.zone = tamis_zone_cache_for_contact(w->zones, &w->contact, &source);
    in.zone_source = (uint8_t)source;
    in.devices = sh->devices;
    in.unknown_platform = sh->unknown_platform;
    in.as_of_ms = sh->as_of_ms;
    tamis_features_compute(&in, sh->cfg, &w->features);
    tamis_score_compute(&w->features, &w->contact, sh->cfg, sh->names, &w->result);

    out->users = tamis_grow(out->users, sizeof *out->users, &out->cap, out->n + 1);
    if (!sh->no_records) {
        tamis_record_encode(&w->result, &w->features, &w->buf, &w->cap, &len);
        out->bytes = tamis_grow(out->bytes, 1, &out->cap_bytes, out->len + len);
        memcpy(out->bytes + out->len, w->buf, len);
        out->len += len;
    }
    summarize(w, uid, (uint32_t)out->len, &out->users[out->n]);
    out->users[out->n].measure = sh->measure ? sh->measure(sh->measure_ctx, &w->state, sh->tc) : 0;
    out->n++;
    out->tiers[w->result.tier]++;
    return TAMIS_OK;
}

typedef struct judge_ctx {
    worker *w;
    score_chunk *out;
} judge_ctx;

static int judge_visit(void *ctx, uint32_t uid, const void *data, size_t len)
{
    judge_ctx *j = ctx;
    return judge_user(j->w, uid, data, len, j->out);
}

/* Judges chunk c into out (emptied first). */
static int judge_chunk(worker *w, const judge_job *job, size_t c, score_chunk *out)
{
    judge_ctx j = {w, out};
    out->n = out->len = 0;
    memset(out->tiers, 0, sizeof out->tiers);
    if (!job->uids) {
        uint32_t lo = (uint32_t)(c * CHUNK_USERS);
        uint32_t hi = c + 1 == job->n_chunks ? UINT32_MAX : lo + CHUNK_USERS;
        return tamis_records_foreach_range(w->txn, TAMIS_RECORDS_USERS, lo, hi, judge_visit, &j, &w->err);
    }
    for (size_t i = c * CHUNK_USERS; i < job->n_uids && i < (c + 1) * CHUNK_USERS; i++) {
        const void *data;
        size_t len;
        int rc = tamis_user_record_get(w->txn, job->uids[i], &data, &len, &w->err);
        if (rc == TAMIS_ENOTFOUND) /* a mark left by a since-deleted user */
            continue;
        if (rc == 0)
            rc = judge_user(w, job->uids[i], data, len, out);
        if (rc)
            return rc;
    }
    return TAMIS_OK;
}

/* The tamis_ordered_ops of the judging run. */

static int judge_open(void *ctx, void **out, tamis_error *err)
{
    return open_worker(((judge_job *)ctx)->sh, true, out, err);
}

static int judge_produce(void *ctx, void *vw, size_t chunk, void *slot, tamis_error *err)
{
    worker *w = vw;
    int rc = judge_chunk(w, ctx, chunk, slot);
    if (rc)
        *err = w->err;
    return rc;
}

static int judge_consume(void *ctx, size_t chunk, void *slot, tamis_error *err)
{
    judge_job *job = ctx;
    const score_chunk *c = slot;
    int rc = job->write(job->write_ctx, c, err);
    (void)chunk;
    job->users_written += c->n;
    if (job->progress)
        tamis_progress_update(job->progress, job->users_written, job->users_written);
    return rc;
}

static void judge_slot_free(void *ctx, void *slot)
{
    score_chunk *c = slot;
    (void)ctx;
    tamis_free(c->users);
    tamis_free(c->bytes);
}

int score_pool_run(const score_shared *sh, uint32_t uid_end, const uint32_t *uids, size_t n_uids,
                   score_write_fn write, void *write_ctx, tamis_progress *progress, tamis_error *err)
{
    static const tamis_ordered_ops ops = {sizeof(score_chunk), judge_open,    close_worker,
                                          judge_produce,       judge_consume, judge_slot_free};
    judge_job job = {sh, uids, n_uids, 0, write, write_ctx, progress, 0};
    job.n_chunks = uids ? (n_uids + CHUNK_USERS - 1) / CHUNK_USERS : (uid_end + (size_t)CHUNK_USERS - 1) / CHUNK_USERS;
    return tamis_ordered_run(&ops, &job, job.n_chunks, sh->threads, err);
}
