/* segment_store.c — saved segments (include/tamis/segment.h): definitions and
 * memberships in the store's `segments` database (store_segments.c keeps the bytes),
 * evaluation of an expression over every stored result.
 *
 * A definition record is: u8 version (1), varint length + definition text, then
 * svarints created, evaluated and as-of (ms) and varints size and previous size.
 * Memberships are CRoaring portable bitmaps over uids under 'm' (now) and 'p' (the
 * evaluation before). Names are [a-z0-9_-], 1 to 63 bytes. */
#include "tamis/segment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "columns_int.h"
#include "model/results.h"
#include "tamis/alloc.h"
#include "tamis/event.h"
#include "tamis/expr.h"
#include "tamis/rfm.h"
#include "tamis/score_run.h"
#include "tamis/snapshot_store.h"
#include "util/bytes.h"
#include "util/workpool.h"

#define RECORD_VERSION 1
#define EVAL_MAX_THREADS 8 /* workers of one evaluation (one per CPU, at most this) */

void tamis_segment_info_free(tamis_segment_info *info)
{
    if (info) {
        tamis_free(info->definition);
        info->definition = NULL;
    }
}

static int64_t wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= TAMIS_SEGMENT_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void encode_info(const tamis_segment_info *in, tamis_wbuf *w)
{
    w->len = 0;
    tamis_put_u8(w, RECORD_VERSION);
    tamis_put_str(w, in->definition, strlen(in->definition));
    tamis_put_svarint(w, in->created_ms);
    tamis_put_svarint(w, in->evaluated_ms);
    tamis_put_svarint(w, in->as_of_ms);
    tamis_put_varint(w, in->size);
    tamis_put_varint(w, in->previous_size);
}

static int decode_info(const char *name, size_t name_len, const void *data, size_t len, tamis_segment_info *out,
                       tamis_error *err)
{
    tamis_rbuf r = tamis_rbuf_make(data, len);
    const char *text;
    size_t n;
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%.*s", (int)name_len, name);
    if (tamis_get_u8(&r) != RECORD_VERSION)
        return tamis_error_set(err, TAMIS_ECORRUPT, "segment '%s': unknown record version", out->name);
    text = tamis_get_str(&r, &n, TAMIS_EXPR_MAX_BYTES);
    if (!r.ok)
        return tamis_error_set(err, TAMIS_ECORRUPT, "segment '%s' record is corrupt", out->name);
    out->definition = tamis_strndup(text, n);
    out->created_ms = tamis_get_svarint(&r);
    out->evaluated_ms = tamis_get_svarint(&r);
    out->as_of_ms = tamis_get_svarint(&r);
    out->size = tamis_get_varint(&r);
    out->previous_size = tamis_get_varint(&r);
    if (!r.ok) {
        tamis_segment_info_free(out);
        return tamis_error_set(err, TAMIS_ECORRUPT, "segment '%s' record is corrupt", out->name);
    }
    return TAMIS_OK;
}

/* segment("name") during compiling: the definition as stored in the transaction. */
static int definition_of(void *ctx, const char *name, char **text, tamis_error *err)
{
    tamis_txn *t = ctx;
    const void *data;
    size_t len;
    tamis_segment_info info;
    int rc = tamis_segment_record_get(t, 'd', name, &data, &len, err);
    if (rc)
        return rc;
    if ((rc = decode_info(name, strlen(name), data, len, &info, err)) != 0)
        return rc;
    *text = info.definition;
    return TAMIS_OK;
}

typedef struct eval_ctx {
    const tamis_expr *expr;
    roaring_bitmap_t *members;
    int64_t as_of_ms;
    const tamis_rfm_table *rfm; /* NULL unless the expression reads RFM */
} eval_ctx;

/* Whether the user rd holds is a member. */
static bool member(const eval_ctx *x, tamis_results_reader *rd)
{
    tamis_expr_input in = {.row = &rd->row, .contact = &rd->contact, .as_of_ms = x->as_of_ms,
                           .rfm = x->rfm ? tamis_rfm_find(x->rfm, rd->uid) : NULL};
    return tamis_expr_match(x->expr, &in);
}

