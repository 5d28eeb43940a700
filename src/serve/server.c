/* server.c — the HTTP API (see include/tamis/server.h).
 *
 * libmicrohttpd calls answer() once when a request's headers are in (it records the
 * start time and asks for more), then again once its body is complete; routes are
 * answered on that second call. Each route opens its own read transaction. Counters
 * for /metrics are C11 atomics: the pool's threads update them at once. */
#include "tamis/server.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/render.h"
#include "model/results.h"
#include "model/tier_counts.h"
#include "model/transitions.h"
#include "tamis/event.h"
#include "tamis/phone.h"
#include "tamis/score_run.h"
#include "tamis/alloc.h"
#include "tamis/apikeys.h"
#include "util/workpool.h"

#define MAX_THREADS 8
#define USERS_PREFIX "/v1/users/"

typedef enum route { R_HEALTHZ, R_USER, R_TIERS, R_TRANSITIONS, R_SCORE, R_METRICS, R_OTHER, R__COUNT } route;
static const char *const route_names[R__COUNT] = {"/healthz", "/v1/users/{key}", "/v1/tiers", "/v1/transitions",
                                                  "/v1/score", "/metrics", "other"};
#define BODY_MAX_DEFAULT (1u << 20) /* request bodies, bytes */
#define SCORE_MAX_INPUTS 10000      /* keys or phones per POST /v1/score */
#define PHONE_HOLDERS_MAX 16

/* The statuses counted one by one; anything else counts as "other". */
static const unsigned statuses[] = {200, 400, 401, 403, 404, 405, 413, 429, 500};
#define N_STATUSES (sizeof statuses / sizeof statuses[0])
/* Latency histogram bounds, seconds. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])

#define RATE_BUCKETS 1024 /* keys tracked at once; more share buckets (stricter, never looser) */

typedef struct rate_bucket {
    char id[9];
    double tokens;
    struct timespec last;
} rate_bucket;

struct tamis_server {
    tamis_store *store;
    const tamis_model_config *cfg;
    size_t body_max;
    double rate, burst;            /* per key: tokens a second, bucket size; rate 0: no limit */
    pthread_mutex_t rate_mu;
    rate_bucket buckets[RATE_BUCKETS];
    struct MHD_Daemon *daemon;
    uint16_t port;
    atomic_ullong requests[R__COUNT][N_STATUSES + 1];
    atomic_ullong latency_buckets[N_BOUNDS + 1];
    atomic_ullong latency_sum_us;
};

typedef struct request {
    struct timespec start;
    char *body;      /* the request body so far (NUL-terminated when complete) */
    size_t len, cap;
    bool too_big;    /* over the body limit: dropped, answered 413 */
} request;

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void count(tamis_server *s, route r, unsigned status, const request *req)
{
    size_t k = N_STATUSES, b = 0;
    double secs = seconds_since(&req->start);
    for (size_t i = 0; i < N_STATUSES; i++)
        if (statuses[i] == status)
            k = i;
    atomic_fetch_add(&s->requests[r][k], 1);
    while (b < N_BOUNDS && secs > bounds[b])
        b++;
    atomic_fetch_add(&s->latency_buckets[b], 1);
    atomic_fetch_add(&s->latency_sum_us, (unsigned long long)(secs * 1e6));
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *type, const char *text,
                                 size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ok;
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    ok = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* Sends doc (stolen) as JSON. */
static enum MHD_Result send_json(tamis_server *s, struct MHD_Connection *c, route r, const request *req,
                                 unsigned status, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    enum MHD_Result ok;
    json_decref(doc);
    count(s, r, status, req);
    if (!text)
        return send_text(c, 500, "application/json", "{\"error\":{\"code\":\"internal\"}}", 29);
    ok = send_text(c, status, "application/json", text, strlen(text));
    free(text); /* allocated by jansson's default allocator */
    return ok;
}

static enum MHD_Result send_error(tamis_server *s, struct MHD_Connection *c, route r, const request *req,
                                  unsigned status, const char *code, const char *message)
{
    return send_json(s, c, r, req, status,
                     json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message));
}

