/* overview.c — the dashboard's figures in one pass over the stored results (see
 * overview.h; JSON in overview_json.c).
 *
 * Workers read chunks of OVERVIEW_CHUNK_UIDS uids (score record, contact, activity
 * state) in their own read transactions, all of the committed state the pass started
 * from, and count into the chunk's slot; the calling thread adds the slots up. A slot
 * keeps its country x channel cells as a list of cell indexes (one per user) rather
 * than the 677 x 257 table, so slots stay small whatever the number of workers. */
#include "model/overview.h"

#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/kinds.h"
#include "tamis/record.h"
#include "tamis/score_run.h"
#include "util/ordered.h"

#define OVERVIEW_CHUNK_UIDS 8192u
#define CELL_ACTIVE 0x80000000u /* in a slot's cell list: the user is active */
#define HOUR_MS 3600000LL

/* ---- definitions ---------------------------------------------------------------- */

int tamis_overview_tier_active(int tier)
{
    return tier == TAMIS_TIER_DAILY_ACTIVE || tier == TAMIS_TIER_HIGH_INTERACTION || tier == TAMIS_TIER_OCCASIONAL;
}

size_t tamis_overview_bin(unsigned value)
{
    size_t b = value / (100 / TAMIS_OVERVIEW_BINS);
    return b < TAMIS_OVERVIEW_BINS ? b : TAMIS_OVERVIEW_BINS - 1;
}

size_t tamis_overview_cell(const char *country, unsigned channel)
{
    size_t c = TAMIS_OVERVIEW_COUNTRIES - 1;
    if (country[0] >= 'A' && country[0] <= 'Z' && country[1] >= 'A' && country[1] <= 'Z' && !country[2])
        c = (size_t)(country[0] - 'A') * 26 + (size_t)(country[1] - 'A');
    if (channel >= TAMIS_OVERVIEW_CHANNELS)
        channel = TAMIS_OVERVIEW_CHANNELS - 1;
    return c * TAMIS_OVERVIEW_CHANNELS + channel;
}

unsigned tamis_overview_week_hour(uint32_t utc_hour, int offset_minutes, int64_t *local_day)
{
    int64_t local_hour = ((int64_t)utc_hour * 60 + offset_minutes) / 60; /* positive after 1970 */
    int64_t day = local_hour / 24;
    *local_day = day;
    return (unsigned)(((day + 3) % 7) * 24 + local_hour % 24); /* 1970-01-01 was a Thursday */
}

/* ---- one chunk ------------------------------------------------------------------- */

typedef struct chunk_counts {
    uint64_t scored;
    int64_t as_of_min_ms, as_of_max_ms;
    uint64_t tiers[TAMIS_TIER__COUNT];
    uint64_t trends[TAMIS_TREND__COUNT];
    uint64_t score_hist[TAMIS_OVERVIEW_BINS];
    uint64_t sub_hist[TAMIS_SUB__COUNT][TAMIS_OVERVIEW_BINS + 1];
    uint64_t week_events[TAMIS_OVERVIEW_WEEK_HOURS];
    uint64_t week_users_seen;
    uint32_t *cells; /* one per user: cell index, | CELL_ACTIVE */
    size_t n_cells, cap_cells;
} chunk_counts;

typedef struct pass_job {
    tamis_store *store;
    tamis_overview *ov;
    uint64_t snapshot;
    size_t n_chunks;
} pass_job;

typedef struct pass_worker {
    tamis_txn *txn;
    tamis_activity_cursor *activity;
    tamis_platform_names names;
    tamis_user_state state;
    tamis_contact contact;
    tamis_result result;
    tamis_features features;
} pass_worker;

typedef struct chunk_visit {
    pass_worker *w;
    chunk_counts *out;
    tamis_error *err;
} chunk_visit;

