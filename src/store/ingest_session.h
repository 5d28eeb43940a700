/* ingest_session.h — private to src/store/ingest*.c: the two halves of an ingest
 * session and the batch that travels between them.
 *
 * The parse side (the calling thread, ingest.c) reads records,
 * parses them, names each event's subject with a session-wide entry number (one per
 * distinct user key or platform identity seen) and appends a compact event to the
 * current batch. It never touches LMDB.
 *
 * The apply side (a worker thread, ingest_apply.c) takes full batches in order: it
 * resolves the batch's new entries to uids (creating users and placeholder users)
 * and appends the events to the span, all in one write transaction that stays open
 * across batches. When a batch is marked `commit` (every --batch events, and at the
 * end of a file) it flushes the span (ingest_flush.c: group the events by user, read
 * each touched user's stored state once, apply, encode, write, in uid order), writes
 * the counters and the ledger, and commits. No per-user state lives in memory between
 * commits: one reused state is rebuilt per user. While the apply side works, the parse
 * side fills the next batch: two cores, two stages. Batches are handed over every
 * TAMIS_PIPELINE_EVENTS events, so the two stages overlap even when commits are far
 * apart. */
#ifndef TAMIS_INGEST_SESSION_H
#define TAMIS_INGEST_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "tamis/event.h"
#include "tamis/ingest.h"
#include "tamis/store.h"
#include "tamis/reader.h"
#include "tamis/user_state.h"
#include "util/bytes.h"
#include "util/strmap.h"

/* A generous guess at the smallest record, to turn input_bytes_hint into a number of
 * records (key preloading, sizing the span). */
#define INGEST_MIN_RECORD_BYTES 40

/* Seeds the hash that names an event without an id by its record's bytes. */
#define INGEST_BYTES_ID_SEED 0x7461u

#define EV_HAS_VALUE 1
#define EV_HAS_ID 2
#define EV_NEW_USER 4 /* at a flush: the user has nothing stored yet */
#define NO_ENTRY UINT32_MAX
/* Batches in the ring: while the apply side commits, the parse side can fill the
 * others instead of waiting. */
#define TAMIS_PIPELINE_DEPTH 6

/* One parsed event. At a flush, `entry` is replaced by the uid of the user holding the
 * event (the sort key), see ingest_flush.c. Its strings (group, device, ...) are listed in
 * refs[str_first .. str_first + n_str), pointing into the batch's string bytes. */
typedef struct batch_event {
    int64_t ts_ms;
    int64_t value_micros;
    uint64_t id_hash;
    uint32_t entry;
    uint32_t str_first;
    uint8_t platform;
    uint8_t kind;
    uint8_t flags;
    uint8_t n_str;
    uint16_t job;       /* the part of a tamis_ingest_buffers call it came from */
} batch_event;

typedef struct str_ref {
    uint32_t off;   /* the string's bytes: str_bytes[off .. off + len) */
    uint16_t len;   /* <= TAMIS_MAX_FIELD_BYTES */
    uint16_t field; /* tamis_field */
} str_ref;

/* An entry first seen in this batch: a user key, or a platform identity. */
typedef struct new_entry {
    uint32_t entry;
    uint32_t str;       /* the key, or the platform user id (batch string id) */
    uint32_t uid;       /* for a key the parse side found in its read snapshot */
    uint8_t platform;
    bool is_identity;
    bool known;         /* uid is valid (unless that user was taken over since) */
} new_entry;

/* "platform identity pid belongs to entry's user, if nobody has it yet". */
typedef struct learn_req {
    uint32_t entry;
    uint32_t pid;       /* batch string id */
    uint8_t platform;
} learn_req;

typedef struct file_run file_run;

typedef struct ingest_batch {
    file_run *file;
    batch_event *events; size_t n_events, cap_events;
    str_ref *refs; size_t n_refs, cap_refs;
    uint32_t *str_off, *str_len; size_t n_strings, cap_strings;
    tamis_wbuf str_bytes;             /* the strings' bytes */
    new_entry *new_entries; size_t n_new, cap_new;
    learn_req *learns; size_t n_learns, cap_learns;
    uint8_t new_platform_ids[256];    /* platforms first used in this batch ... */
    uint32_t new_platform_names[256]; /* ... and their names (batch string ids) */
    size_t n_new_platforms;
    tamis_wbuf rejects;               /* reject lines, written before the commit */
    tamis_wbuf raw;                   /* accepted records (--keep-raw) */
    uint64_t rejected;
    uint64_t end_offset, end_line;    /* reader position after the batch */
    bool last;                        /* the file's final batch */
    bool commit;                      /* commit after applying this batch */
    int64_t ts_min, ts_max;
    bool have_ts;
} ingest_batch;

/* Per-file state shared by both sides; lives until the apply side is done with it. */
struct file_run {
    const char *path;
    bool has_ledger;
    uint8_t hash[16];
    tamis_ledger_entry ledger;        /* owned by the apply side once batches flow */
    char *raw_path;
    FILE *raw;
};

/* Apply-side view of one entry. */
typedef struct apply_entry {
    uint32_t uid;
    bool is_new;            /* created in this session and not yet flushed */
} apply_entry;

/* The stored activity of a placeholder user that was taken over: merged into the
 * state of entry `target` (read through target_of) at the next flush. */
typedef struct pending_merge {
    uint32_t target;
    uint32_t uid;           /* target's uid, set at the flush */
    tamis_user_state st;    /* owned */
} pending_merge;