/* Token bucket per key id: rate tokens a second, at most burst; a request takes one. */
static bool rate_allows(tamis_server *s, const char *id)
{
    rate_bucket *b;
    struct timespec now;
    size_t h = 0;
    bool ok;
    if (s->rate <= 0)
        return true;
    for (const char *p = id; *p; p++)
        h = h * 31 + (unsigned char)*p;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&s->rate_mu);
    b = &s->buckets[h % RATE_BUCKETS];
    if (strcmp(b->id, id) != 0) { /* a new key, or one sharing the slot: start full */
        memcpy(b->id, id, sizeof b->id);
        b->tokens = s->burst;
        b->last = now;
    }
    b->tokens += ((double)(now.tv_sec - b->last.tv_sec) + (double)(now.tv_nsec - b->last.tv_nsec) / 1e9) * s->rate;
    if (b->tokens > s->burst)
        b->tokens = s->burst;
    b->last = now;
    ok = b->tokens >= 1.0;
    if (ok)
        b->tokens -= 1.0;
    pthread_mutex_unlock(&s->rate_mu);
    return ok;
}

/* The scope the request's key grants (NONE without one); *presented tells whether a
 * key was given at all. */
static tamis_scope request_scope(tamis_server *s, struct MHD_Connection *c, bool *presented, tamis_apikey_info *info)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-API-Key");
    tamis_scope scope = TAMIS_SCOPE_NONE;
    tamis_txn *t;
    tamis_error err;

    if (auth && strncmp(auth, "Bearer ", 7) == 0)
        key = auth + 7;
    *presented = key != NULL;
    if (!key)
        return TAMIS_SCOPE_NONE;
    if (tamis_txn_begin(s->store, false, &t, &err) == 0) {
        scope = tamis_apikey_check(t, key, strlen(key), info);
        tamis_txn_abort(t);
    }
    return scope;
}

static enum MHD_Result get_user(tamis_server *s, struct MHD_Connection *c, const request *req, const char *key)
{
    tamis_results_reader rd;
    tamis_txn *t;
    tamis_error err = {0};
    uint32_t uid;
    json_t *doc;
    int rc;

    if ((rc = tamis_txn_begin(s->store, false, &t, &err)) != 0)
        return send_error(s, c, R_USER, req, 500, "store", err.msg);
    rc = tamis_user_lookup(t, key, strlen(key), &uid, &err);
    if (rc == TAMIS_ENOTFOUND) {
        tamis_txn_abort(t);
        return send_error(s, c, R_USER, req, 404, "unknown_user", "no such user");
    }
    if (rc) {
        tamis_txn_abort(t);
        return send_error(s, c, R_USER, req, 500, "store", err.msg);
    }
    tamis_results_reader_init(&rd, s->store, t, s->cfg);
    rc = tamis_results_get(&rd, uid, &err);
    doc = json_pack("{s:s}", "user", key);
    if (rc == 0)
        json_object_set_new(doc, "result", tamis_render_row_object(&rd.row));
    else if (rc == TAMIS_ENOTFOUND)
        json_object_set_new(doc, "result", json_null()); /* not scored yet */
    tamis_results_reader_free(&rd);
    tamis_txn_abort(t);
    if (rc && rc != TAMIS_ENOTFOUND) {
        json_decref(doc);
        return send_error(s, c, R_USER, req, 500, "store", err.msg);
    }
    return send_json(s, c, R_USER, req, 200, doc);
}