static int visit(void *vctx, tamis_results_reader *rd)
{
    eval_ctx *x = vctx;
    if (member(x, rd))
        roaring_bitmap_add(x->members, rd->uid);
    return 0;
}

/* One user, in a worker thread (tamis_results_render): a member's uid is written to
 * out as 4 bytes, so the workers' outputs, joined in uid order, list the members. */
static int match_one(const void *vctx, tamis_results_reader *rd, FILE *out, uint64_t *rows)
{
    if (member(vctx, rd)) {
        fwrite(&rd->uid, sizeof rd->uid, 1, out);
        (*rows)++;
    }
    return 0;
}

/* The column copy to evaluate e over, if there is a current one holding what e reads:
 * *use (the caller closes it), else NULL and *why (may be NULL) says why not. */
static int columns_plan(tamis_store *store, tamis_txn *t, const tamis_expr *e, int64_t as_of_ms,
                        tamis_segment_columns **use, const char **why, tamis_error *err)
{
    const char *reason = NULL;
    int rc = TAMIS_OK;
    *use = NULL;
    if (tamis_expr_uses_rfm(e))
        reason = "RFM is computed at evaluation";
    else if ((rc = tamis_segment_columns_open(store, t, use, &reason, err)) == 0 && *use) {
        if ((*use)->as_of_ms != as_of_ms)
            reason = "the column copy is of another scoring time";
        else if (!cols_supports(*use, e))
            reason = "the expression reads what the column copy does not hold: attr, consent or user";
        if (reason) {
            tamis_segment_columns_close(*use);
            *use = NULL;
        }
    }
    if (why)
        *why = reason;
    return rc;
}

/* Compiles definition against t's segments and evaluates it over t's results. */
static int evaluate_in(tamis_store *store, tamis_txn *t, const tamis_model_config *cfg, const char *definition,
                       roaring_bitmap_t **out, int64_t *as_of_ms, tamis_error *err)
{
    tamis_expr_env env = {.segment_definition = definition_of, .ctx = t};
    tamis_rfm_table rfm;
    eval_ctx x = {0};
    tamis_expr *e;
    tamis_segment_columns *cols = NULL;
    int rc;
    if (!tamis_score_as_of(t, &x.as_of_ms))
        return tamis_error_set(err, TAMIS_ENOTFOUND, "nothing is scored yet: run tamis score first");
    if ((rc = tamis_expr_compile(definition, strlen(definition), &env, &e, err)) != 0)
        return rc;
    x.expr = e;
    tamis_rfm_table_init(&rfm);
    if (tamis_expr_uses_rfm(e)) {
        /* as of the results' scoring time, over the default window */
        if ((rc = tamis_rfm_compute(store, x.as_of_ms, TAMIS_RFM_DEFAULT_WINDOW_DAYS, 0, NULL, &rfm, err)) != 0) {
            tamis_expr_free(e);
            tamis_rfm_table_free(&rfm);
            return rc;
        }
        x.rfm = &rfm;
    }
    x.members = roaring_bitmap_create();
    if ((rc = columns_plan(store, t, e, x.as_of_ms, &cols, NULL, err)) == 0 && cols) {
        rc = cols_evaluate(cols, e, tamis_cpu_count(EVAL_MAX_THREADS), x.members, err);
        tamis_segment_columns_close(cols);
    } else if (rc == 0) {
        char *buf = NULL;
        size_t len = 0;
        uint64_t n = 0;
        FILE *uids = open_memstream(&buf, &len);
        if (!uids)
            rc = tamis_error_set(err, TAMIS_EINTERNAL, "out of memory");
        else {
            rc = tamis_results_render(store, cfg, tamis_cpu_count(EVAL_MAX_THREADS), match_one, &x, uids, &n, err);
            if (fclose(uids) != 0 && rc == 0)
                rc = tamis_error_set(err, TAMIS_EINTERNAL, "out of memory");
        }
        if (rc == 0 && n)
            roaring_bitmap_add_many(x.members, (size_t)n, (const uint32_t *)(const void *)buf);
        free(buf); /* open_memstream's buffer, from libc */
    }
    if (rc == TAMIS_EBUSY) {
        /* A writer committed meanwhile (tamis serve ingesting): the workers cannot all
         * read one snapshot, so read t's, on this thread. */
        tamis_results_reader rd;
        memset(err, 0, sizeof *err);
        roaring_bitmap_clear(x.members);
        tamis_results_reader_init(&rd, store, t, cfg);
        rc = tamis_results_foreach(&rd, visit, &x, err);
        tamis_results_reader_free(&rd);
    }
    tamis_rfm_table_free(&rfm);
    tamis_expr_free(e);
    if (rc) {
        roaring_bitmap_free(x.members);
        return rc;
    }
    roaring_bitmap_run_optimize(x.members);
    *out = x.members;
    if (as_of_ms)
        *as_of_ms = x.as_of_ms;
    return TAMIS_OK;
}

