/* server.c — the HTTP core of `tamis serve` (see include/tamis/server.h): the route
 * table, keys and scopes, the rate limit, answering and counting, /metrics.
 *
 * libmicrohttpd calls answer() once when a request's headers are in (it records the
 * start time and asks for more), then again for each piece of the body, then once
 * more when the body is complete; routes are answered on that last call by the
 * handlers of routes_*.c. Counters for /metrics are C11 atomics: the pool's threads
 * update them at once. */
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

#include "server_int.h"
#include "tamis/alloc.h"
#include "tamis/apikeys.h"
#include "tamis/tz.h"
#include "util/workpool.h"

#define MAX_THREADS 8
#define BODY_MAX_DEFAULT (1u << 20) /* request bodies, bytes */
#define RESCORE_DELAY_DEFAULT 2.0   /* seconds from a change to its rescoring, at most */

static const unsigned statuses[] = SRV_STATUSES;
static const double bounds[] = SRV_BOUNDS;

const srv_route srv_routes[] = {
    {"GET", "/healthz", false, TAMIS_SCOPE_NONE, "/healthz", NULL, false},
    {"GET", "/metrics", false, TAMIS_SCOPE_READ, "/metrics", srv_get_metrics, false},
    {"GET", "/v1/users/", true, TAMIS_SCOPE_READ, "/v1/users/{key}", srv_get_user, false},
    {"DELETE", "/v1/users/", true, TAMIS_SCOPE_ADMIN, "/v1/users/{key}", srv_delete_user, true},
    {"GET", "/v1/tiers", false, TAMIS_SCOPE_READ, "/v1/tiers", srv_get_tiers, false},
    {"GET", "/v1/transitions", false, TAMIS_SCOPE_READ, "/v1/transitions", srv_get_transitions, false},
    {"POST", "/v1/score", false, TAMIS_SCOPE_READ, "/v1/score", srv_post_score, false},
    {"GET", "/v1/export", false, TAMIS_SCOPE_READ, "/v1/export", srv_get_export, false},
    {"POST", "/v1/events", false, TAMIS_SCOPE_WRITE, "/v1/events", srv_post_events, true},
    {"POST", "/v1/contacts", false, TAMIS_SCOPE_WRITE, "/v1/contacts", srv_post_contacts, true},
    {"GET", "/v1/overview", false, TAMIS_SCOPE_READ, "/v1/overview", srv_get_overview, false},
    {"GET", "/v1/users", false, TAMIS_SCOPE_READ, "/v1/users", srv_search_users, false},
    {"GET", "/", false, TAMIS_SCOPE_NONE, "/", srv_get_index, false},
    {"GET", "/assets/", true, TAMIS_SCOPE_NONE, "/assets/{file}", srv_get_asset, false},
    {"GET", "/v1/segments", false, TAMIS_SCOPE_READ, "/v1/segments", srv_get_segments, false},
    {"POST", "/v1/segments", false, TAMIS_SCOPE_WRITE, "/v1/segments", srv_post_segments, false},
    {"GET", "/v1/segments/", true, TAMIS_SCOPE_READ, "/v1/segments/{name}", srv_segment, false},
    {"DELETE", "/v1/segments/", true, TAMIS_SCOPE_WRITE, "/v1/segments/{name}", srv_delete_segment, false},
    {"GET", "/v1/apikeys", false, TAMIS_SCOPE_ADMIN, "/v1/apikeys", srv_get_apikeys, false},
    {"POST", "/v1/apikeys", false, TAMIS_SCOPE_ADMIN, "/v1/apikeys", srv_post_apikeys, false},
    {"DELETE", "/v1/apikeys/", true, TAMIS_SCOPE_ADMIN, "/v1/apikeys/{id}", srv_delete_apikey, false},
};
const size_t srv_n_routes = sizeof srv_routes / sizeof srv_routes[0];
_Static_assert(sizeof srv_routes / sizeof srv_routes[0] < SRV_MAX_ROUTES, "raise SRV_MAX_ROUTES");