static enum MHD_Result get_tiers(tamis_server *s, struct MHD_Connection *c, const request *req)
{
    const char *by_name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "by");
    int by = by_name ? tamis_tier_by_from_name(by_name) : TAMIS_BY_NONE;
    tamis_tier_counts counts;
    tamis_txn *t;
    tamis_error err = {0};
    int rc;

    if (by < 0)
        return send_error(s, c, R_TIERS, req, 400, "bad_request", "by must be country or platform");
    if ((rc = tamis_txn_begin(s->store, false, &t, &err)) == 0) {
        rc = tamis_tier_counts_compute(s->store, t, s->cfg, (tamis_tier_by)by, &counts, &err);
        tamis_txn_abort(t);
    }
    if (rc)
        return send_error(s, c, R_TIERS, req, 500, "store", err.msg);
    {
        json_t *doc = tamis_tier_counts_json(&counts);
        tamis_tier_counts_free(&counts);
        return send_json(s, c, R_TIERS, req, 200, doc);
    }
}

/* A date query argument (YYYY-MM-DD, or a time tamis reads): its UTC day. */
static bool query_day(struct MHD_Connection *c, const char *name, uint32_t *day)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    char buf[64];
    int64_t ms;
    tamis_error err;
    if (!v || !*v || strlen(v) > 40)
        return false;
    if (strlen(v) == 10 && v[4] == '-' && v[7] == '-') {
        snprintf(buf, sizeof buf, "%sT00:00:00Z", v);
        v = buf;
    }
    if (tamis_parse_ts(v, strlen(v), &ms, &err) != TAMIS_OK)
        return false;
    *day = tamis_snapshot_day_of(ms);
    return true;
}

static enum MHD_Result get_transitions(tamis_server *s, struct MHD_Connection *c, const request *req)
{
    const char *by_name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "by");
    int by = by_name ? tamis_tier_by_from_name(by_name) : TAMIS_BY_NONE;
    tamis_platform_names names;
    tamis_transitions matrix;
    uint32_t d1, d2;
    tamis_txn *t;
    tamis_error err = {0};
    json_t *doc = NULL;
    int rc;

    if (!query_day(c, "from", &d1) || !query_day(c, "to", &d2) || by < 0)
        return send_error(s, c, R_TRANSITIONS, req, 400, "bad_request",
                          "from and to must be dates (YYYY-MM-DD), by country or platform");
    tamis_score_platform_names(s->store, &names);
    if ((rc = tamis_txn_begin(s->store, false, &t, &err)) == 0) {
        if ((rc = tamis_transitions_compute(t, &names, d1, d2, (tamis_tier_by)by, &matrix, &err)) == 0) {
            doc = tamis_transitions_json(&matrix, d1, d2);
            tamis_transitions_free(&matrix);
        }
        tamis_txn_abort(t);
    }
    if (rc == TAMIS_ENOTFOUND)
        return send_error(s, c, R_TRANSITIONS, req, 404, "no_snapshot", err.msg);
    if (rc)
        return send_error(s, c, R_TRANSITIONS, req, 500, "store", err.msg);
    return send_json(s, c, R_TRANSITIONS, req, 200, doc);
}

/* The inputs of POST /v1/score: a JSON array of strings, or text with one per line
 * (a first line "user", "key" or "phone" is a header). NULL when malformed. */
static json_t *score_inputs(struct MHD_Connection *c, const request *req)
{
    const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    json_t *arr;
    size_t i;
    if (type && strncmp(type, "application/json", 16) == 0) {
        json_t *v;
        arr = json_loadb(req->body ? req->body : "", req->len, 0, NULL);
        if (!json_is_array(arr)) {
            json_decref(arr);
            return NULL;
        }
        json_array_foreach(arr, i, v) if (!json_is_string(v))
        {
            json_decref(arr);
            return NULL;
        }
        return arr;
    }
    arr = json_array();
    for (const char *p = req->body ? req->body : "", *end = p + req->len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *next = nl ? nl + 1 : end;
        size_t n = (size_t)((nl ? nl : end) - p);
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
            n--;
        if (n && !(json_array_size(arr) == 0 && p == req->body &&
                   ((n == 4 && memcmp(p, "user", 4) == 0) || (n == 3 && memcmp(p, "key", 3) == 0) ||
                    (n == 5 && memcmp(p, "phone", 5) == 0))))
            json_array_append_new(arr, json_stringn(p, n));
        p = next;
    }
    return arr;
}

