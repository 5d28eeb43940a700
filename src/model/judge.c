/* judge.c — every user judged as of T, nothing stored (see include/tamis/judge.h). A
 * read transaction gives the uid range; the score run's workers do the rest. */
#include "tamis/judge.h"

#include <string.h>

#include "model/score_pool.h"

typedef struct judge_run {
    tamis_judged_fn fn;
    void *ctx;
} judge_run;

static int hand_over(void *vctx, const score_chunk *chunk, tamis_error *err)
{
    judge_run *x = vctx;
    uint32_t start = 0;
    for (size_t i = 0; i < chunk->n; i++) {
        const score_chunk_user *u = &chunk->users[i];
        tamis_judged j = {u->uid,
                          u->tier,
                          u->trend,
                          u->score,
                          u->measure,
                          u->days_since_seen,
                          u->days_since_purchase,
                          u->n_usable_platforms,
                          u->end > start ? chunk->bytes + start : NULL,
                          u->end - start};
        int rc = x->fn(x->ctx, &j, err);
        if (rc)
            return rc;
        start = u->end;
    }
    return TAMIS_OK;
}

int tamis_judge_all(tamis_store *store, const tamis_model_config *cfg, const tamis_judge_options *opts,
                    tamis_judged_fn fn, void *ctx, tamis_error *err)
{
    score_shared sh;
    tamis_platform_names names;
    tamis_device_facts *devices;
    judge_run x = {fn, ctx};
    uint32_t uid_end;
    int rc;

    if ((rc = tamis_store_uid_end(store, &uid_end, NULL, err)) != 0)
        return rc;
    score_shared_init(&sh, &names, store, cfg, opts->as_of_ms, opts->threads);
    sh.skip_unborn = opts->skip_unborn;
    sh.no_records = opts->no_records;
    sh.measure = opts->measure;
    sh.measure_ctx = opts->measure_ctx;
    devices = tamis_device_facts_new();
    if ((rc = score_devices_collect(&sh, uid_end, devices, err)) == 0) {
        sh.devices = devices;
        rc = score_pool_run(&sh, uid_end, NULL, 0, hand_over, &x, opts->progress, err);
    }
    tamis_device_facts_free(devices);
    return rc;
}