struct tamis_ingest {
    tamis_store *store;
    tamis_ingest_options opts;
    char *rejects_path;
    FILE *rejects;
    uint64_t rejects_path_hash;
    tamis_ingest_reject_fn on_reject;  /* tamis_ingest_buffer's hook, else NULL */
    void *on_reject_ctx;
    bool ids_from_bytes;               /* id-less events are named by their bytes */
    uint16_t cur_job;                  /* the part being parsed (tamis_ingest_buffers) */
    bool defer_commit;                 /* the end of a buffer does not commit */

    /* parse side */
    tamis_strmap *by_key;       /* user key -> entry (or a preloaded uid, see ingest.c) */
    bool keys_preloaded;        /* by_key holds every key the store had at the start */
    tamis_strmap *by_identity;  /* platform byte + platform id -> entry */
    tamis_strmap *learned;      /* identities already sent as learn requests */
    tamis_strmap *platforms;    /* name -> id (same ids as the store's) */
    uint32_t n_platforms;
    uint32_t n_entries;
    uint64_t session_rejected;
    uint64_t rejects_shown;
    tamis_txn *peek;            /* read snapshot for user-key lookups, renewed per hand-off */
    double parse_waited;        /* seconds the parse side waited for a free batch */
    ingest_batch batches[TAMIS_PIPELINE_DEPTH]; /* a ring */
    int filling;                /* index of the batch the parse side fills */

    /* apply side */
    apply_entry *entries; size_t cap_entries, n_applied_entries;
    /* Per entry: the entry holding the user's state (itself unless the same user was
     * reached by key and by identity, or it was a placeholder taken over). */
    uint32_t *target_of; size_t cap_target_of;
    uint32_t *entry_of_uid;     /* uid -> entry (NO_ENTRY if none); uids are dense */
    size_t cap_uids;
    /* The span: every event handed over since the last commit, with its strings.
     * Events are applied only when the span is flushed, at commit: then each touched
     * user's stored state is read once, gets all its events, and is written once. */
    batch_event *span; size_t n_span, cap_span;
    str_ref *span_refs; size_t n_span_refs, cap_span_refs;
    tamis_wbuf span_bytes;
    pending_merge *merges; size_t n_merges, cap_merges;
    /* Flush work arrays, kept across commits so that later ones allocate nothing. */
    batch_event *span_tmp; size_t cap_span_tmp; /* the radix sort's other half */
    uint32_t *radix_counts;
    tamis_user_state work;                    /* the state being rebuilt */
    tamis_wbuf encode_buf;
    uint64_t accepted, duplicates, new_users; /* since the last harvest */
    /* tamis_ingest_buffers: accepted and duplicate events per part (NULL otherwise) */
    uint64_t (*job_counts)[2];
    tamis_txn *txn;             /* open across batches until one says commit */
    tamis_strmap *gone_uids;    /* placeholders taken over in this session */
    uint64_t txn_accepted0, txn_duplicates0, txn_rejected;
    int64_t txn_ts_min, txn_ts_max;
    bool txn_have_ts;

    /* hand-off */
    pthread_t worker;
    bool worker_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int queued;                 /* batches handed over and not yet done: they are the
                                   `queued` ones before `filling` in the ring */
    bool quit;
    int apply_rc;               /* first fatal error of the apply side */
    tamis_error apply_err;
};

/* Monotonic seconds, for the session's timings (summary rate, TAMIS_TRACE). */
static inline double ingest_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ingest_batch.c */
void ingest_batch_init(ingest_batch *b);
void ingest_batch_reset(ingest_batch *b);
void ingest_batch_free(ingest_batch *b);
uint32_t ingest_batch_string(ingest_batch *b, const char *s, size_t len);
/* Appends bytes to the batch's string bytes; returns their offset. */
uint32_t ingest_batch_bytes(ingest_batch *b, const char *s, size_t len);
static inline const char *ingest_batch_str(const ingest_batch *b, uint32_t id, uint32_t *len)
{
    *len = b->str_len[id];
    return (const char *)b->str_bytes.buf + b->str_off[id];
}

/* ingest_apply.c: takes one batch into the open write transaction (beginning one if
 * needed): resolves its new entries and adds its events to the span; if the batch
 * says so, flushes the span and commits. On failure the transaction is aborted and
 * the span dropped. ingest_apply_abort does that too (apply thread only). */
int ingest_apply_batch(tamis_ingest *ing, ingest_batch *b, tamis_error *err) TAMIS_WUR;
void ingest_apply_abort(tamis_ingest *ing);
void ingest_apply_free(tamis_ingest *ing);

/* ingest_flush.c: applies the span to the stored states of the users it touches, in
 * uid order, writes them and empties the span (counting accepted and duplicates). */
int ingest_flush_span(tamis_ingest *ing, tamis_txn *txn, size_t *n_written, tamis_error *err) TAMIS_WUR;
void ingest_span_drop(tamis_ingest *ing);
void ingest_flush_free(tamis_ingest *ing);

/* ingest_ledger.c: the file side. */
char *ingest_join_path(const char *a, const char *b); /* a "/" b, tamis_free it */
/* Looks the file up in the ledger: *skip for a file already fully ingested; for an
 * interrupted one, truncates the rejects file back to what its last commit left. */
int ingest_consult_ledger(tamis_ingest *ing, file_run *fr, tamis_reader *rd, bool *skip, tamis_error *err);
/* Names fr's raw archive under <data>/raw/ and truncates it to the ledger's size. */
int ingest_open_raw_archive(tamis_ingest *ing, file_run *fr, tamis_error *err);

#endif