/* One input's matches: the user with that key, or the holders of that phone number. */
static json_t *score_one(tamis_txn *t, tamis_results_reader *rd, const char *input, size_t len, tamis_error *err)
{
    json_t *matches = json_array();
    uint32_t uids[PHONE_HOLDERS_MAX], uid;
    size_t n = 0;
    tamis_phone ph;
    tamis_error ignored;

    if (tamis_user_lookup(t, input, len, &uid, &ignored) == TAMIS_OK) {
        uids[0] = uid;
        n = 1;
    } else if (len && input[0] == '+' && tamis_phone_parse(input, len, NULL, &ph, &ignored) == TAMIS_OK &&
               tamis_phone_holders(t, ph.e164, uids, PHONE_HOLDERS_MAX, &n, err) != TAMIS_OK) {
        json_decref(matches);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = tamis_results_get(rd, uids[i], err);
        char key[1024];
        tamis_results_user_key(t, uids[i], key, sizeof key);
        if (rc == TAMIS_OK)
            json_array_append_new(matches, json_pack("{s:s,s:o}", "user", key, "result", tamis_render_row_object(&rd->row)));
        else if (rc == TAMIS_ENOTFOUND)
            json_array_append_new(matches, json_pack("{s:s,s:n}", "user", key, "result"));
        else {
            json_decref(matches);
            return NULL;
        }
    }
    return matches;
}

static enum MHD_Result post_score(tamis_server *s, struct MHD_Connection *c, const request *req)
{
    json_t *inputs = score_inputs(c, req), *results, *v;
    tamis_results_reader rd;
    tamis_txn *t;
    tamis_error err = {0};
    uint64_t unknown = 0;
    size_t i;
    int rc;

    if (!inputs)
        return send_error(s, c, R_SCORE, req, 400, "bad_request",
                          "send a JSON array of user keys or +phone numbers, or text with one per line");
    if (json_array_size(inputs) > SCORE_MAX_INPUTS) {
        json_decref(inputs);
        return send_error(s, c, R_SCORE, req, 413, "too_many", "at most 10000 keys or phones per request");
    }
    if ((rc = tamis_txn_begin(s->store, false, &t, &err)) != 0) {
        json_decref(inputs);
        return send_error(s, c, R_SCORE, req, 500, "store", err.msg);
    }
    tamis_results_reader_init(&rd, s->store, t, s->cfg);
    results = json_array();
    json_array_foreach(inputs, i, v)
    {
        json_t *m = score_one(t, &rd, json_string_value(v), json_string_length(v), &err);
        if (!m) {
            rc = err.code ? err.code : TAMIS_EINTERNAL;
            break;
        }
        unknown += json_array_size(m) == 0;
        json_array_append_new(results, json_pack("{s:O,s:b,s:o}", "input", v, "known", json_array_size(m) > 0,
                                                 "matches", m));
    }
    tamis_results_reader_free(&rd);
    tamis_txn_abort(t);
    json_decref(inputs);
    if (rc) {
        json_decref(results);
        return send_error(s, c, R_SCORE, req, 500, "store", err.msg);
    }
    return send_json(s, c, R_SCORE, req, 200,
                     json_pack("{s:o,s:I}", "results", results, "unknown", (json_int_t)unknown));
}

static enum MHD_Result get_metrics(tamis_server *s, struct MHD_Connection *c, const request *req)
{
    tamis_store_counts counts = {0};
    tamis_txn *t;
    tamis_error err;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    unsigned long long cumulative = 0;
    enum MHD_Result ok;