/* The id of a best channel's platform, or "none". */
static unsigned channel_id(const tamis_platform_names *names, const char *channel)
{
    if (!channel[0])
        return TAMIS_OVERVIEW_CHANNELS - 1;
    for (unsigned i = 0; i < 256; i++)
        if (names->name[i] && strcmp(names->name[i], channel) == 0)
            return i;
    return TAMIS_OVERVIEW_CHANNELS - 1; /* a platform renamed since: counted as none */
}

/* Activity events of the user's last TAMIS_OVERVIEW_WEEK_DAYS local days (up to its
 * score's window end) by local hour of the week, at the zone offset its score used. */
static int count_week(pass_worker *w, uint32_t uid, chunk_counts *out, tamis_error *err)
{
    const tamis_features *f = &w->features;
    const void *data;
    size_t len;
    uint32_t end_hour = (uint32_t)(f->window_end_ms / HOUR_MS);
    uint32_t span = (TAMIS_OVERVIEW_WEEK_DAYS + 1) * 24; /* a day more: zones run up to 14 h ahead */
    uint32_t first_hour = end_hour > span ? end_hour - span : 0;
    bool seen = false;
    int rc = tamis_activity_cursor_bytes(w->activity, uid, &data, &len, err);

    if (rc == TAMIS_ENOTFOUND)
        return TAMIS_OK;
    if (rc || (rc = tamis_user_state_decode_judge(&w->state, data, len, err)) != 0)
        return rc;
    for (size_t i = 0; i < w->state.n_hours; i++) {
        const tamis_hour_count *h = &w->state.hours[i];
        uint32_t hour = tamis_hc_hour(h);
        uint8_t kind = tamis_hc_kind(h);
        int64_t day;
        unsigned cell;
        if (hour < first_hour || hour >= end_hour || kind >= TAMIS_KIND__COUNT || !tamis_kind_table[kind].activity)
            continue;
        cell = tamis_overview_week_hour(hour, f->tz_offset_minutes, &day);
        if (day > f->day || day <= f->day - TAMIS_OVERVIEW_WEEK_DAYS)
            continue;
        out->week_events[cell] += h->count;
        seen = true;
    }
    out->week_users_seen += seen;
    return TAMIS_OK;
}

static int visit_user(void *vctx, uint32_t uid, const void *data, size_t len)
{
    chunk_visit *v = vctx;
    pass_worker *w = v->w;
    chunk_counts *out = v->out;
    const tamis_result *r = &w->result;
    const void *cdata;
    size_t clen, cell;
    int rc;

    if ((rc = tamis_record_decode(data, len, &w->result, &w->features, v->err)) != 0) {
        tamis_error_prefix(v->err, "score of uid %u", uid);
        return rc;
    }
    tamis_contact_free(&w->contact);
    if ((rc = tamis_user_record_get(w->txn, uid, &cdata, &clen, v->err)) != 0 ||
        (rc = tamis_contact_decode(&w->contact, cdata, clen, v->err)) != 0)
        return rc;
    if (r->tier >= TAMIS_TIER__COUNT || r->trend >= TAMIS_TREND__COUNT)
        return tamis_error_set(v->err, TAMIS_ECORRUPT, "score of uid %u: tier %u or trend %u out of range", uid,
                               r->tier, r->trend);
    out->scored++;
    if (!out->as_of_min_ms || w->features.as_of_ms < out->as_of_min_ms)
        out->as_of_min_ms = w->features.as_of_ms;
    if (w->features.as_of_ms > out->as_of_max_ms)
        out->as_of_max_ms = w->features.as_of_ms;
    out->tiers[r->tier]++;
    out->trends[r->trend]++;
    out->score_hist[tamis_overview_bin(r->score)]++;
    for (int s = 0; s < TAMIS_SUB__COUNT; s++)
        out->sub_hist[s][r->sub[s] == TAMIS_SUB_NULL ? TAMIS_OVERVIEW_BINS : tamis_overview_bin(r->sub[s])]++;
    cell = tamis_overview_cell(w->contact.country, channel_id(&w->names, r->best_channel));
    out->cells = tamis_grow(out->cells, sizeof *out->cells, &out->cap_cells, out->n_cells + 1);
    out->cells[out->n_cells++] = (uint32_t)cell | (tamis_overview_tier_active(r->tier) ? CELL_ACTIVE : 0);
    return count_week(w, uid, out, v->err);
}