int tamis_segment_evaluate(tamis_store *store, const tamis_model_config *cfg, const char *definition,
                           roaring_bitmap_t **out, int64_t *as_of_ms, tamis_error *err)
{
    tamis_txn *t;
    int rc = tamis_txn_begin(store, false, &t, err);
    if (rc)
        return rc;
    rc = evaluate_in(store, t, cfg, definition, out, as_of_ms, err);
    tamis_txn_abort(t);
    return rc;
}

static int put_bitmap(tamis_txn *t, char kind, const char *name, const roaring_bitmap_t *b, tamis_error *err)
{
    size_t n = roaring_bitmap_portable_size_in_bytes(b);
    char *buf = tamis_malloc(n);
    int rc;
    roaring_bitmap_portable_serialize(b, buf);
    rc = tamis_segment_record_put(t, kind, name, buf, n, err);
    tamis_free(buf);
    return rc;
}

static int get_bitmap(tamis_txn *t, char kind, const char *name, roaring_bitmap_t **out, tamis_error *err)
{
    const void *data;
    size_t len;
    int rc = tamis_segment_record_get(t, kind, name, &data, &len, err);
    if (rc == TAMIS_ENOTFOUND) {
        *out = roaring_bitmap_create();
        return TAMIS_OK;
    }
    if (rc)
        return rc;
    if (!(*out = roaring_bitmap_portable_deserialize_safe(data, len)))
        return tamis_error_set(err, TAMIS_ECORRUPT, "segment '%s': membership is corrupt", name);
    return TAMIS_OK;
}

/* Evaluates info's definition in t and stores it (the old membership becomes the
 * previous one unless first). */
static int evaluate_and_store(tamis_store *store, tamis_txn *t, const tamis_model_config *cfg,
                              tamis_segment_info *info, bool first, tamis_error *err)
{
    roaring_bitmap_t *now = NULL, *before = NULL;
    tamis_wbuf w = {0};
    int rc = evaluate_in(store, t, cfg, info->definition, &now, &info->as_of_ms, err);
    if (rc)
        return rc;
    if (!first && (rc = get_bitmap(t, 'm', info->name, &before, err)) != 0) {
        roaring_bitmap_free(now);
        return rc;
    }
    info->previous_size = first ? 0 : roaring_bitmap_get_cardinality(before);
    info->size = roaring_bitmap_get_cardinality(now);
    info->evaluated_ms = wall_ms();
    encode_info(info, &w);
    if (first)
        before = roaring_bitmap_create(); /* at creation everyone entered: a first CRM sync sends them all */
    if ((rc = tamis_segment_record_put(t, 'd', info->name, w.buf, w.len, err)) == 0 &&
        (rc = put_bitmap(t, 'm', info->name, now, err)) == 0)
        rc = put_bitmap(t, 'p', info->name, before, err);
    tamis_free(w.buf);
    roaring_bitmap_free(now);
    if (before)
        roaring_bitmap_free(before);
    return rc;
}

