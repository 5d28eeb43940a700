/* server_int.h — what the route files of `tamis serve` share (src/serve/server*.c,
 * routes_*.c): the server's state, one request's state, the route table's shape and
 * the helpers that answer and count. Not a public header. */
#ifndef TAMIS_SERVER_INT_H
#define TAMIS_SERVER_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "tamis/apikeys.h"
#include "tamis/server.h"

#define SRV_MAX_ROUTES 32
/* The statuses counted one by one; anything else counts as "other". */
#define SRV_STATUSES {200, 400, 401, 403, 404, 405, 409, 413, 429, 500, 503}
#define SRV_N_STATUSES 11
/* Latency histogram bounds, seconds. */
#define SRV_BOUNDS {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0}
#define SRV_N_BOUNDS 12
#define SRV_RATE_BUCKETS 1024 /* keys tracked at once; more share buckets (stricter, never looser) */

typedef struct srv_rate_bucket {
    char id[9];
    double tokens;
    struct timespec last;
} srv_rate_bucket;

typedef struct srv_writer srv_writer; /* server_writer.c */

struct tamis_server {
    tamis_store *store;
    const tamis_model_config *cfg;
    tamis_server_options opts;
    size_t body_max;
    double rate, burst;            /* per key: tokens a second, bucket size; rate 0: no limit */
    pthread_mutex_t rate_mu;
    srv_rate_bucket buckets[SRV_RATE_BUCKETS];
    struct MHD_Daemon *daemon;
    uint16_t port;
    srv_writer *writer;            /* NULL for a read-only server */
    atomic_ullong requests[SRV_MAX_ROUTES][SRV_N_STATUSES + 1];
    atomic_ullong latency_buckets[SRV_N_BOUNDS + 1];
    atomic_ullong latency_sum_us;
};

/* One request, from its headers to its answer. */
typedef struct srv_request {
    struct timespec start;
    int route;                /* index in the route table; -1 before routing */
    char *body;               /* the request body so far (NUL-terminated when complete) */
    size_t len, cap;
    bool too_big;             /* over the body limit: dropped, answered 413 */
    tamis_apikey_info key;    /* the caller's key, once checked */
} srv_request;

/* A route's handler: rest is what follows a prefix route's path ("" otherwise). */
typedef enum MHD_Result (*srv_handler)(tamis_server *s, struct MHD_Connection *c, srv_request *req,
                                       const char *rest);

typedef struct srv_route {
    const char *method;   /* "GET", "POST", "DELETE" */
    const char *path;     /* exact, or a prefix ending in '/' when prefix is set */
    bool prefix;
    tamis_scope scope;    /* TAMIS_SCOPE_NONE: no key needed */
    const char *name;     /* the /metrics label, as in docs/openapi.yaml */
    srv_handler handler;
} srv_route;

/* Answers: each counts the request for /metrics once. send_json steals doc. */
enum MHD_Result srv_send_text(tamis_server *s, struct MHD_Connection *c, srv_request *req, unsigned status,
                              const char *type, const char *text, size_t len);
enum MHD_Result srv_send_json(tamis_server *s, struct MHD_Connection *c, srv_request *req, unsigned status,
                              json_t *doc);
enum MHD_Result srv_send_error(tamis_server *s, struct MHD_Connection *c, srv_request *req, unsigned status,
                               const char *code, const char *message);
/* Queues resp (consumed) with status, counting the request. */
enum MHD_Result srv_send_response(tamis_server *s, struct MHD_Connection *c, srv_request *req, unsigned status,
                                  struct MHD_Response *resp);
/* A query argument, or NULL. */
const char *srv_query(struct MHD_Connection *c, const char *name);
/* A header, or NULL. */
const char *srv_header(struct MHD_Connection *c, const char *name);

/* Handlers (routes_read.c, routes_write.c, routes_dash.c, server_metrics.c). */
enum MHD_Result srv_get_user(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_get_tiers(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_get_transitions(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_post_score(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_get_metrics(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);

/* The route table (server.c), for /metrics. */
extern const srv_route srv_routes[];
extern const size_t srv_n_routes;

#endif
