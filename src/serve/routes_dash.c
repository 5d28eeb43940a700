/* routes_dash.c — the browser dashboard of `tamis serve` (docs/DASHBOARD.md): its static
 * files (GET / and GET /assets/NAME, embedded by web_assets.c, no key needed), the
 * figures it draws (GET /v1/overview, read scope, src/model/overview.c) and the user
 * search box (GET /v1/users?q=PREFIX, read scope).
 *
 * The overview reads every stored result, so its JSON is kept in the server (struct
 * srv_dash, one per server, made on first use): a request reuses it while the store is unchanged, and
 * for DASH_CACHE_SECONDS even when writers have committed since; one mutex makes
 * concurrent requests wait for a single computation instead of each running one. */
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "model/overview.h"
#include "model/results.h"
#include "serve/web_assets.h"
#include "server_int.h"
#include "tamis/alloc.h"
#include "tamis/event.h"
#include "tamis/phone.h"
#include "tamis/record.h"
#include "util/workpool.h"

#define DASH_CACHE_SECONDS 5     /* an overview older than this is recomputed once the store changed */
#define DASH_MAX_THREADS 8       /* workers of one overview computation */
#define SEARCH_LIMIT_DEFAULT 20
#define SEARCH_LIMIT_MAX 100
#define SEARCH_QUERY_MAX 256     /* bytes of q (LMDB keys are at most 511) */
#define PHONE_MATCHES_MAX 16
#define SEARCH_STOP (-1)         /* visit_key's "done", apart from every tamis_rc */

/* The dashboard's policy: its own scripts and styles only (ECharts sets inline styles
 * on the elements it draws, hence 'unsafe-inline' for styles but never for scripts),
 * data fetched from this origin only, never framed. */
#define DASH_CSP                                                                                             \
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

struct srv_dash {
    pthread_mutex_t mu;
    char *json; /* the last overview (jansson's allocation), NULL before the first */
    size_t len;
    uint64_t snapshot;      /* the store state it was computed from */
    struct timespec at;     /* when, CLOCK_MONOTONIC */
};

/* The server's dashboard state, made by the first request that needs it (two at once
 * both make one; the loser frees its own). */
static srv_dash *dash_of(tamis_server *s)
{
    srv_dash *d = atomic_load(&s->dash), *expected = NULL;
    if (d)
        return d;
    d = tamis_calloc(1, sizeof *d);
    pthread_mutex_init(&d->mu, NULL);
    if (atomic_compare_exchange_strong(&s->dash, &expected, d))
        return d;
    srv_dash_free(d);
    return expected;
}

void srv_dash_free(srv_dash *d)
{
    if (!d)
        return;
    pthread_mutex_destroy(&d->mu);
    free(d->json); /* jansson's json_dumps buffer */
    tamis_free(d);
}

/* ---- static files ----------------------------------------------------------------- */

static enum MHD_Result send_asset(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *name)
{
    const char *if_none = srv_header(c, MHD_HTTP_HEADER_IF_NONE_MATCH);
    struct MHD_Response *resp;
    srv_asset a;
    char etag[24];
    bool fresh;

    if (!srv_asset_find(name, &a))
        return srv_send_error(s, c, req, 404, "not_found", "no such asset");
    snprintf(etag, sizeof etag, "\"%016llx\"", (unsigned long long)XXH3_64bits(a.data, a.len));
    fresh = if_none && strstr(if_none, etag) != NULL;
    resp = fresh ? MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT)
                 : MHD_create_response_from_buffer(a.len, (void *)a.data, MHD_RESPMEM_PERSISTENT);
    if (resp) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a.content_type);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
        /* the page and our scripts are revalidated on every load (a new build serves new
         * ones at once); the pinned ECharts file may be kept for a day */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                                a.long_lived ? "public, max-age=86400" : "no-cache");
        MHD_add_response_header(resp, "Content-Security-Policy", DASH_CSP);
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    }
    return srv_send_response(s, c, req, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, resp);
}

enum MHD_Result srv_get_index(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    return send_asset(s, c, req, "index.html");
}

enum MHD_Result srv_get_asset(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *name)
{
    if (strcmp(name, "index.html") == 0) /* the page lives at / only */
        return srv_send_error(s, c, req, 404, "not_found", "no such asset");
    return send_asset(s, c, req, name);
}

/* ---- the overview ----------------------------------------------------------------- */

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Under d->mu: computes the overview into the cache. */
static int refresh(tamis_server *s, srv_dash *d, tamis_error *err)
{
    unsigned threads = s->opts.threads ? s->opts.threads : tamis_cpu_count(DASH_MAX_THREADS);
    struct timespec wall;
    tamis_overview ov;
    json_t *doc;
    char now[32], *text;
    int rc = tamis_overview_compute(s->store, threads > DASH_MAX_THREADS ? DASH_MAX_THREADS : threads, &ov, err);

    if (rc) {
        tamis_overview_free(&ov);
        return rc;
    }
    doc = tamis_overview_json(&ov);
    clock_gettime(CLOCK_REALTIME, &wall);
    tamis_format_utc((int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000, false, now);
    json_object_set_new(doc, "generated", json_string(now));
    text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!text) {
        tamis_overview_free(&ov);
        return tamis_error_set(err, TAMIS_EINTERNAL, "cannot render the overview");
    }
    free(d->json); /* jansson's */
    d->json = text;
    d->len = strlen(text);
    d->snapshot = ov.snapshot;
    clock_gettime(CLOCK_MONOTONIC, &d->at);
    tamis_overview_free(&ov);
    return TAMIS_OK;
}