    if (!out)
        return send_error(s, c, R_METRICS, req, 500, "internal", "out of memory");
    if (tamis_txn_begin(s->store, false, &t, &err) == 0) {
        if (tamis_store_counts_get(t, &counts, &err) != 0)
            memset(&counts, 0, sizeof counts);
        tamis_txn_abort(t);
    }
    count(s, R_METRICS, 200, req); /* this scrape counts itself */
    fprintf(out, "# HELP tamis_http_requests_total HTTP requests by route and status.\n"
                 "# TYPE tamis_http_requests_total counter\n");
    for (int r = 0; r < R__COUNT; r++)
        for (size_t k = 0; k <= N_STATUSES; k++) {
            unsigned long long n = atomic_load(&s->requests[r][k]);
            if (!n)
                continue;
            if (k < N_STATUSES)
                fprintf(out, "tamis_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n", route_names[r],
                        statuses[k], n);
            else
                fprintf(out, "tamis_http_requests_total{route=\"%s\",status=\"other\"} %llu\n", route_names[r], n);
        }
    fprintf(out, "# HELP tamis_http_request_seconds Time to answer a request.\n"
                 "# TYPE tamis_http_request_seconds histogram\n");
    for (size_t b = 0; b <= N_BOUNDS; b++) {
        cumulative += atomic_load(&s->latency_buckets[b]);
        if (b < N_BOUNDS)
            fprintf(out, "tamis_http_request_seconds_bucket{le=\"%g\"} %llu\n", bounds[b], cumulative);
        else
            fprintf(out, "tamis_http_request_seconds_bucket{le=\"+Inf\"} %llu\n", cumulative);
    }
    fprintf(out, "tamis_http_request_seconds_sum %.6f\n", (double)atomic_load(&s->latency_sum_us) / 1e6);
    fprintf(out, "tamis_http_request_seconds_count %llu\n", cumulative);
    fprintf(out, "# HELP tamis_users Users in the store.\n# TYPE tamis_users gauge\ntamis_users %llu\n",
            (unsigned long long)counts.users);
    fprintf(out, "# HELP tamis_users_scored Users with a stored score.\n# TYPE tamis_users_scored gauge\n"
                 "tamis_users_scored %llu\n",
            (unsigned long long)counts.scores);
    fclose(out);
    ok = send_text(c, 200, "text/plain; version=0.0.4", text, len);
    free(text); /* open_memstream's buffer, from libc */
    return ok;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    tamis_server *s = cls;
    request *req = *con_cls;
    route r;
    tamis_scope need = TAMIS_SCOPE_READ, have;
    tamis_apikey_info key_info;
    bool presented;
    (void)version;
    (void)upload_data;