int tamis_segment_create(tamis_store *store, const tamis_model_config *cfg, const char *name, const char *definition,
                         tamis_segment_info *out, tamis_error *err)
{
    tamis_segment_info info;
    const void *data;
    size_t len;
    tamis_txn *t;
    tamis_error ignored;
    int rc;
    if (!name_ok(name))
        return tamis_error_set(err, TAMIS_EUSAGE, "segment names are 1 to %d of a-z, 0-9, _ and -: not '%s'",
                               TAMIS_SEGMENT_NAME_MAX - 1, name);
    if ((rc = tamis_txn_begin(store, true, &t, err)) != 0)
        return rc;
    if (tamis_segment_record_get(t, 'd', name, &data, &len, &ignored) == TAMIS_OK) {
        tamis_txn_abort(t);
        return tamis_error_set(err, TAMIS_EUSAGE, "a segment named '%s' exists (drop it first)", name);
    }
    memset(&info, 0, sizeof info);
    snprintf(info.name, sizeof info.name, "%s", name);
    info.definition = tamis_strdup(definition);
    info.created_ms = wall_ms();
    rc = evaluate_and_store(store, t, cfg, &info, true, err);
    if (rc == TAMIS_OK)
        rc = tamis_txn_commit(t, err);
    else
        tamis_txn_abort(t);
    if (rc == TAMIS_OK && out)
        *out = info;
    else
        tamis_segment_info_free(&info);
    return rc;
}

static int collect(void *ctx, const char *name, size_t name_len, const void *data, size_t len)
{
    void **state = ctx; /* [0]: tamis_segment_info **, [1]: size_t *, [2]: size_t *cap, [3]: tamis_error * */
    tamis_segment_info **infos = state[0];
    size_t *n = state[1], *cap = state[2];
    *infos = tamis_grow(*infos, sizeof **infos, cap, *n + 1);
    if (decode_info(name, name_len, data, len, &(*infos)[*n], state[3]) != TAMIS_OK)
        return TAMIS_ECORRUPT;
    (*n)++;
    return 0;
}

static int list_in(tamis_txn *t, tamis_segment_info **infos, size_t *n, tamis_error *err)
{
    size_t cap = 0;
    void *state[4] = {infos, n, &cap, err};
    *infos = NULL;
    *n = 0;
    return tamis_segment_records_foreach(t, 'd', collect, state, err);
}

static void free_list(tamis_segment_info *infos, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tamis_segment_info_free(&infos[i]);
    tamis_free(infos);
}

int tamis_segment_list(tamis_store *store, tamis_segment_info **infos, size_t *n, tamis_error *err)
{
    tamis_txn *t;
    int rc = tamis_txn_begin(store, false, &t, err);
    if (rc)
        return rc;
    if ((rc = list_in(t, infos, n, err)) != 0) {
        free_list(*infos, *n);
        *infos = NULL;
        *n = 0;
    }
    tamis_txn_abort(t);
    return rc;
}

int tamis_segment_refresh(tamis_store *store, const tamis_model_config *cfg, const char *name, size_t *n_done,
                          tamis_error *err)
{
    tamis_segment_info *infos = NULL;
    size_t n = 0, done = 0;
    tamis_txn *t;
    int rc = tamis_txn_begin(store, true, &t, err);
    if (rc)
        return rc;
    rc = list_in(t, &infos, &n, err);
    /* Two segments or more to evaluate: first bring the column copy up to date (a build
     * costs about two evaluations user by user; then each segment is a scan). Inside
     * the write transaction no writer commits, so its readers all see one state. A
     * copy that cannot be built (a full disk, say) only means the segments are read
     * row by row; `tamis score` reports it. */
    if (rc == 0 && !name && n >= 2 &&
        tamis_segment_columns_refresh(store, cfg, tamis_cpu_count(EVAL_MAX_THREADS), err) != TAMIS_OK)
        memset(err, 0, sizeof *err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (name && strcmp(infos[i].name, name) != 0)
            continue;
        if ((rc = evaluate_and_store(store, t, cfg, &infos[i], false, err)) != 0)
            tamis_error_prefix(err, "segment '%s'", infos[i].name);
        done++;
    }
    if (rc == 0 && name && done == 0)
        rc = tamis_error_set(err, TAMIS_ENOTFOUND, "no segment named '%s'", name);
    free_list(infos, n);
    if (rc == 0)
        rc = tamis_txn_commit(t, err);
    else
        tamis_txn_abort(t);
    if (n_done)
        *n_done = rc == 0 ? done : 0;
    return rc;
}

