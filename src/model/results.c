/* results.c — stored score records with their user's contact (see results.h), read
 * in one transaction, or rendered by worker threads in uid ranges (util/ordered.c). */
#include "model/results.h"

#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/record.h"
#include "tamis/score_run.h"
#include "util/ordered.h"

#define RENDER_CHUNK_UIDS 8192u

void tamis_results_reader_init(tamis_results_reader *rd, tamis_store *store, tamis_txn *txn,
                               const tamis_model_config *cfg)
{
    memset(rd, 0, sizeof *rd);
    rd->store = store;
    rd->txn = txn;
    rd->zones = tamis_zone_cache_new(0, 1, cfg); /* names only: a one-hour table */
    tamis_score_platform_names(store, &rd->names);
    tamis_contact_init(&rd->contact);
}

void tamis_results_reader_bind(tamis_results_reader *rd, tamis_txn *txn)
{
    rd->txn = txn;
    tamis_score_platform_names(rd->store, &rd->names);
}

void tamis_results_reader_free(tamis_results_reader *rd)
{
    if (rd->worker_data_free)
        rd->worker_data_free(rd->worker_data);
    rd->worker_data = NULL;
    rd->worker_data_free = NULL;
    tamis_zone_cache_free(rd->zones);
    tamis_contact_free(&rd->contact);
}

static int fill(tamis_results_reader *rd, uint32_t uid, const void *data, size_t len, tamis_error *err)
{
    const void *cdata;
    size_t clen;
    tamis_zone_source source;
    int rc;

    rd->uid = uid;
    if ((rc = tamis_record_decode(data, len, &rd->result, &rd->features, err)) != 0) {
        tamis_error_prefix(err, "score of uid %u", uid);
        return rc;
    }
    tamis_contact_free(&rd->contact);
    if ((rc = tamis_user_record_get(rd->txn, uid, &cdata, &clen, err)) != 0 ||
        (rc = tamis_contact_decode(&rd->contact, cdata, clen, err)) != 0)
        return rc;
    rd->row.user = rd->contact.key;
    rd->row.zone = tamis_zone_cache_for_contact(rd->zones, &rd->contact, &source)->name;
    rd->row.result = &rd->result;
    rd->row.features = &rd->features;
    rd->row.names = &rd->names;
    return 0;
}

typedef struct visit_ctx {
    tamis_results_reader *rd;
    tamis_result_visit_fn fn;
    void *ctx;
    tamis_error *err;
} visit_ctx;

static int visit(void *vctx, uint32_t uid, const void *data, size_t len)
{
    visit_ctx *v = vctx;
    int rc = fill(v->rd, uid, data, len, v->err);
    return rc ? rc : v->fn(v->ctx, v->rd);
}

int tamis_results_foreach(tamis_results_reader *rd, tamis_result_visit_fn fn, void *ctx, tamis_error *err)
{
    visit_ctx v = {rd, fn, ctx, err};
    return tamis_score_records_foreach(rd->txn, visit, &v, err);
}

int tamis_results_foreach_range(tamis_results_reader *rd, uint32_t lo, uint32_t hi, tamis_result_visit_fn fn,
                                void *ctx, tamis_error *err)
{
    visit_ctx v = {rd, fn, ctx, err};
    return tamis_records_foreach_range(rd->txn, TAMIS_RECORDS_SCORES, lo, hi, visit, &v, err);
}

int tamis_results_get(tamis_results_reader *rd, uint32_t uid, tamis_error *err)
{
    const void *data;
    size_t len;
    int rc = tamis_score_record_get(rd->txn, uid, &data, &len, err);
    return rc ? rc : fill(rd, uid, data, len, err);
}

void tamis_results_user_key(tamis_txn *txn, uint32_t uid, char *out, size_t cap)
{
    const void *data;
    size_t len;
    tamis_contact c;
    tamis_error err;
    out[0] = '\0';
    if (tamis_user_record_get(txn, uid, &data, &len, &err) != 0 || tamis_contact_decode(&c, data, len, &err) != 0)
        return;
    snprintf(out, cap, "%s", c.key);
    tamis_contact_free(&c);
}

/* ---- rendering in worker threads ------------------------------------------------ */

typedef struct render_job {
    tamis_store *store;
    const tamis_model_config *cfg;
    tamis_result_render_fn fn;
    const void *ctx;
    FILE *out;
    size_t n_chunks;
    uint64_t snapshot; /* every worker must read this one */
    uint64_t rows;
} render_job;