    if (!req) { /* headers are in: note the time, ask for the body */
        req = tamis_calloc(1, sizeof *req);
        clock_gettime(CLOCK_MONOTONIC, &req->start);
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size) { /* keep the body, up to the limit */
        if (!req->too_big && req->len + *upload_data_size <= s->body_max) {
            req->body = tamis_grow(req->body, 1, &req->cap, req->len + *upload_data_size + 1);
            memcpy(req->body + req->len, upload_data, *upload_data_size);
            req->len += *upload_data_size;
            req->body[req->len] = '\0';
        } else {
            req->too_big = true;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    r = strcmp(url, "/healthz") == 0                                        ? R_HEALTHZ
        : strcmp(url, "/metrics") == 0                                      ? R_METRICS
        : strcmp(url, "/v1/tiers") == 0                                     ? R_TIERS
        : strcmp(url, "/v1/transitions") == 0                               ? R_TRANSITIONS
        : strcmp(url, "/v1/score") == 0                                     ? R_SCORE
        : strncmp(url, USERS_PREFIX, strlen(USERS_PREFIX)) == 0 && url[strlen(USERS_PREFIX)] ? R_USER
                                                                            : R_OTHER;
    if (r == R_OTHER)
        return send_error(s, c, r, req, 404, "not_found", "no such route (see docs/openapi.yaml)");
    if (strcmp(method, r == R_SCORE ? MHD_HTTP_METHOD_POST : MHD_HTTP_METHOD_GET) != 0)
        return send_error(s, c, r, req, 405, "method_not_allowed",
                          r == R_SCORE ? "this route answers POST only" : "this route answers GET only");
    if (req->too_big)
        return send_error(s, c, r, req, 413, "too_large", "the request body is over the limit");
    if (r == R_HEALTHZ)
        return send_json(s, c, r, req, 200, json_pack("{s:s}", "status", "ok"));
    have = request_scope(s, c, &presented, &key_info);
    if (have == TAMIS_SCOPE_NONE)
        return send_error(s, c, r, req, 401, "unauthorized",
                          presented ? "the API key is not valid" : "an API key is required (Authorization: Bearer KEY)");
    if (have < need)
        return send_error(s, c, r, req, 403, "forbidden", "the API key's scope does not allow this");
    if (!rate_allows(s, key_info.id))
        return send_error(s, c, r, req, 429, "rate_limited", "too many requests for this API key; retry shortly");
    if (r == R_METRICS)
        return get_metrics(s, c, req);
    if (r == R_TIERS)
        return get_tiers(s, c, req);
    if (r == R_TRANSITIONS)
        return get_transitions(s, c, req);
    if (r == R_SCORE)
        return post_score(s, c, req);
    return get_user(s, c, req, url + strlen(USERS_PREFIX));
}

static void finished(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode code)
{
    request *req = *con_cls;
    (void)cls;
    (void)c;
    (void)code;
    if (req)
        tamis_free(req->body);
    tamis_free(req);
    *con_cls = NULL;
}

static int parse_listen(const char *text, struct sockaddr_in *addr, tamis_error *err)
{
    char host[64];
    const char *colon = strrchr(text, ':');
    char *end;
    long port;
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    if (!colon || (size_t)(colon - text) >= sizeof host)
        return tamis_error_set(err, TAMIS_EUSAGE, "--listen wants ADDR:PORT, not '%s'", text);
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535 || inet_pton(AF_INET, host, &addr->sin_addr) != 1)
        return tamis_error_set(err, TAMIS_EUSAGE, "--listen wants an IPv4 ADDR:PORT, not '%s'", text);
    addr->sin_port = htons((uint16_t)port);
    return TAMIS_OK;
}

int tamis_server_start(tamis_store *store, const tamis_model_config *cfg, const tamis_server_options *opts,
                       tamis_server **out, tamis_error *err)
{
    struct sockaddr_in addr;
    unsigned threads = opts->threads ? opts->threads : tamis_cpu_count(MAX_THREADS);
    tamis_server *s;
    const union MHD_DaemonInfo *info;
    int rc = parse_listen(opts->listen ? opts->listen : "127.0.0.1:8080", &addr, err);

    *out = NULL;
    if (rc)
        return rc;
    s = tamis_calloc(1, sizeof *s);
    s->store = store;
    s->cfg = cfg;
    s->body_max = opts->body_max ? opts->body_max : BODY_MAX_DEFAULT;
    s->rate = opts->rate_per_s;
    s->burst = opts->burst ? opts->burst : (opts->rate_per_s > 1 ? 2 * opts->rate_per_s : 1);
    pthread_mutex_init(&s->rate_mu, NULL);
    s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, answer, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
                                 threads, MHD_OPTION_CONNECTION_TIMEOUT, opts->timeout_s ? opts->timeout_s : 30u,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
                                 MHD_OPTION_NOTIFY_COMPLETED, finished, s, MHD_OPTION_END);
    if (!s->daemon) {
        pthread_mutex_destroy(&s->rate_mu);
        tamis_free(s);
        return tamis_error_set(err, TAMIS_EIO, "cannot listen on %s", opts->listen ? opts->listen : "127.0.0.1:8080");
    }
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : ntohs(addr.sin_port);
    *out = s;
    return TAMIS_OK;
}

uint16_t tamis_server_port(const tamis_server *s)
{
    return s->port;
}

void tamis_server_stop(tamis_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    pthread_mutex_destroy(&s->rate_mu);
    tamis_free(s);
}