int tamis_segment_get(tamis_store *store, const char *name, tamis_segment_info *info, roaring_bitmap_t **members,
                      roaring_bitmap_t **previous, tamis_error *err)
{
    const void *data;
    size_t len;
    tamis_txn *t;
    tamis_segment_info local;
    int rc = tamis_txn_begin(store, false, &t, err);
    if (rc)
        return rc;
    if ((rc = tamis_segment_record_get(t, 'd', name, &data, &len, err)) == 0 &&
        (rc = decode_info(name, strlen(name), data, len, &local, err)) == 0) {
        if (members && (rc = get_bitmap(t, 'm', name, members, err)) != 0)
            *members = NULL;
        if (rc == 0 && previous && (rc = get_bitmap(t, 'p', name, previous, err)) != 0) {
            if (members) {
                roaring_bitmap_free(*members);
                *members = NULL;
            }
        }
        if (rc == 0 && info)
            *info = local;
        else
            tamis_segment_info_free(&local);
    }
    tamis_txn_abort(t);
    return rc;
}

int tamis_segment_drop(tamis_store *store, const tamis_model_config *cfg, const char *name, tamis_error *err)
{
    tamis_segment_info *infos = NULL;
    size_t n = 0;
    const void *data;
    size_t len;
    tamis_txn *t;
    int rc = tamis_txn_begin(store, true, &t, err);
    (void)cfg;
    if (rc)
        return rc;
    if ((rc = tamis_segment_record_get(t, 'd', name, &data, &len, err)) == 0)
        rc = list_in(t, &infos, &n, err);
    if (rc == 0 && (rc = tamis_segment_record_del(t, 'd', name, err)) == 0) {
        /* Refuse when another segment still compiles only with this one. */
        tamis_expr_env env = {.segment_definition = definition_of, .ctx = t};
        for (size_t i = 0; i < n && rc == 0; i++) {
            tamis_expr *e;
            tamis_error cerr;
            if (strcmp(infos[i].name, name) == 0)
                continue;
            if (tamis_expr_compile(infos[i].definition, strlen(infos[i].definition), &env, &e, &cerr) != TAMIS_OK)
                rc = tamis_error_set(err, TAMIS_EUSAGE, "segment '%s' refers to '%s': drop or change it first",
                                     infos[i].name, name);
            else
                tamis_expr_free(e);
        }
    }
    if (rc == 0 && (rc = tamis_segment_record_del(t, 'm', name, err)) == 0)
        rc = tamis_segment_record_del(t, 'p', name, err);
    free_list(infos, n);
    if (rc == 0)
        rc = tamis_txn_commit(t, err);
    else
        tamis_txn_abort(t);
    return rc;
}

int tamis_segment_explain(tamis_store *store, const char *definition, FILE *out, tamis_error *err)
{
    tamis_txn *t;
    tamis_expr *e;
    int rc = tamis_txn_begin(store, false, &t, err);
    tamis_expr_env env = {.segment_definition = definition_of, .ctx = t};
    if (rc)
        return rc;
    if ((rc = tamis_expr_compile(definition, strlen(definition), &env, &e, err)) == 0) {
        int64_t as_of_ms;
        tamis_segment_columns *cols;
        const char *why;
        tamis_expr_explain(e, out);
        if (tamis_score_as_of(t, &as_of_ms) && (rc = columns_plan(store, t, e, as_of_ms, &cols, &why, err)) == 0) {
            if (cols)
                fprintf(out, "plan: column copy (results generation %llu)\n", (unsigned long long)cols->generation);
            else
                fprintf(out, "plan: stored results, user by user (%s)\n", why);
            tamis_segment_columns_close(cols);
        }
        tamis_expr_free(e);
    }
    tamis_txn_abort(t);
    return rc;
}

