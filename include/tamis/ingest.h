/* ingest.h — events from files into the store, exactly once (src/store/ingest.c).
 *
 * The path of one record: reader.h cuts it from the (decompressed) bytes, event.h
 * parses it, the user is resolved (user key, or platform + platform_id through the
 * identity map) and the event is kept in memory until the batch commits; then each
 * touched user's stored state is read, gets its events (user_state.h), and is written
 * back, in one LMDB transaction together with the counters and the file's ledger
 * entry (offset, line). A crash at
 * any moment therefore leaves the store at the end of some batch, and running the same
 * command again resumes after it. A file whose bytes were fully ingested before (same
 * XXH3-128) is skipped. stdin has no ledger: re-feeding it relies on event ids.
 *
 * Rejected records go to the rejects file as "FILE:LINE: REASON: RAW" (RAW cut at
 * TAMIS_REJECT_RAW_BYTES, newlines and tabs escaped), written and fsynced before the
 * batch commits; the ledger records the file's size so a resumed run truncates what an
 * interrupted one wrote after its last commit. */
#ifndef TAMIS_INGEST_H
#define TAMIS_INGEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tamis/error.h"
#include "tamis/event.h"
#include "tamis/store.h"

#define TAMIS_DEFAULT_BATCH_EVENTS 8000000 /* events per committed batch */
#define TAMIS_PIPELINE_EVENTS 500000       /* events per hand-off between the two threads */
#define TAMIS_REJECTS_SHOWN 10             /* rejects also echoed to stderr */

typedef struct tamis_ingest_options {
    tamis_format format;        /* AUTO: '{' as first byte means NDJSON, else CSV */
    const char *rejects_path;   /* NULL: <data>/rejects.log */
    uint64_t max_errors;        /* stop with TAMIS_ELIMIT once rejected > this */
    uint64_t batch_events;      /* 0: TAMIS_DEFAULT_BATCH_EVENTS */
    bool keep_raw;              /* archive accepted records under <data>/raw/ */
    bool progress;              /* draw a progress bar on stderr */
    FILE *messages;             /* warnings and echoed rejects (stderr); NULL: silent */
    FILE *trace;                /* per-batch timings (TAMIS_TRACE); NULL: none */
    uint64_t input_bytes_hint;  /* bytes the session will read, if known (0: unknown).
                                   When it suggests at least as many records as the
                                   store has users, every user key is read into memory
                                   up front: one sequential scan instead of a B-tree
                                   lookup per distinct user. */
} tamis_ingest_options;

typedef struct tamis_ingest_summary {
    uint64_t files, files_skipped, files_resumed;
    uint64_t records;      /* records read (blank lines excluded) */
    uint64_t accepted;     /* applied to a user's state */
    uint64_t duplicates;   /* skipped: event id seen before */
    uint64_t rejected;     /* written to the rejects file */
    uint64_t bytes;        /* decompressed bytes read */
    uint64_t new_users;
    double seconds;
} tamis_ingest_summary;

typedef struct tamis_ingest tamis_ingest;

/* Starts an ingest session on an open, writable store. opts is copied. */
int tamis_ingest_new(tamis_store *store, const tamis_ingest_options *opts, tamis_ingest **out,
                     tamis_error *err) TAMIS_WUR;
void tamis_ingest_free(tamis_ingest *ing);

/* Ingests one file ("-" for stdin), adding to *sum. Returns TAMIS_OK (rejected
 * records included), TAMIS_ELIMIT once more than max_errors records were rejected in
 * this session (good records before that point are committed), or a fatal error (the
 * current batch is rolled back; earlier batches stay committed). */
int tamis_ingest_file(tamis_ingest *ing, const char *path, tamis_ingest_summary *sum,
                      tamis_error *err) TAMIS_WUR;

/* Called once per rejected record of a buffer, with its line and the reason. */
typedef void (*tamis_ingest_reject_fn)(void *ctx, uint64_t line, const char *reason);

typedef struct tamis_ingest_buffer_options {
    tamis_format format;          /* as tamis_ingest_options.format */
    tamis_ingest_reject_fn on_reject; /* may be NULL */
    void *ctx;
    bool ids_from_bytes;          /* an event without an id gets one: a hash of its
                                     record's bytes, so that sending the same records
                                     again is idempotent too */
} tamis_ingest_buffer_options;

/* Ingests len bytes at data as one file named name (no ledger: event ids dedupe), and
 * commits (durably) before returning TAMIS_OK. Rejects go to the rejects file under
 * name and to on_reject. Returns as tamis_ingest_file. */
int tamis_ingest_buffer(tamis_ingest *ing, const char *name, const void *data, size_t len,
                        const tamis_ingest_buffer_options *bopts, tamis_ingest_summary *sum,
                        tamis_error *err) TAMIS_WUR;

/* One buffer of a group (tamis_ingest_buffers): input, then its own outcome. */
typedef struct tamis_ingest_part {
    const char *name;
    const void *data;
    size_t len;
    tamis_ingest_buffer_options opts;
    tamis_ingest_summary sum;      /* out */
    int rc;                        /* out: TAMIS_OK, TAMIS_EINPUT (its CSV header is
                                      unusable: nothing of it was read), or the group's
                                      fatal error */
    tamis_error err;               /* out */
} tamis_ingest_part;

#define TAMIS_INGEST_MAX_PARTS 4096

/* Ingests several buffers in one transaction with one commit (group commit: the
 * commit's cost is shared), each counted on its own as if ingested alone after the
 * ones before it. Returns TAMIS_OK once committed; on a fatal error nothing of any
 * part is applied and every part's rc is that error. */
int tamis_ingest_buffers(tamis_ingest *ing, tamis_ingest_part *parts, size_t n, tamis_error *err) TAMIS_WUR;

#endif