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
#include <stdio.h>
#include <time.h>

#include "tamis/apikeys.h"
#include "tamis/server.h"

#define SRV_MAX_ROUTES 32
/* The statuses counted one by one; anything else counts as "other". */
#define SRV_STATUSES {200, 304, 400, 401, 403, 404, 405, 413, 429, 500, 503}
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
typedef struct srv_event_job srv_event_job;
typedef struct srv_dash srv_dash;     /* routes_dash.c: the dashboard's overview cache */

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
    srv_writer *writer;
    srv_dash *_Atomic dash;        /* the last GET /v1/overview: made on first use (routes_dash.c) */
    pthread_rwlock_t store_lock;   /* shared by every store user; exclusive for erasure,
                                      which rewrites the environment */
    char zone[64];                 /* snapshot zone, normalised; "" for none */
    /* Answers that keep a read transaction after their handler returns (streams):
     * erasure waits for them, and new ones are refused while it waits or runs. */
    pthread_mutex_t long_mu;
    pthread_cond_t long_cv;
    unsigned long_readers;
    bool erasing;
    pthread_key_t reader_key;      /* each request thread's results reader (srv_thread_reader) */
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
    srv_event_job *job;       /* a write waiting for its commit (connection suspended) */
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
    bool writes;          /* the handler takes store_lock itself (through the writer) */
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
enum MHD_Result srv_get_export(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_post_events(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_post_contacts(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_delete_user(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_get_segments(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_post_segments(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_segment(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_delete_segment(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_get_apikeys(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_post_apikeys(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_delete_apikey(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_get_metrics(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_get_index(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_get_asset(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *name);
enum MHD_Result srv_get_overview(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
enum MHD_Result srv_search_users(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest);
/* Frees the dashboard's state (routes_dash.c; NULL is fine): tamis_server_stop calls it. */
void srv_dash_free(srv_dash *d);

/* The write side (server_writer.c). Each call is serialised with the other writes and
 * returns after its commit. */
#include "tamis/contacts_import.h"
#include "tamis/erase.h"
#include "tamis/ingest.h"
int srv_writer_start(tamis_server *s, srv_writer **out, tamis_error *err);
void srv_writer_stop(srv_writer *w);
/* A POST /v1/events waiting for its commit; owned by its request. */
struct srv_event_job {
    tamis_ingest_part part;        /* in: the body; out: its outcome */
    struct MHD_Connection *conn;
    char *converted;               /* the body as NDJSON (a JSON array's), or NULL */
    void *errors;                  /* the route's per-record error list */
    bool done;                     /* read with srv_writer_job_done */
    struct srv_event_job *next;
};
/* Queues job and suspends its connection; the committer resumes it once the job is
 * committed (or failed). false when the server is stopping: answer 503. */
bool srv_writer_submit(srv_writer *w, srv_event_job *job);
bool srv_writer_job_done(srv_writer *w, const srv_event_job *job);
/* Frees a job and what it owns (routes_write.c). */
void srv_free_job(srv_event_job *job);
/* Refuses new jobs, commits and wakes the queued ones, ends the committer. Before
 * the daemon stops: suspended connections must be resumed first. */
void srv_writer_drain(srv_writer *w);
int srv_writer_contacts(srv_writer *w, const char *name, const char *csv, size_t len, void *ctx,
                        void (*on_reject)(void *, uint64_t, const char *), tamis_import_summary *sum,
                        tamis_error *err);
int srv_writer_forget(srv_writer *w, const char *key, tamis_forget_summary *sum, tamis_error *err);
void srv_writer_metrics(srv_writer *w, FILE *out);

/* The calling thread's results reader, bound to t (kept across requests: its zone
 * cache and buffers survive; freed when the thread ends). */
#include "model/results.h"
tamis_results_reader *srv_thread_reader(tamis_server *s, tamis_txn *t);

/* A chunked answer rendered a piece at a time: refill writes the next piece to out
 * (and sets finished with the last); srv_text_stream_read is the libmicrohttpd
 * content reader of a struct whose first member is the srv_text_stream. */
typedef struct srv_text_stream {
    char *buf;                /* rendered, not yet sent: buf[pos..len) (open_memstream's) */
    size_t len, pos;
    bool finished;
    int (*refill)(struct srv_text_stream *st, FILE *out);
} srv_text_stream;
int srv_text_stream_fill(srv_text_stream *st); /* renders the next piece now */
ssize_t srv_text_stream_read(void *cls, uint64_t pos, char *buf, size_t max);
void srv_text_stream_free(srv_text_stream *st);

/* Streams (long readers): begin is false while an erasure waits or runs. */
bool srv_long_reader_begin(tamis_server *s);
void srv_long_reader_end(tamis_server *s);
/* For erasure: refuses new long readers and waits for the running ones; then
 * srv_erasure_end lets them in again. */
void srv_erasure_begin(tamis_server *s);
void srv_erasure_end(tamis_server *s);

/* The route table (server.c), for /metrics. */
extern const srv_route srv_routes[];
extern const size_t srv_n_routes;

#endif