/* ---- the worker run -------------------------------------------------------------- */

static int pass_open(void *ctx, void **out, tamis_error *err)
{
    pass_job *job = ctx;
    pass_worker *w = tamis_calloc(1, sizeof *w);
    int rc;
    *out = w;
    tamis_user_state_init(&w->state);
    tamis_contact_init(&w->contact);
    tamis_score_platform_names(job->store, &w->names);
    if ((rc = tamis_txn_begin(job->store, false, &w->txn, err)) != 0)
        return rc;
    if (tamis_txn_snapshot(w->txn) != job->snapshot)
        return tamis_error_set(err, TAMIS_EBUSY, "the store changed while it was being read; try again");
    return tamis_activity_cursor_open(w->txn, &w->activity, err);
}

static void pass_close(void *ctx, void *vw)
{
    pass_worker *w = vw;
    (void)ctx;
    if (w->activity)
        tamis_activity_cursor_close(w->activity);
    if (w->txn)
        tamis_txn_abort(w->txn);
    tamis_user_state_free(&w->state);
    tamis_contact_free(&w->contact);
    tamis_free(w);
}

static int pass_produce(void *ctx, void *vw, size_t chunk, void *vslot, tamis_error *err)
{
    pass_job *job = ctx;
    chunk_counts *slot = vslot;
    uint32_t *cells = slot->cells;
    size_t cap = slot->cap_cells;
    uint32_t lo = (uint32_t)(chunk * OVERVIEW_CHUNK_UIDS);
    uint32_t hi = chunk + 1 == job->n_chunks ? UINT32_MAX : lo + OVERVIEW_CHUNK_UIDS;
    chunk_visit v = {vw, slot, err};

    memset(slot, 0, sizeof *slot); /* a slot serves several chunks: keep its cell array */
    slot->cells = cells;
    slot->cap_cells = cap;
    return tamis_records_foreach_range(((pass_worker *)vw)->txn, TAMIS_RECORDS_SCORES, lo, hi, visit_user, &v, err);
}

static int pass_consume(void *ctx, size_t chunk, void *vslot, tamis_error *err)
{
    tamis_overview *ov = ((pass_job *)ctx)->ov;
    const chunk_counts *c = vslot;
    (void)chunk;
    (void)err;
    if (c->scored && (!ov->as_of_min_ms || c->as_of_min_ms < ov->as_of_min_ms))
        ov->as_of_min_ms = c->as_of_min_ms;
    if (c->as_of_max_ms > ov->as_of_max_ms)
        ov->as_of_max_ms = c->as_of_max_ms;
    ov->scored += c->scored;
    for (int t = 0; t < TAMIS_TIER__COUNT; t++)
        ov->tiers[t] += c->tiers[t];
    for (int t = 0; t < TAMIS_TREND__COUNT; t++)
        ov->trends[t] += c->trends[t];
    for (size_t b = 0; b < TAMIS_OVERVIEW_BINS; b++)
        ov->score_hist[b] += c->score_hist[b];
    for (int s = 0; s < TAMIS_SUB__COUNT; s++)
        for (size_t b = 0; b <= TAMIS_OVERVIEW_BINS; b++)
            ov->sub_hist[s][b] += c->sub_hist[s][b];
    for (size_t h = 0; h < TAMIS_OVERVIEW_WEEK_HOURS; h++)
        ov->week_events[h] += c->week_events[h];
    ov->week_users_seen += c->week_users_seen;
    for (size_t i = 0; i < c->n_cells; i++) {
        uint32_t cell = c->cells[i] & ~CELL_ACTIVE;
        ov->cell_users[cell]++;
        ov->cell_active[cell] += (c->cells[i] & CELL_ACTIVE) != 0;
    }
    return TAMIS_OK;
}

