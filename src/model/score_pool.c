/* score_pool.c — the worker threads of a score run (see score_pool.h).
 *
 * Each worker owns everything it writes: a read transaction with an activity cursor,
 * a zone cache (zone tables are built lazily, so caches are not shared), the decoded
 * state and contact of the user in hand, and, while judging, the chunk it claimed.
 * What workers share is read-only (configuration, platform rules, device facts) or
 * behind the pool's mutex (which chunk is next, which are done, the first failure). */
#include "model/score_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/record.h"
#include "tamis/user_state.h"
#include "tamis/zone_hours.h"

#define CHUNK_USERS 4096u   /* users (or uids of the range) per chunk */
#define CHUNKS_PER_WORKER 3 /* chunks in flight per worker */

typedef struct pool pool;

typedef struct worker {
    const score_shared *sh;
    pool *pool;
    pthread_t thread;
    bool started;
    tamis_txn *txn;
    tamis_activity_cursor *acur;
    tamis_zone_cache *zones;
    tamis_user_state state;
    tamis_contact contact;
    tamis_features features;
    tamis_result result;
    uint8_t *buf;
    size_t cap;
    /* device collection */
    tamis_device_facts *devices;
    uint32_t lo, hi, uid;
    int rc;
    tamis_error err;
} worker;

struct pool {
    const score_shared *sh;
    uint32_t uid_end;
    const uint32_t *uids;
    size_t n_uids;
    size_t n_chunks, window;
    pthread_mutex_t mu;
    pthread_cond_t ready; /* a chunk is done, or a worker failed */
    pthread_cond_t space; /* the writer freed a slot, or the run stops */
    size_t next_claim, written;
    score_chunk *slots;   /* chunk c lives in slots[c % window] */
    bool *done;
    bool stop;
    int rc; /* first worker failure */
    tamis_error err;
};

/* ------------------------------------------------------------------ workers */

static void worker_init(worker *w, const score_shared *sh, pool *p)
{
    memset(w, 0, sizeof *w);
    w->sh = sh;
    w->pool = p;
    tamis_user_state_init(&w->state);
    tamis_contact_init(&w->contact);
}

static void worker_free(worker *w)
{
    tamis_user_state_free(&w->state);
    tamis_contact_free(&w->contact);
    tamis_zone_cache_free(w->zones);
    tamis_device_facts_free(w->devices);
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

/* Starts fn on each worker; at least the first must start. Returns how many did. */
static unsigned start_workers(worker *ws, unsigned n, void *(*fn)(void *), tamis_error *err)
{
    unsigned started = 0;
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&ws[i].thread, NULL, fn, &ws[i]) != 0)
            break;
        ws[i].started = true;
        started++;
    }
    if (started == 0)
        tamis_error_set(err, TAMIS_EINTERNAL, "score: cannot start a thread");
    return started;
}

static void join_workers(worker *ws, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (ws[i].started)
            pthread_join(ws[i].thread, NULL);
}

/* ------------------------------------------------------------------ device pass */

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

static void *collect_main(void *arg)
{
    worker *w = arg;
    w->rc = worker_open(w, false);
    if (w->rc == 0)
        w->rc = tamis_records_foreach_range(w->txn, TAMIS_RECORDS_ACTIVITY, w->lo, w->hi, collect_visit, w, &w->err);
    worker_close(w);
    return NULL;
}

int score_devices_collect(const score_shared *sh, uint32_t uid_end, tamis_device_facts *devices, tamis_error *err)
{
    unsigned n = sh->threads ? sh->threads : 1, started;
    worker *ws;
    int rc = TAMIS_OK;

    if ((uint64_t)n * CHUNK_USERS > uid_end) /* not worth a thread each */
        n = uid_end / CHUNK_USERS + 1;
    ws = tamis_calloc(n, sizeof *ws);
    for (unsigned i = 0; i < n; i++) {
        worker_init(&ws[i], sh, NULL);
        ws[i].devices = tamis_device_facts_new();
        ws[i].lo = (uint32_t)((uint64_t)uid_end * i / n);
        ws[i].hi = i + 1 == n ? UINT32_MAX : (uint32_t)((uint64_t)uid_end * (i + 1) / n);
    }
    started = start_workers(ws, n, collect_main, err);
    join_workers(ws, n);
    if (started < n) {
        /* the slices of workers that did not start are read here */
        for (unsigned i = started; i < n && started > 0; i++)
            collect_main(&ws[i]);
    }
    if (started == 0)
        rc = TAMIS_EINTERNAL;
    for (unsigned i = 0; i < n && rc == 0; i++)
        if (ws[i].rc) {
            rc = ws[i].rc;
            *err = ws[i].err;
        }
    for (unsigned i = 0; i < n; i++) {
        if (rc == 0)
            tamis_device_facts_absorb(devices, ws[i].devices);
        worker_free(&ws[i]);
    }
    tamis_free(ws);
    if (rc == 0)
        tamis_device_facts_finish(devices);
    return rc;
}

/* ------------------------------------------------------------------ judging */

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
    tamis_record_encode(&w->result, &w->features, &w->buf, &w->cap, &len);

    out->users = tamis_grow(out->users, sizeof *out->users, &out->cap, out->n + 1);
    out->bytes = tamis_grow(out->bytes, 1, &out->cap_bytes, out->len + len);
    memcpy(out->bytes + out->len, w->buf, len);
    out->len += len;
    out->users[out->n].uid = uid;
    out->users[out->n].end = (uint32_t)out->len;
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

