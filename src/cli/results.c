/* results.c — stored score records with their user's contact (see results.h). */
#include "cli/results.h"

#include <string.h>

#include "tamis/record.h"
#include "tamis/score_run.h"

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

void tamis_results_reader_free(tamis_results_reader *rd)
{
    tamis_zone_cache_free(rd->zones);
    tamis_contact_free(&rd->contact);
}

static int fill(tamis_results_reader *rd, uint32_t uid, const void *data, size_t len, tamis_error *err)
{
    const void *cdata;
    size_t clen;
    tamis_zone_source source;
    int rc;

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

int tamis_results_get(tamis_results_reader *rd, uint32_t uid, tamis_error *err)
{
    const void *data;
    size_t len;
    int rc = tamis_score_record_get(rd->txn, uid, &data, &len, err);
    return rc ? rc : fill(rd, uid, data, len, err);
}