/* The members of a compiled snapshot-only expression in the snapshot of `day`. */
static int members_in_snapshot(tamis_txn *t, const tamis_expr *e, uint32_t day, roaring_bitmap_t **out,
                               tamis_error *err)
{
    tamis_snapshot_info si;
    tamis_snapshot_chunk chunk;
    tamis_platform_names names;
    /* One row for every user: only the fields a snapshot keeps change between users
     * (the compiler refused the others), so the rest is zeroed once. */
    tamis_result r;
    tamis_features f;
    tamis_contact c;
    tamis_export_row row = {.user = "", .zone = "UTC", .result = &r, .features = &f, .names = &names};
    tamis_expr_input in = {.row = &row, .contact = &c};
    int rc = tamis_snapshot_info_get(t, day, &si, err);
    if (rc == TAMIS_ENOTFOUND) {
        char date[32];
        tamis_format_utc_date(day, date);
        return tamis_error_set(err, TAMIS_ENOTFOUND, "no snapshot of %s (tamis snapshots lists them)", date);
    }
    if (rc)
        return rc;
    memset(&names, 0, sizeof names);
    memset(&r, 0, sizeof r);
    memset(&f, 0, sizeof f);
    memset(&c, 0, sizeof c);
    in.as_of_ms = si.as_of_ms;
    tamis_snapshot_chunk_init(&chunk);
    *out = roaring_bitmap_create();
    for (uint32_t i = 0; i < si.n_chunks && rc == 0; i++) {
        if ((rc = tamis_snapshot_chunk_get(t, day, i, &chunk, err)) != 0)
            break;
        for (uint32_t k = 0; k < chunk.n; k++) {
            const tamis_snapshot_user *u = &chunk.users[k];
            if (u->tier == TAMIS_SNAPSHOT_ABSENT)
                continue;
            r.tier = u->tier;
            r.trend = u->trend;
            r.score = u->score;
            memcpy(r.sub, u->sub, sizeof r.sub);
            memcpy(c.country, u->country, sizeof c.country);
            if (tamis_expr_match(e, &in))
                roaring_bitmap_add(*out, chunk.first_uid + k);
        }
    }
    tamis_snapshot_chunk_free(&chunk);
    if (rc) {
        roaring_bitmap_free(*out);
        *out = NULL;
    }
    return rc;
}

int tamis_segment_members_since(tamis_store *store, const char *name, uint32_t day, roaring_bitmap_t **then,
                                roaring_bitmap_t **now, tamis_error *err)
{
    tamis_txn *t;
    tamis_expr *e = NULL;
    tamis_segment_info info;
    const void *data;
    size_t len;
    int rc = tamis_txn_begin(store, false, &t, err);
    tamis_expr_env env = {.segment_definition = definition_of, .ctx = t, .snapshot_fields_only = true};
    *then = *now = NULL;
    if (rc)
        return rc;
    if ((rc = tamis_segment_record_get(t, 'd', name, &data, &len, err)) == 0 &&
        (rc = decode_info(name, strlen(name), data, len, &info, err)) == 0) {
        rc = tamis_expr_compile(info.definition, strlen(info.definition), &env, &e, err);
        tamis_segment_info_free(&info);
    }
    if (rc == 0 && (rc = members_in_snapshot(t, e, day, then, err)) == 0 && (rc = get_bitmap(t, 'm', name, now, err)) != 0) {
        roaring_bitmap_free(*then);
        *then = NULL;
    }
    tamis_expr_free(e);
    tamis_txn_abort(t);
    return rc;
}