/* Judges chunk c of the pool into out (emptied first). */
static int judge_chunk(worker *w, const pool *p, size_t c, score_chunk *out)
{
    judge_ctx j = {w, out};
    out->n = out->len = 0;
    memset(out->tiers, 0, sizeof out->tiers);
    if (!p->uids) {
        uint32_t lo = (uint32_t)(c * CHUNK_USERS);
        uint32_t hi = c + 1 == p->n_chunks ? UINT32_MAX : lo + CHUNK_USERS;
        return tamis_records_foreach_range(w->txn, TAMIS_RECORDS_USERS, lo, hi, judge_visit, &j, &w->err);
    }
    for (size_t i = c * CHUNK_USERS; i < p->n_uids && i < (c + 1) * CHUNK_USERS; i++) {
        const void *data;
        size_t len;
        int rc = tamis_user_record_get(w->txn, p->uids[i], &data, &len, &w->err);
        if (rc == TAMIS_ENOTFOUND) /* a mark left by a since-deleted user */
            continue;
        if (rc == 0)
            rc = judge_user(w, p->uids[i], data, len, out);
        if (rc)
            return rc;
    }
    return TAMIS_OK;
}

/* Under the mutex: the first failure stops the run. */
static void fail_locked(pool *p, int rc, const tamis_error *err)
{
    if (!p->rc) {
        p->rc = rc;
        p->err = *err;
    }
    p->stop = true;
    pthread_cond_broadcast(&p->ready);
    pthread_cond_broadcast(&p->space);
}

static void *judge_main(void *arg)
{
    worker *w = arg;
    pool *p = w->pool;
    int rc = worker_open(w, true);

    while (rc == 0) {
        size_t c;
        pthread_mutex_lock(&p->mu);
        while (!p->stop && p->next_claim < p->n_chunks && p->next_claim >= p->written + p->window)
            pthread_cond_wait(&p->space, &p->mu);
        if (p->stop || p->next_claim >= p->n_chunks) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        c = p->next_claim++;
        pthread_mutex_unlock(&p->mu);

        rc = judge_chunk(w, p, c, &p->slots[c % p->window]);

        pthread_mutex_lock(&p->mu);
        if (rc == 0) {
            p->done[c % p->window] = true;
            pthread_cond_broadcast(&p->ready);
        }
        pthread_mutex_unlock(&p->mu);
    }
    if (rc) {
        pthread_mutex_lock(&p->mu);
        fail_locked(p, rc, &w->err);
        pthread_mutex_unlock(&p->mu);
    }
    worker_close(w);
    return NULL;
}

/* In the calling thread: hands chunks to write in order until all are written or
 * something failed. */
static int write_chunks(pool *p, score_write_fn write, void *write_ctx, tamis_progress *progress, tamis_error *err)
{
    uint64_t users = 0;
    int rc = TAMIS_OK;

    for (size_t c = 0; c < p->n_chunks && rc == 0; c++) {
        size_t slot = c % p->window;
        pthread_mutex_lock(&p->mu);
        while (!p->done[slot] && !p->stop)
            pthread_cond_wait(&p->ready, &p->mu);
        if (!p->done[slot]) { /* a worker failed */
            pthread_mutex_unlock(&p->mu);
            break;
        }
        pthread_mutex_unlock(&p->mu);

        rc = write(write_ctx, &p->slots[slot], err);
        users += p->slots[slot].n;
        if (progress)
            tamis_progress_update(progress, users, users);

        pthread_mutex_lock(&p->mu);
        p->done[slot] = false;
        p->written++;
        pthread_cond_broadcast(&p->space);
        pthread_mutex_unlock(&p->mu);
    }
    return rc;
}

int score_pool_run(const score_shared *sh, uint32_t uid_end, const uint32_t *uids, size_t n_uids,
                   score_write_fn write, void *write_ctx, tamis_progress *progress, tamis_error *err)
{
    pool p;
    worker *ws;
    unsigned n;
    int rc;

    memset(&p, 0, sizeof p);
    p.sh = sh;
    p.uid_end = uid_end;
    p.uids = uids;
    p.n_uids = n_uids;
    p.n_chunks = uids ? (n_uids + CHUNK_USERS - 1) / CHUNK_USERS : (uid_end + (size_t)CHUNK_USERS - 1) / CHUNK_USERS;
    if (p.n_chunks == 0)
        return TAMIS_OK;
    n = sh->threads ? sh->threads : 1;
    if (n > p.n_chunks)
        n = (unsigned)p.n_chunks;
    p.window = (size_t)n * CHUNKS_PER_WORKER;
    p.slots = tamis_calloc(p.window, sizeof *p.slots);
    p.done = tamis_calloc(p.window, sizeof *p.done);
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.ready, NULL);
    pthread_cond_init(&p.space, NULL);
    ws = tamis_calloc(n, sizeof *ws);
    for (unsigned i = 0; i < n; i++)
        worker_init(&ws[i], sh, &p);

    if (start_workers(ws, n, judge_main, err) == 0) {
        rc = TAMIS_EINTERNAL;
    } else {
        rc = write_chunks(&p, write, write_ctx, progress, err);
        pthread_mutex_lock(&p.mu);
        p.stop = true;
        pthread_cond_broadcast(&p.space);
        pthread_mutex_unlock(&p.mu);
        join_workers(ws, n);
        if (rc == 0 && p.rc) {
            rc = p.rc;
            *err = p.err;
        }
    }
    for (unsigned i = 0; i < n; i++)
        worker_free(&ws[i]);
    for (size_t i = 0; i < p.window; i++) {
        tamis_free(p.slots[i].users);
        tamis_free(p.slots[i].bytes);
    }
    tamis_free(ws);
    tamis_free(p.slots);
    tamis_free(p.done);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.ready);
    pthread_cond_destroy(&p.space);
    return rc;
}
