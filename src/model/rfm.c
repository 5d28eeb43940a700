/* rfm.c — the raw RFM measures of every user, read from the stored hour log
 * (include/tamis/rfm.h; definitions in docs/AUDIENCES.md).
 *
 * The measures are sums over the hour log's `purchase` entries in a window of whole
 * UTC hours ending at Tc (T rounded up to the hour, as the features use): the newest
 * such hour (recency), their count (frequency) and their value sum (monetary). Local
 * days do not matter for a ranking, so no zone is looked up. Workers decode the states
 * of chunks of uids in their own read transactions of one committed state (the shape
 * of src/util/ordered.h); the calling thread appends the purchasers in uid order.
 * src/segment/rfm.c then ranks them. */
#include "tamis/rfm.h"

#include <string.h>

#include "tamis/alloc.h"
#include "tamis/kinds.h"
#include "util/ordered.h"
#include "util/workpool.h"

#define RFM_CHUNK_UIDS 16384u
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL

bool tamis_rfm_measure(const tamis_user_state *st, int64_t as_of_ms, uint32_t window_days, tamis_rfm_raw *out)
{
    int64_t rem = as_of_ms % HOUR_MS;
    int64_t end_h = (as_of_ms - rem + (rem > 0 ? HOUR_MS : 0)) / HOUR_MS;
    int64_t start_h = end_h - (int64_t)window_days * 24;
    int64_t newest = -1;

    memset(out, 0, sizeof *out);
    /* the log is sorted by hour: walk back from the newest entry */
    for (size_t i = st->n_hours; i > 0; i--) {
        const tamis_hour_count *h = &st->hours[i - 1];
        int64_t hour = (int64_t)tamis_hc_hour(h);
        if (hour < start_h)
            break;
        if (hour >= end_h || tamis_hc_kind(h) != TAMIS_KIND_PURCHASE)
            continue;
        if (hour > newest)
            newest = hour;
        out->frequency += h->count;
        out->monetary_micros += h->value_micros;
    }
    if (newest < 0 || out->frequency == 0) {
        memset(out, 0, sizeof *out);
        return false;
    }
    out->recency_hours = (uint32_t)(end_h - 1 - newest);
    return true;
}

/* ---- the pass over the store ----------------------------------------------------- */

typedef struct rfm_job {
    tamis_store *store;
    uint64_t snapshot;
    int64_t as_of_ms;
    uint32_t window_days;
    size_t n_chunks;
    tamis_rfm_table *out;
    tamis_progress *progress;
    uint64_t states_read;
} rfm_job;

typedef struct rfm_worker {
    tamis_txn *txn;
    tamis_user_state state;
} rfm_worker;

typedef struct rfm_slot {
    tamis_rfm_user *rows;
    size_t n, cap;
    uint64_t states;
} rfm_slot;

typedef struct rfm_visit {
    const rfm_job *job;
    rfm_worker *w;
    rfm_slot *slot;
    tamis_error *err;
} rfm_visit;

static int rfm_open(void *ctx, void **out, tamis_error *err)
{
    rfm_job *job = ctx;
    rfm_worker *w = tamis_calloc(1, sizeof *w);
    int rc;
    *out = w;
    tamis_user_state_init(&w->state);
    if ((rc = tamis_txn_begin(job->store, false, &w->txn, err)) != 0)
        return rc;
    if (tamis_txn_snapshot(w->txn) != job->snapshot)
        return tamis_error_set(err, TAMIS_EBUSY, "the store changed while it was being read; try again");
    return TAMIS_OK;
}

static void rfm_close(void *ctx, void *vw)
{
    rfm_worker *w = vw;
    (void)ctx;
    if (w->txn)
        tamis_txn_abort(w->txn);
    tamis_user_state_free(&w->state);
    tamis_free(w);
}

static int rfm_visit_state(void *vctx, uint32_t uid, const void *data, size_t len)
{
    rfm_visit *v = vctx;
    tamis_rfm_raw raw;
    int rc;

    v->slot->states++;
    if ((rc = tamis_user_state_decode_judge(&v->w->state, data, len, v->err)) != 0) {
        tamis_error_prefix(v->err, "activity of uid %u", uid);
        return rc;
    }
    if (!tamis_rfm_measure(&v->w->state, v->job->as_of_ms, v->job->window_days, &raw))
        return 0;
    v->slot->rows = tamis_grow(v->slot->rows, sizeof *v->slot->rows, &v->slot->cap, v->slot->n + 1);
    memset(&v->slot->rows[v->slot->n], 0, sizeof v->slot->rows[0]);
    v->slot->rows[v->slot->n].uid = uid;
    v->slot->rows[v->slot->n].raw = raw;
    v->slot->rows[v->slot->n].segment = TAMIS_RFM_NONE;
    v->slot->n++;
    return 0;
}

