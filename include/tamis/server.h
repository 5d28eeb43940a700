/* server.h — `tamis serve`: the HTTP API over the store (src/serve/server.c).
 *
 * libmicrohttpd with a thread pool on epoll. Every request runs in its own LMDB read
 * transaction, so readers never wait for a writer. Routes (docs/openapi.yaml):
 *   GET /healthz                 no key: {"status":"ok"}
 *   GET /v1/users/{key}          read:  the user's stored result, as `tamis show`
 *   GET /v1/tiers[?by=country|platform]  read: users per tier, as `tamis tiers`
 *   GET /v1/transitions?from=D&to=D[&by=]  read: the matrix, as `tamis transitions`
 *   POST /v1/score               read:  results of up to 10,000 user keys or +phone numbers
 *                                       (JSON array, or text with one per line)
 *   GET /metrics                 read:  Prometheus text: requests by route and status,
 *                                       a latency histogram, users
 * Keys come as "Authorization: Bearer KEY" or "X-API-Key: KEY" (never in URLs): a
 * missing or bad key is 401, a key without the route's scope 403, both with a JSON
 * error and nothing done. Unknown routes are 404, other methods 405.
 *
 * Ownership: the server borrows the store and the configuration until it is stopped. */
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
} tamis_server_options;

/* Starts serving; *out is running on return. TAMIS_EUSAGE for a bad listen address,
 * TAMIS_EIO when it cannot listen. */
int tamis_server_start(tamis_store *store, const tamis_model_config *cfg, const tamis_server_options *opts,
                       tamis_server **out, tamis_error *err) TAMIS_WUR;
/* The port it listens on (useful with port 0). */
uint16_t tamis_server_port(const tamis_server *s);
/* Stops accepting, finishes the requests in flight, frees the server. */
void tamis_server_stop(tamis_server *s);

#endif