static const char *route_label(size_t r)
{
    return r < srv_n_routes ? srv_routes[r].name : "other";
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void count(tamis_server *s, const srv_request *req, unsigned status)
{
    size_t k = SRV_N_STATUSES, b = 0, r = req->route >= 0 ? (size_t)req->route : srv_n_routes;
    double secs = seconds_since(&req->start);
    for (size_t i = 0; i < SRV_N_STATUSES; i++)
        if (statuses[i] == status)
            k = i;
    atomic_fetch_add(&s->requests[r][k], 1);
    while (b < SRV_N_BOUNDS && secs > bounds[b])
        b++;
    atomic_fetch_add(&s->latency_buckets[b], 1);
    atomic_fetch_add(&s->latency_sum_us, (unsigned long long)(secs * 1e6));
}

const char *srv_query(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

const char *srv_header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

enum MHD_Result srv_send_response(tamis_server *s, struct MHD_Connection *c, srv_request *req, unsigned status,
                                  struct MHD_Response *resp)
{
    enum MHD_Result ok;
    count(s, req, status);
    if (!resp)
        return MHD_NO;
    if (!MHD_get_response_header(resp, "Cache-Control")) /* the dashboard's files set their own */
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    ok = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static struct MHD_Response *text_response(const char *type, const char *text, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    if (resp)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    return resp;
}

/* Sends without counting (the caller counted). */
static enum MHD_Result send_raw(struct MHD_Connection *c, unsigned status, const char *type, const char *text,
                                size_t len)
{
    struct MHD_Response *resp = text_response(type, text, len);
    enum MHD_Result ok;
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    ok = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

enum MHD_Result srv_send_text(tamis_server *s, struct MHD_Connection *c, srv_request *req, unsigned status,
                              const char *type, const char *text, size_t len)
{
    return srv_send_response(s, c, req, status, text_response(type, text, len));
}

enum MHD_Result srv_send_json(tamis_server *s, struct MHD_Connection *c, srv_request *req, unsigned status,
                              json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    enum MHD_Result ok;
    json_decref(doc);
    if (!text)
        return srv_send_text(s, c, req, 500, "application/json", "{\"error\":{\"code\":\"internal\"}}", 29);
    ok = srv_send_text(s, c, req, status, "application/json", text, strlen(text));
    free(text); /* allocated by jansson's default allocator */
    return ok;
}

enum MHD_Result srv_send_error(tamis_server *s, struct MHD_Connection *c, srv_request *req, unsigned status,
                               const char *code, const char *message)
{
    return srv_send_json(s, c, req, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message));
}

/* Token bucket per key id: rate tokens a second, at most burst; a request takes one. */
static bool rate_allows(tamis_server *s, const char *id)
{
    srv_rate_bucket *b;
    struct timespec now;
    size_t h = 0;
    bool ok;
    if (s->rate <= 0)
        return true;
    for (const char *p = id; *p; p++)
        h = h * 31 + (unsigned char)*p;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&s->rate_mu);
    b = &s->buckets[h % SRV_RATE_BUCKETS];
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

enum MHD_Result srv_get_metrics(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
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
        return srv_send_error(s, c, req, 500, "internal", "out of memory");
    if (tamis_txn_begin(s->store, false, &t, &err) == 0) {
        if (tamis_store_counts_get(t, &counts, &err) != 0)
            memset(&counts, 0, sizeof counts);
        tamis_txn_abort(t);
    }
    count(s, req, 200); /* this scrape counts itself */
    fprintf(out, "# HELP tamis_http_requests_total HTTP requests by route and status.\n"
                 "# TYPE tamis_http_requests_total counter\n");
    for (size_t r = 0; r < srv_n_routes + 1; r++)
        for (size_t k = 0; k <= SRV_N_STATUSES; k++) {
            unsigned long long n = atomic_load(&s->requests[r][k]);
            if (!n)
                continue;
            if (k < SRV_N_STATUSES)
                fprintf(out, "tamis_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n", route_label(r),
                        statuses[k], n);
            else
                fprintf(out, "tamis_http_requests_total{route=\"%s\",status=\"other\"} %llu\n", route_label(r), n);
        }
    fprintf(out, "# HELP tamis_http_request_seconds Time to answer a request.\n"
                 "# TYPE tamis_http_request_seconds histogram\n");
    for (size_t b = 0; b <= SRV_N_BOUNDS; b++) {
        cumulative += atomic_load(&s->latency_buckets[b]);
        if (b < SRV_N_BOUNDS)
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
    if (s->writer)
        srv_writer_metrics(s->writer, out);
    fclose(out);
    ok = send_raw(c, 200, "text/plain; version=0.0.4", text, len);
    free(text); /* open_memstream's buffer, from libc */
    return ok;
}

int srv_text_stream_fill(srv_text_stream *st)
{
    FILE *out;
    int rc;
    free(st->buf); /* open_memstream's buffer, from libc */
    st->buf = NULL;
    st->len = st->pos = 0;
    if (!(out = open_memstream(&st->buf, &st->len)))
        return TAMIS_EINTERNAL;
    rc = st->refill(st, out);
    if (fclose(out) != 0 && rc == TAMIS_OK)
        rc = TAMIS_EIO;
    return rc;
}

ssize_t srv_text_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    srv_text_stream *st = cls;
    (void)pos;
    while (st->pos == st->len) {
        if (st->finished)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (srv_text_stream_fill(st) != TAMIS_OK)
            return MHD_CONTENT_READER_END_WITH_ERROR; /* the client sees a cut answer */
    }
    if (max > st->len - st->pos)
        max = st->len - st->pos;
    memcpy(buf, st->buf + st->pos, max);
    st->pos += max;
    return (ssize_t)max;
}

void srv_text_stream_free(srv_text_stream *st)
{
    free(st->buf); /* open_memstream's buffer */
    st->buf = NULL;
}

static void free_thread_reader(void *p)
{
    tamis_results_reader *rd = p;
    tamis_results_reader_free(rd);
    tamis_free(rd);
}

tamis_results_reader *srv_thread_reader(tamis_server *s, tamis_txn *t)
{
    tamis_results_reader *rd = pthread_getspecific(s->reader_key);
    if (!rd) {
        rd = tamis_malloc(sizeof *rd);
        tamis_results_reader_init(rd, s->store, t, s->cfg);
        pthread_setspecific(s->reader_key, rd);
    }
    tamis_results_reader_bind(rd, t);
    return rd;
}

bool srv_long_reader_begin(tamis_server *s)
{
    bool ok;
    pthread_mutex_lock(&s->long_mu);
    ok = !s->erasing;
    if (ok)
        s->long_readers++;
    pthread_mutex_unlock(&s->long_mu);
    return ok;
}

void srv_long_reader_end(tamis_server *s)
{
    pthread_mutex_lock(&s->long_mu);
    s->long_readers--;
    pthread_cond_broadcast(&s->long_cv);
    pthread_mutex_unlock(&s->long_mu);
}

void srv_erasure_begin(tamis_server *s)
{
    pthread_mutex_lock(&s->long_mu);
    s->erasing = true;
    while (s->long_readers)
        pthread_cond_wait(&s->long_cv, &s->long_mu);
    pthread_mutex_unlock(&s->long_mu);
}

void srv_erasure_end(tamis_server *s)
{
    pthread_mutex_lock(&s->long_mu);
    s->erasing = false;
    pthread_mutex_unlock(&s->long_mu);
}

/* The route for url and method: its index, or -1 with *path_known telling whether
 * another method would have matched. */
static int find_route(const char *url, const char *method, bool *path_known, const char **rest)
{
    *path_known = false;
    for (size_t i = 0; i < srv_n_routes; i++) {
        const srv_route *r = &srv_routes[i];
        size_t n = strlen(r->path);
        bool match = r->prefix ? strncmp(url, r->path, n) == 0 && url[n] : strcmp(url, r->path) == 0;
        if (!match)
            continue;
        *path_known = true;
        if (strcmp(method, r->method) == 0) {
            *rest = r->prefix ? url + n : "";
            return (int)i;
        }
    }
    return -1;
}

/* The methods a path answers, for the Allow header of a 405. */
static void allowed_methods(const char *url, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < srv_n_routes; i++) {
        const srv_route *r = &srv_routes[i];
        size_t n = strlen(r->path);
        bool match = r->prefix ? strncmp(url, r->path, n) == 0 && url[n] : strcmp(url, r->path) == 0;
        if (match && !strstr(out, r->method))
            snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? ", " : "", r->method);
    }
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    tamis_server *s = cls;
    srv_request *req = *con_cls;
    const srv_route *route;
    const char *rest = "";
    tamis_scope have;
    bool presented, path_known;
    int r;
    (void)version;

    if (!req) { /* headers are in: note the time, ask for the body */
        req = tamis_calloc(1, sizeof *req);
        req->route = -1;
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
    if (req->job) /* a write resumed after its commit: routed and checked before */
        return srv_routes[req->route].handler(s, c, req, "");
    r = find_route(url, method, &path_known, &rest);
    if (r < 0 && !path_known)
        return srv_send_error(s, c, req, 404, "not_found", "no such route (see docs/openapi.yaml)");
    if (r < 0) {
        char allow[64], msg[128];
        struct MHD_Response *resp;
        json_t *doc;
        char *text;
        allowed_methods(url, allow, sizeof allow);
        snprintf(msg, sizeof msg, "this route answers %s only", allow);
        doc = json_pack("{s:{s:s,s:s}}", "error", "code", "method_not_allowed", "message", msg);
        text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(doc);
        resp = text_response("application/json", text ? text : "{}", text ? strlen(text) : 2);
        free(text); /* jansson's */
        if (resp)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
        return srv_send_response(s, c, req, 405, resp);
    }
    req->route = r;
    route = &srv_routes[r];
    if (req->too_big)
        return srv_send_error(s, c, req, 413, "too_large", "the request body is over the limit");
    if (route->scope != TAMIS_SCOPE_NONE) {
        pthread_rwlock_rdlock(&s->store_lock);
        have = request_scope(s, c, &presented, &req->key);
        pthread_rwlock_unlock(&s->store_lock);
        if (have == TAMIS_SCOPE_NONE)
            return srv_send_error(s, c, req, 401, "unauthorized",
                                  presented ? "the API key is not valid"
                                            : "an API key is required (Authorization: Bearer KEY)");
        if (have < route->scope)
            return srv_send_error(s, c, req, 403, "forbidden", "the API key's scope does not allow this");
        if (!rate_allows(s, req->key.id))
            return srv_send_error(s, c, req, 429, "rate_limited", "too many requests for this API key; retry shortly");
    }
    if (!route->handler)
        return srv_send_json(s, c, req, 200, json_pack("{s:s}", "status", "ok"));
    if (route->writes)
        return route->handler(s, c, req, rest);
    {
        enum MHD_Result ok;
        pthread_rwlock_rdlock(&s->store_lock);
        ok = route->handler(s, c, req, rest);
        pthread_rwlock_unlock(&s->store_lock);
        return ok;
    }
}

static void finished(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode code)
{
    tamis_server *s = cls;
    srv_request *req = *con_cls;
    (void)c;
    (void)code;
    if (req && req->job && srv_writer_job_done(s->writer, req->job))
        srv_free_job(req->job); /* answered with an error, or the client left */
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

/* Frees what tamis_server_start made, after the daemon and the writer are gone. */
static void free_server(tamis_server *s)
{
    pthread_rwlock_destroy(&s->store_lock);
    pthread_mutex_destroy(&s->long_mu);
    pthread_cond_destroy(&s->long_cv);
    pthread_key_delete(s->reader_key);
    pthread_mutex_destroy(&s->rate_mu);
    tamis_free(s);
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
    s->opts = *opts;
    s->body_max = opts->body_max ? opts->body_max : BODY_MAX_DEFAULT;
    s->rate = opts->rate_per_s;
    s->burst = opts->burst ? opts->burst : (opts->rate_per_s > 1 ? 2 * opts->rate_per_s : 1);
    if (s->opts.rescore_delay_s == 0)
        s->opts.rescore_delay_s = RESCORE_DELAY_DEFAULT;
    if (!opts->snapshot_zone)
        snprintf(s->zone, sizeof s->zone, "UTC");
    else if (opts->snapshot_zone[0] &&
             (rc = tamis_tz_normalize(opts->snapshot_zone, strlen(opts->snapshot_zone), s->zone, err)) != 0) {
        tamis_free(s);
        return rc == TAMIS_EINPUT ? TAMIS_EUSAGE : rc;
    }
    pthread_mutex_init(&s->rate_mu, NULL);
    pthread_mutex_init(&s->long_mu, NULL);
    pthread_cond_init(&s->long_cv, NULL);
    pthread_key_create(&s->reader_key, free_thread_reader);
    {
        pthread_rwlockattr_t attr; /* writer-preferring: erasure is not starved by a stream of reads */
        pthread_rwlockattr_init(&attr);
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&s->store_lock, &attr);
        pthread_rwlockattr_destroy(&attr);
    }
    if ((rc = srv_writer_start(s, &s->writer, err)) != 0) {
        free_server(s);
        return rc;
    }
    s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, answer, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
                                 threads, MHD_OPTION_CONNECTION_TIMEOUT, opts->timeout_s ? opts->timeout_s : 30u,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
                                 MHD_OPTION_NOTIFY_COMPLETED, finished, s, MHD_OPTION_END);
    if (!s->daemon) {
        srv_writer_stop(s->writer);
        free_server(s);
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
    srv_writer_drain(s->writer); /* commits and wakes the suspended writes */
    MHD_stop_daemon(s->daemon);
    srv_writer_stop(s->writer);
    srv_dash_free(s->dash);
    free_server(s);
}