static int rfm_produce(void *ctx, void *vw, size_t chunk, void *vslot, tamis_error *err)
{
    rfm_job *job = ctx;
    rfm_slot *slot = vslot;
    uint32_t lo = (uint32_t)(chunk * RFM_CHUNK_UIDS);
    uint32_t hi = chunk + 1 == job->n_chunks ? UINT32_MAX : lo + RFM_CHUNK_UIDS;
    rfm_visit v = {job, vw, slot, err};

    slot->n = 0; /* a slot serves several chunks: keep its array */
    slot->states = 0;
    return tamis_records_foreach_range(((rfm_worker *)vw)->txn, TAMIS_RECORDS_ACTIVITY, lo, hi, rfm_visit_state, &v,
                                       err);
}

static int rfm_consume(void *ctx, size_t chunk, void *vslot, tamis_error *err)
{
    rfm_job *job = ctx;
    rfm_slot *slot = vslot;
    tamis_rfm_table *t = job->out;
    (void)chunk;
    (void)err;
    if (slot->n) {
        t->rows = tamis_grow_large(t->rows, sizeof *t->rows, &t->cap, t->n + slot->n);
        memcpy(t->rows + t->n, slot->rows, slot->n * sizeof *slot->rows);
        t->n += slot->n;
    }
    job->states_read += slot->states;
    tamis_progress_update(job->progress, job->states_read, job->states_read);
    return TAMIS_OK;
}

static void rfm_slot_free(void *ctx, void *vslot)
{
    (void)ctx;
    tamis_free(((rfm_slot *)vslot)->rows);
}

/* TAMIS_EUSAGE unless every user's state still holds the whole window (see rfm.h). */
static int check_window(tamis_store *store, tamis_txn *t, const tamis_rfm_table *out, tamis_error *err)
{
    uint32_t retention = tamis_store_retention_days(store);
    int64_t start_ms = out->window_end_ms - (int64_t)out->window_days * DAY_MS;
    bool present = false;
    int64_t ts_max = tamis_meta_get_i64(t, "ts_max", &present);

    if (out->window_days > retention)
        return tamis_error_set(err, TAMIS_EUSAGE,
                               "--window %ud is longer than the store keeps purchases (retention %u days, "
                               "`ingest --retention-days`): use --window %ud or less",
                               out->window_days, retention, retention);
    if (present && start_ms < ts_max - (int64_t)retention * DAY_MS) {
        int64_t complete_days = (out->window_end_ms - (ts_max - (int64_t)retention * DAY_MS)) / DAY_MS;
        return tamis_error_set(err, TAMIS_EUSAGE,
                               "a %u-day window ending at --as-of starts before what the store still keeps "
                               "(retention %u days before the newest event): at most --window %lldd is complete",
                               out->window_days, retention, (long long)(complete_days > 0 ? complete_days : 0));
    }
    return TAMIS_OK;
}

int tamis_rfm_collect(tamis_store *store, int64_t as_of_ms, uint32_t window_days, unsigned threads,
                      tamis_progress *progress, tamis_rfm_table *out, tamis_error *err)
{
    static const tamis_ordered_ops ops = {sizeof(rfm_slot), rfm_open,    rfm_close,
                                          rfm_produce,      rfm_consume, rfm_slot_free};
    rfm_job job = {store, 0, as_of_ms, window_days, 0, out, progress, 0};
    tamis_store_counts counts = {0};
    uint32_t uid_end = 0;
    int64_t rem = as_of_ms % HOUR_MS;
    bool present = false;
    tamis_txn *t;
    int rc;

    if (window_days == 0 || window_days > TAMIS_RFM_MAX_WINDOW_DAYS)
        return tamis_error_set(err, TAMIS_EUSAGE, "the RFM window must be 1 to %u days, not %u",
                               TAMIS_RFM_MAX_WINDOW_DAYS, window_days);
    if (as_of_ms <= 0)
        return tamis_error_set(err, TAMIS_EUSAGE, "the RFM as-of time must be after 1970");
    out->as_of_ms = as_of_ms;
    out->window_end_ms = as_of_ms - rem + (rem > 0 ? HOUR_MS : 0);
    out->window_days = window_days;
    out->n = 0;
    if ((rc = tamis_txn_begin(store, false, &t, err)) != 0)
        return rc;
    job.snapshot = tamis_txn_snapshot(t);
    out->data_from_ms = tamis_meta_get_i64(t, "ts_min", &present);
    if (!present)
        out->data_from_ms = 0;
    if ((rc = check_window(store, t, out, err)) == 0 && (rc = tamis_store_counts_get(t, &counts, err)) == 0)
        rc = tamis_user_uid_end(t, &uid_end, err);
    tamis_txn_abort(t);
    if (rc)
        return rc;
    out->users = counts.users;
    job.n_chunks = uid_end / RFM_CHUNK_UIDS + 1;
    if (threads == 0)
        threads = tamis_cpu_count(8);
    rc = tamis_ordered_run(&ops, &job, job.n_chunks, threads, err);
    out->purchasers = out->n;
    tamis_progress_finish(progress);
    return rc;
}