enum MHD_Result srv_get_overview(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    srv_dash *d = dash_of(s);
    struct timespec now;
    tamis_error err = {0};
    uint64_t snapshot = 0;
    tamis_txn *t;
    enum MHD_Result ok = MHD_NO;
    int rc = 0;

    if (tamis_txn_begin(s->store, false, &t, &err) == 0) {
        snapshot = tamis_txn_snapshot(t);
        tamis_txn_abort(t);
    }
    pthread_mutex_lock(&d->mu);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!d->json || (d->snapshot != snapshot && seconds_between(&d->at, &now) >= DASH_CACHE_SECONDS))
        rc = refresh(s, d, &err);
    if (rc == 0)
        ok = srv_send_text(s, c, req, 200, "application/json", d->json, d->len);
    pthread_mutex_unlock(&d->mu);
    if (rc == TAMIS_EBUSY)
        return srv_send_error(s, c, req, 503, "busy", err.msg);
    if (rc)
        return srv_send_error(s, c, req, 500, "store", err.msg);
    return ok;
}

/* ---- user search ------------------------------------------------------------------ */

typedef struct search {
    tamis_txn *txn;
    const char *prefix;
    size_t prefix_len;
    size_t limit;
    json_t *users;
    bool more;
    tamis_result result;
    tamis_features features;
} search;

/* {"user","tier","score"}: tier and score null when the user is not scored yet. */
static int add_match(search *q, uint32_t uid, const char *key, size_t key_len)
{
    const void *data;
    size_t len;
    tamis_error err;
    json_t *m = json_pack("{s:s%}", "user", key, key_len);
    if (!m)
        return 0; /* a key that is not UTF-8 cannot be shown */
    if (tamis_score_record_get(q->txn, uid, &data, &len, &err) == 0 &&
        tamis_record_decode(data, len, &q->result, &q->features, &err) == 0) {
        json_object_set_new(m, "tier", json_string(tamis_tier_name(q->result.tier)));
        json_object_set_new(m, "score", json_integer(q->result.score));
    } else {
        json_object_set_new(m, "tier", json_null());
        json_object_set_new(m, "score", json_null());
    }
    json_array_append_new(q->users, m);
    return 0;
}

static int visit_key(void *ctx, uint32_t uid, const char *key, size_t key_len)
{
    search *q = ctx;
    if (key_len < q->prefix_len || memcmp(key, q->prefix, q->prefix_len) != 0)
        return SEARCH_STOP; /* past the keys with the prefix */
    if (json_array_size(q->users) == q->limit) {
        q->more = true;
        return SEARCH_STOP;
    }
    return add_match(q, uid, key, key_len);
}

/* The holders of a +phone number, when text is one (*is_phone). */
static int phone_matches(search *q, const char *text, bool *is_phone, tamis_error *err)
{
    uint32_t uids[PHONE_MATCHES_MAX];
    size_t n = 0;
    tamis_phone ph;
    tamis_error ignored;
    int rc;

    *is_phone = text[0] == '+' && tamis_phone_parse(text, strlen(text), NULL, &ph, &ignored) == TAMIS_OK;
    if (!*is_phone)
        return TAMIS_OK;
    if ((rc = tamis_phone_holders(q->txn, ph.e164, uids, PHONE_MATCHES_MAX, &n, err)) != 0)
        return rc;
    for (size_t i = 0; i < n && json_array_size(q->users) < q->limit; i++) {
        char key[1024];
        tamis_results_user_key(q->txn, uids[i], key, sizeof key);
        add_match(q, uids[i], key, strlen(key));
    }
    return TAMIS_OK;
}

static bool parse_limit(const char *text, size_t *out)
{
    char *end;
    long v;
    if (!text) {
        *out = SEARCH_LIMIT_DEFAULT;
        return true;
    }
    v = strtol(text, &end, 10);
    if (end == text || *end || v < 1 || v > SEARCH_LIMIT_MAX)
        return false;
    *out = (size_t)v;
    return true;
}

enum MHD_Result srv_search_users(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    const char *text = srv_query(c, "q");
    search q = {0};
    tamis_error err = {0};
    bool is_phone = false;
    int rc;

    if (!text)
        text = "";
    if (strlen(text) > SEARCH_QUERY_MAX || !parse_limit(srv_query(c, "limit"), &q.limit))
        return srv_send_error(s, c, req, 400, "bad_request", "q is at most 256 bytes, limit 1 to 100");
    if ((rc = tamis_txn_begin(s->store, false, &q.txn, &err)) != 0)
        return srv_send_error(s, c, req, 500, "store", err.msg);
    q.prefix = text;
    q.prefix_len = strlen(text);
    q.users = json_array();
    rc = phone_matches(&q, text, &is_phone, &err);
    if (rc == 0 && !is_phone) {
        rc = tamis_user_keys_from(q.txn, text, q.prefix_len, visit_key, &q, &err);
        rc = rc == SEARCH_STOP ? TAMIS_OK : rc;
    }
    tamis_txn_abort(q.txn);
    if (rc) {
        json_decref(q.users);
        return srv_send_error(s, c, req, 500, "store", err.msg);
    }
    return srv_send_json(s, c, req, 200,
                         json_pack("{s:s,s:s,s:o,s:b}", "q", text, "match", is_phone ? "phone" : "prefix", "users",
                                   q.users, "more", q.more));
}
