/* server.h — `tamis serve`: the HTTP API and dashboard over the store
 * (src/serve/server.c; routes in routes_*.c, the write side in server_writer.c).
 *
 * libmicrohttpd with a thread pool on epoll. Every read runs in its own LMDB read
 * transaction, so readers never wait for the writer. Writes (events, contacts,
 * erasure) go one at a time through one writer and are answered after their commit;
 * a scorer thread rescores changed users within a bounded delay and takes the daily
 * snapshot. The routes, their scopes and shapes are docs/openapi.yaml; docs/CLI.md
 * "tamis serve" tells the behaviour. Keys come as "Authorization: Bearer KEY" or
 * "X-API-Key: KEY" (never in URLs): a missing or bad key is 401, a key without the
 * route's scope 403, both with a JSON error and nothing done.
 *
 * Ownership: the server borrows the store (open for writing) and the configuration
 * until it is stopped. */
#ifndef TAMIS_SERVER_H
#define TAMIS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/model_config.h"
#include "tamis/store.h"

typedef struct tamis_server tamis_server;

typedef struct tamis_server_options {
    const char *listen;        /* "ADDR:PORT" (IPv4), default 127.0.0.1:8080; port 0 picks one */
    unsigned threads;          /* thread pool size; 0: one per CPU (at most 8) */
    unsigned timeout_s;        /* idle connection timeout; 0: 30 */
    size_t body_max;           /* request body limit, bytes; 0: 1 MiB (413 beyond) */
    double rate_per_s;         /* requests a second per API key; 0: no limit (429 beyond) */
    double burst;              /* requests a key may make at once; 0: 2 x rate (at least 1) */
    double rescore_delay_s;    /* changed users are rescored within this; 0: 2 s; < 0: never */
    const char *snapshot_zone; /* the daily snapshot at this zone's midnight; NULL: UTC; "": none */
    int64_t as_of_ms;          /* score as of this fixed moment (replaying a sample); 0: the clock */
    unsigned score_threads;    /* threads of a rescoring run; 0: one per CPU */
    const char *default_country; /* for POST /v1/contacts phones without a country; may be NULL */
} tamis_server_options;

/* Starts serving (and the scorer thread); *out is running on return. TAMIS_EUSAGE for
 * a bad listen address or zone, TAMIS_EIO when it cannot listen. store must be open
 * for writing. */
int tamis_server_start(tamis_store *store, const tamis_model_config *cfg, const tamis_server_options *opts,
                       tamis_server **out, tamis_error *err) TAMIS_WUR;
/* The port it listens on (useful with port 0). */
uint16_t tamis_server_port(const tamis_server *s);
/* Stops accepting, finishes the requests in flight (an acknowledged write is already
 * durable), stops the scorer, frees the server. */
void tamis_server_stop(tamis_server *s);

#endif