static void pass_slot_free(void *ctx, void *vslot)
{
    (void)ctx;
    tamis_free(((chunk_counts *)vslot)->cells);
}

/* ---- the whole overview ---------------------------------------------------------- */

/* The newest TAMIS_OVERVIEW_HISTORY_MAX snapshots' headers. */
static int read_history(tamis_txn *t, tamis_overview *ov, tamis_error *err)
{
    uint32_t *days = NULL;
    size_t n = 0, first;
    int rc = tamis_snapshot_days(t, &days, &n, err);
    if (rc)
        return rc;
    first = n > TAMIS_OVERVIEW_HISTORY_MAX ? n - TAMIS_OVERVIEW_HISTORY_MAX : 0;
    ov->history = n ? tamis_calloc(n - first, sizeof *ov->history) : NULL;
    for (size_t i = first; i < n && rc == 0; i++)
        if ((rc = tamis_snapshot_info_get(t, days[i], &ov->history[ov->n_history], err)) == 0)
            ov->n_history++;
    tamis_free(days);
    return rc;
}

/* Resets ov for a new attempt, keeping its cell tables. */
static void reset(tamis_overview *ov)
{
    uint64_t *users = ov->cell_users, *active = ov->cell_active;
    tamis_free(ov->history);
    memset(ov, 0, sizeof *ov);
    ov->cell_users = users;
    ov->cell_active = active;
    memset(users, 0, sizeof *users * TAMIS_OVERVIEW_COUNTRIES * TAMIS_OVERVIEW_CHANNELS);
    memset(active, 0, sizeof *active * TAMIS_OVERVIEW_COUNTRIES * TAMIS_OVERVIEW_CHANNELS);
}

static int attempt(tamis_store *store, unsigned threads, tamis_overview *ov, tamis_error *err)
{
    static const tamis_ordered_ops ops = {sizeof(chunk_counts), pass_open,    pass_close,
                                          pass_produce,         pass_consume, pass_slot_free};
    pass_job job = {store, ov, 0, 0};
    tamis_store_counts counts = {0};
    uint32_t uid_end = 0;
    tamis_txn *t;
    int rc;

    reset(ov);
    tamis_score_platform_names(store, &ov->names);
    if ((rc = tamis_txn_begin(store, false, &t, err)) != 0)
        return rc;
    job.snapshot = ov->snapshot = tamis_txn_snapshot(t);
    if ((rc = tamis_store_counts_get(t, &counts, err)) == 0 && (rc = tamis_user_uid_end(t, &uid_end, err)) == 0)
        rc = read_history(t, ov, err);
    ov->users = counts.users;
    tamis_txn_abort(t);
    if (rc)
        return rc;
    job.n_chunks = uid_end / OVERVIEW_CHUNK_UIDS + 1;
    return tamis_ordered_run(&ops, &job, job.n_chunks, threads, err);
}

int tamis_overview_compute(tamis_store *store, unsigned threads, tamis_overview *out, tamis_error *err)
{
    int rc = TAMIS_EBUSY;
    memset(out, 0, sizeof *out);
    out->cell_users = tamis_calloc((size_t)TAMIS_OVERVIEW_COUNTRIES * TAMIS_OVERVIEW_CHANNELS, sizeof *out->cell_users);
    out->cell_active =
        tamis_calloc((size_t)TAMIS_OVERVIEW_COUNTRIES * TAMIS_OVERVIEW_CHANNELS, sizeof *out->cell_active);
    for (int i = 0; i < TAMIS_OVERVIEW_ATTEMPTS && rc == TAMIS_EBUSY; i++)
        rc = attempt(store, threads, out, err);
    return rc;
}

void tamis_overview_free(tamis_overview *ov)
{
    tamis_free(ov->cell_users);
    tamis_free(ov->cell_active);
    tamis_free(ov->history);
    memset(ov, 0, sizeof *ov);
}