typedef struct render_worker {
    tamis_txn *txn;
    tamis_results_reader rd;
    bool have_rd;
} render_worker;

typedef struct render_slot {
    char *text; /* from open_memstream: freed with free() */
    size_t len;
    uint64_t rows;
} render_slot;

typedef struct render_visit {
    render_job *job;
    render_worker *w;
    FILE *mem;
    uint64_t rows;
    tamis_error *err;
} render_visit;

static int render_open(void *ctx, void **out, tamis_error *err)
{
    render_job *job = ctx;
    render_worker *w = tamis_calloc(1, sizeof *w);
    int rc = tamis_txn_begin(job->store, false, &w->txn, err);
    *out = w;
    if (rc == 0 && tamis_txn_snapshot(w->txn) != job->snapshot)
        rc = tamis_error_set(err, TAMIS_EBUSY, "the store changed while it was being read; try again");
    if (rc == 0) {
        tamis_results_reader_init(&w->rd, job->store, w->txn, job->cfg);
        w->have_rd = true;
    }
    return rc;
}

static void render_close(void *ctx, void *vw)
{
    render_worker *w = vw;
    (void)ctx;
    if (w->have_rd)
        tamis_results_reader_free(&w->rd);
    if (w->txn)
        tamis_txn_abort(w->txn);
    tamis_free(w);
}

static int render_one(void *vctx, uint32_t uid, const void *data, size_t len)
{
    render_visit *v = vctx;
    int rc = fill(&v->w->rd, uid, data, len, v->err);
    return rc ? rc : v->job->fn(v->job->ctx, &v->w->rd, v->mem, &v->rows);
}

static int render_produce(void *ctx, void *vw, size_t chunk, void *vslot, tamis_error *err)
{
    render_job *job = ctx;
    render_slot *slot = vslot;
    render_visit v = {job, vw, NULL, 0, err};
    uint32_t lo = (uint32_t)(chunk * RENDER_CHUNK_UIDS);
    uint32_t hi = chunk + 1 == job->n_chunks ? UINT32_MAX : lo + RENDER_CHUNK_UIDS;
    int rc;

    free(slot->text); /* the previous chunk's, already written */
    slot->text = NULL;
    slot->len = 0;
    if (!(v.mem = open_memstream(&slot->text, &slot->len)))
        return tamis_error_set(err, TAMIS_EIO, "cannot allocate an output buffer");
    rc = tamis_records_foreach_range(((render_worker *)vw)->txn, TAMIS_RECORDS_SCORES, lo, hi, render_one, &v, err);
    if (fclose(v.mem) != 0 && rc == 0)
        rc = tamis_error_set(err, TAMIS_EIO, "cannot fill an output buffer");
    if (rc == TAMIS_EIO && !err->msg[0])
        tamis_error_set(err, TAMIS_EIO, "write failed");
    slot->rows = v.rows;
    return rc;
}

static int render_consume(void *ctx, size_t chunk, void *vslot, tamis_error *err)
{
    render_job *job = ctx;
    render_slot *slot = vslot;
    (void)chunk;
    if (slot->len && fwrite(slot->text, 1, slot->len, job->out) != slot->len)
        return tamis_error_set(err, TAMIS_EIO, "write failed");
    job->rows += slot->rows;
    return TAMIS_OK;
}

static void render_slot_free(void *ctx, void *vslot)
{
    (void)ctx;
    free(((render_slot *)vslot)->text); /* open_memstream's buffer, from libc */
}

int tamis_results_render(tamis_store *store, const tamis_model_config *cfg, unsigned threads,
                         tamis_result_render_fn fn, const void *ctx, FILE *out, uint64_t *rows, tamis_error *err)
{
    static const tamis_ordered_ops ops = {sizeof(render_slot), render_open,    render_close,
                                          render_produce,      render_consume, render_slot_free};
    render_job job = {store, cfg, fn, ctx, out, 0, 0, 0};
    uint32_t uid_end;
    int rc;

    if ((rc = tamis_store_uid_end(store, &uid_end, &job.snapshot, err)) != 0)
        return rc;
    job.n_chunks = uid_end / RENDER_CHUNK_UIDS + 1;
    rc = tamis_ordered_run(&ops, &job, job.n_chunks, threads, err);
    *rows = job.rows;
    return rc;
}
