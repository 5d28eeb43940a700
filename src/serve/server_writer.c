/* server_writer.c — the write side of `tamis serve`: events and contacts posted to
 * the API, erasure, continuous rescoring and the daily snapshot.
 *
 * Writes are serialised by one mutex (write_mu) around one long-lived ingest session,
 * so posted events go through exactly the path `tamis ingest` takes, and a request is
 * answered only after its LMDB commit (which syncs): acknowledged means durable.
 * Events are committed in groups by a committer thread while their connections wait
 * suspended (srv_writer_submit), so request threads keep serving reads meanwhile.
 * Readers never wait for those commits (LMDB's MVCC). Erasure is the one exception:
 * tamis_store_forget rewrites the environment, so it takes the server's store lock
 * exclusively and waits for the requests in flight; every other store user holds that
 * lock shared.
 *
 * A scorer thread rescores the users that changed (tamis_score_run is incremental)
 * at most `rescore_delay` seconds after a commit made them change, at every hour
 * boundary (as-of moves: everyone's recency shifts), and takes the daily snapshot at
 * midnight of the configured zone (and at start, when the last midnight's snapshot is
 * missing). With a pinned --as-of the clock does not move: only changes rescore. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server_int.h"
#include "tamis/alloc.h"
#include "tamis/contacts_import.h"
#include "tamis/erase.h"
#include "tamis/ingest.h"
#include "tamis/score_run.h"
#include "tamis/segment.h"
#include "tamis/snapshot.h"
#include "tamis/tz.h"

#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define SESSION_RECYCLE_EVENTS 20000000ull /* a fresh ingest session after this many */
#define SEGMENT_REFRESH_S 60                /* saved segments refreshed at most this often */
#define GROUP_MAX_JOBS 64                  /* requests committed together, at most */
#define GROUP_MAX_BYTES (16u << 20)        /* and their bodies' bytes */

struct srv_writer {
    tamis_server *s;
    pthread_mutex_t queue_mu;  /* guards the queue, stopping and the jobs' done flags */
    pthread_cond_t queue_cv;   /* a job was queued, or stopping */
    srv_event_job *queue, **queue_tail;
    bool stopping;             /* no more jobs: the committer drains the queue and ends */
    pthread_t committer;
    bool committer_started;
    pthread_mutex_t write_mu;  /* one writer at a time: the ingest session, imports, erasure */
    tamis_ingest *ing;         /* created on first use; dropped when stale */
    uint64_t ing_events;       /* records through the current session */

    pthread_t scorer;
    bool scorer_started;
    pthread_mutex_t mu;        /* guards what follows */
    pthread_cond_t cv;
    bool quit, dirty;
    int64_t dirty_since_ms;    /* wall clock of the oldest unscored commit */
    int64_t next_snapshot_ms;  /* wall clock of the next local midnight; 0: none */
    int64_t last_tc_hour;      /* the hour the last run scored as of */
    double last_run_s;
    time_t segments_refreshed_s; /* CLOCK_MONOTONIC seconds of the last refresh (scorer only) */

    atomic_ullong events_accepted, events_rejected, events_duplicate;
    atomic_ullong score_runs, users_rescored, snapshots, score_failures;
};

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t as_of_ms(const srv_writer *w)
{
    return w->s->opts.as_of_ms ? w->s->opts.as_of_ms : now_ms();
}

/* The first local midnight of zone after t (wall clock, ms). */
static int64_t next_midnight(const char *zone, int64_t t)
{
    int off = 0, off2 = 0;
    tamis_error ignored;
    int64_t local, midnight_local, utc;
    if (tamis_tz_offset_minutes(zone, t, &off, &ignored) != TAMIS_OK)
        off = 0;
    local = t + (int64_t)off * 60000;
    midnight_local = (local / DAY_MS + 1) * DAY_MS;
    utc = midnight_local - (int64_t)off * 60000;
    if (tamis_tz_offset_minutes(zone, utc, &off2, &ignored) == TAMIS_OK && off2 != off)
        utc = midnight_local - (int64_t)off2 * 60000; /* a change of offset in between */
    return utc;
}

/* ------------------------------------------------------------------------------------
 * Scorer thread
 * ------------------------------------------------------------------------------------ */

static void rescore(srv_writer *w)
{
    tamis_server *s = w->s;
    tamis_score_options so = {.as_of_ms = as_of_ms(w), .threads = s->opts.score_threads};
    tamis_score_summary sum;
    tamis_error err = {0};
    struct timespec t0, t1;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_rwlock_rdlock(&s->store_lock);
    rc = tamis_score_run(s->store, s->cfg, &so, &sum, &err);
    pthread_rwlock_unlock(&s->store_lock);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc) {
        atomic_fetch_add(&w->score_failures, 1);
        fprintf(stderr, "tamis: serve: rescoring failed: %s\n", err.msg);
        return;
    }
    atomic_fetch_add(&w->score_runs, 1);
    atomic_fetch_add(&w->users_rescored, sum.users_scored);
    if (t1.tv_sec - w->segments_refreshed_s >= SEGMENT_REFRESH_S) { /* a full pass per segment: not every run */
        size_t n = 0;
        pthread_rwlock_rdlock(&s->store_lock);
        rc = tamis_segment_refresh(s->store, s->cfg, NULL, &n, &err);
        pthread_rwlock_unlock(&s->store_lock);
        if (rc)
            fprintf(stderr, "tamis: serve: refreshing segments failed: %s\n", err.msg);
        w->segments_refreshed_s = t1.tv_sec;
    }
    pthread_mutex_lock(&w->mu);
    w->last_run_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    w->last_tc_hour = (so.as_of_ms + HOUR_MS - 1) / HOUR_MS;
    pthread_mutex_unlock(&w->mu);
}

static void take_snapshot(srv_writer *w, int64_t at_ms)
{
    tamis_server *s = w->s;
    tamis_snapshot_options so = {.as_of_ms = at_ms, .threads = s->opts.score_threads,
                                 .keep_days = TAMIS_SNAPSHOT_KEEP_DAYS};
    tamis_snapshot_info info;
    tamis_error err = {0};
    int rc;
    pthread_rwlock_rdlock(&s->store_lock);
    rc = tamis_snapshot_take(s->store, s->cfg, &so, &info, &err);
    pthread_rwlock_unlock(&s->store_lock);
    if (rc)
        fprintf(stderr, "tamis: serve: snapshot failed: %s\n", err.msg);
    else
        atomic_fetch_add(&w->snapshots, 1);
}

/* At start: the snapshot of the last midnight, if it was missed. */
static void catch_up_snapshot(srv_writer *w)
{
    tamis_server *s = w->s;
    int64_t last = next_midnight(s->zone, now_ms() - DAY_MS);
    tamis_snapshot_info info;
    tamis_txn *t;
    tamis_error err;
    int rc = TAMIS_EINTERNAL;
    if (last > now_ms())
        return;
    pthread_rwlock_rdlock(&s->store_lock);
    if (tamis_txn_begin(s->store, false, &t, &err) == TAMIS_OK) {
        rc = tamis_snapshot_info_get(t, tamis_snapshot_day_of(last), &info, &err);
        tamis_txn_abort(t);
    }
    pthread_rwlock_unlock(&s->store_lock);
    if (rc == TAMIS_ENOTFOUND)
        take_snapshot(w, last);
}

static void *scorer_main(void *arg)
{
    srv_writer *w = arg;
    bool pinned = w->s->opts.as_of_ms != 0;
    double delay = w->s->opts.rescore_delay_s;

    if (!pinned && w->next_snapshot_ms)
        catch_up_snapshot(w);
    pthread_mutex_lock(&w->mu);
    while (!w->quit) {
        int64_t now = now_ms(), wake = now + 60000;
        bool run = false, snap = false;
        if (w->dirty) {
            int64_t due = w->dirty_since_ms + (int64_t)(delay * 500); /* half the bound: room for the run */
            run = now >= due;
            if (due < wake)
                wake = due;
        }
        if (!pinned) {
            int64_t next_hour = (now / HOUR_MS + 1) * HOUR_MS;
            if ((now + HOUR_MS - 1) / HOUR_MS != w->last_tc_hour)
                run = true;
            if (next_hour < wake)
                wake = next_hour;
            if (w->next_snapshot_ms) {
                snap = now >= w->next_snapshot_ms;
                if (w->next_snapshot_ms < wake)
                    wake = w->next_snapshot_ms;
            }
        }
        if (run || snap) {
            int64_t snap_at = w->next_snapshot_ms;
            if (run)
                w->dirty = false;
            if (snap)
                w->next_snapshot_ms = next_midnight(w->s->zone, snap_at);
            pthread_mutex_unlock(&w->mu);
            if (run)
                rescore(w);
            if (snap)
                take_snapshot(w, snap_at);
            pthread_mutex_lock(&w->mu);
            continue;
        }
        {
            struct timespec until = {.tv_sec = wake / 1000, .tv_nsec = (long)(wake % 1000) * 1000000};
            pthread_cond_timedwait(&w->cv, &w->mu, &until);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void mark_dirty(srv_writer *w)
{
    pthread_mutex_lock(&w->mu);
    if (!w->dirty) {
        w->dirty = true;
        w->dirty_since_ms = now_ms();
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
}

/* ------------------------------------------------------------------------------------
 * Writes
 * ------------------------------------------------------------------------------------ */

/* Drops the ingest session: after erasure or a contacts import its cached names and
 * identities may be stale. Call with write_mu held. */
static void drop_session(srv_writer *w)
{
    tamis_ingest_free(w->ing);
    w->ing = NULL;
    w->ing_events = 0;
}

/* Runs one group of jobs through the ingest session in one transaction. */
static void run_group(srv_writer *w, srv_event_job *group)
{
    tamis_ingest_part parts[GROUP_MAX_JOBS];
    size_t n = 0;
    tamis_error err = {0};
    int rc = TAMIS_OK;

    for (srv_event_job *j = group; j; j = j->next)
        parts[n++] = j->part;
    pthread_mutex_lock(&w->write_mu);
    pthread_rwlock_rdlock(&w->s->store_lock);
    if (w->ing && w->ing_events > SESSION_RECYCLE_EVENTS)
        drop_session(w);
    if (!w->ing) {
        tamis_ingest_options io = {.max_errors = UINT64_MAX};
        rc = tamis_ingest_new(w->s->store, &io, &w->ing, &err);
    }
    if (rc == TAMIS_OK) {
        rc = tamis_ingest_buffers(w->ing, parts, n, &err);
        for (size_t i = 0; i < n; i++)
            w->ing_events += parts[i].sum.records;
        if (rc)
            drop_session(w); /* a fatal error: start clean next time */
    } else {
        for (size_t i = 0; i < n; i++) {
            parts[i].rc = rc;
            parts[i].err = err;
        }
    }
    pthread_rwlock_unlock(&w->s->store_lock);
    pthread_mutex_unlock(&w->write_mu);
    n = 0;
    for (srv_event_job *j = group; j; j = j->next) {
        j->part = parts[n++];
        if (j->part.rc == TAMIS_OK) {
            atomic_fetch_add(&w->events_accepted, j->part.sum.accepted);
            atomic_fetch_add(&w->events_rejected, j->part.sum.rejected);
            atomic_fetch_add(&w->events_duplicate, j->part.sum.duplicates);
            if (j->part.sum.accepted)
                mark_dirty(w);
        }
    }
}

/* The committer thread: group commit. It takes every job queued so far (up to a cap)
 * and commits them in one transaction, then wakes their connections. A commit costs
 * about as much for one request as for many, so under load the requests share it;
 * each job is still counted and answered on its own. While it commits, the request
 * threads go on serving (the waiting connections are suspended, not their threads). */
static void *committer_main(void *arg)
{
    srv_writer *w = arg;
    struct MHD_Connection *wake[GROUP_MAX_JOBS];
    pthread_mutex_lock(&w->queue_mu);
    for (;;) {
        srv_event_job *group, **cut = &w->queue;
        size_t n = 0, bytes = 0;
        while (!w->queue && !w->stopping)
            pthread_cond_wait(&w->queue_cv, &w->queue_mu);
        if (!w->queue)
            break; /* stopping, and drained */
        group = w->queue;
        while (*cut && n < GROUP_MAX_JOBS && (n == 0 || bytes + (*cut)->part.len <= GROUP_MAX_BYTES)) {
            bytes += (*cut)->part.len;
            cut = &(*cut)->next;
            n++;
        }
        w->queue = *cut;
        if (!w->queue)
            w->queue_tail = &w->queue;
        *cut = NULL;
        pthread_mutex_unlock(&w->queue_mu);
        run_group(w, group);
        pthread_mutex_lock(&w->queue_mu);
        n = 0;
        for (srv_event_job *j = group; j; j = j->next) {
            wake[n++] = j->conn;
            j->done = true; /* from here on the job is its request's alone */
        }
        pthread_mutex_unlock(&w->queue_mu);
        for (size_t i = 0; i < n; i++)
            MHD_resume_connection(wake[i]);
        pthread_mutex_lock(&w->queue_mu);
    }
    pthread_mutex_unlock(&w->queue_mu);
    return NULL;
}

bool srv_writer_submit(srv_writer *w, srv_event_job *job)
{
    bool ok;
    job->done = false;
    job->next = NULL;
    pthread_mutex_lock(&w->queue_mu);
    ok = !w->stopping;
    if (ok) {
        MHD_suspend_connection(job->conn); /* before the committer can resume it */
        *w->queue_tail = job;
        w->queue_tail = &job->next;
        pthread_cond_signal(&w->queue_cv);
    }
    pthread_mutex_unlock(&w->queue_mu);
    return ok;
}

bool srv_writer_job_done(srv_writer *w, const srv_event_job *job)
{
    bool done;
    pthread_mutex_lock(&w->queue_mu);
    done = job->done;
    pthread_mutex_unlock(&w->queue_mu);
    return done;
}

void srv_writer_drain(srv_writer *w)
{
    if (!w || !w->committer_started)
        return;
    pthread_mutex_lock(&w->queue_mu);
    w->stopping = true;
    pthread_cond_signal(&w->queue_cv);
    pthread_mutex_unlock(&w->queue_mu);
    pthread_join(w->committer, NULL);
    w->committer_started = false;
}

int srv_writer_contacts(srv_writer *w, const char *name, const char *csv, size_t len, void *ctx,
                        void (*on_reject)(void *, uint64_t, const char *), tamis_import_summary *sum,
                        tamis_error *err)
{
    tamis_import_options io = {.max_errors = UINT64_MAX, .data = csv, .data_len = len, .on_reject = on_reject,
                               .hook_ctx = ctx,
                               .default_country = w->s->opts.default_country};
    int rc;
    memset(sum, 0, sizeof *sum);
    pthread_mutex_lock(&w->write_mu);
    pthread_rwlock_rdlock(&w->s->store_lock);
    drop_session(w); /* the import may take placeholder users over */
    rc = tamis_import_contacts(w->s->store, name, &io, sum, err);
    pthread_rwlock_unlock(&w->s->store_lock);
    pthread_mutex_unlock(&w->write_mu);
    if (rc == TAMIS_OK && (sum->new_users || sum->updated_users))
        mark_dirty(w);
    return rc;
}

int srv_writer_forget(srv_writer *w, const char *key, tamis_forget_summary *sum, tamis_error *err)
{
    int rc;
    memset(sum, 0, sizeof *sum);
    pthread_mutex_lock(&w->write_mu);
    drop_session(w);
    srv_erasure_begin(w->s);
    pthread_rwlock_wrlock(&w->s->store_lock); /* the environment is rewritten */
    rc = tamis_store_forget(w->s->store, &key, 1, sum, err);
    pthread_rwlock_unlock(&w->s->store_lock);
    srv_erasure_end(w->s);
    pthread_mutex_unlock(&w->write_mu);
    return rc;
}

void srv_writer_metrics(srv_writer *w, FILE *out)
{
    double lag = 0, last_run;
    pthread_mutex_lock(&w->mu);
    if (w->dirty)
        lag = (double)(now_ms() - w->dirty_since_ms) / 1e3;
    last_run = w->last_run_s;
    pthread_mutex_unlock(&w->mu);
    fprintf(out,
            "# HELP tamis_events_total Events posted to /v1/events, by outcome.\n"
            "# TYPE tamis_events_total counter\n"
            "tamis_events_total{outcome=\"accepted\"} %llu\n"
            "tamis_events_total{outcome=\"rejected\"} %llu\n"
            "tamis_events_total{outcome=\"duplicate\"} %llu\n"
            "# HELP tamis_scoring_lag_seconds Age of the oldest change not yet rescored (0: none).\n"
            "# TYPE tamis_scoring_lag_seconds gauge\ntamis_scoring_lag_seconds %.3f\n"
            "# HELP tamis_score_runs_total Rescoring runs since start.\n"
            "# TYPE tamis_score_runs_total counter\ntamis_score_runs_total %llu\n"
            "# HELP tamis_score_failures_total Rescoring runs that failed.\n"
            "# TYPE tamis_score_failures_total counter\ntamis_score_failures_total %llu\n"
            "# HELP tamis_users_rescored_total Users rescored since start.\n"
            "# TYPE tamis_users_rescored_total counter\ntamis_users_rescored_total %llu\n"
            "# HELP tamis_score_run_seconds Duration of the last rescoring run.\n"
            "# TYPE tamis_score_run_seconds gauge\ntamis_score_run_seconds %.3f\n"
            "# HELP tamis_snapshots_total Daily snapshots taken since start.\n"
            "# TYPE tamis_snapshots_total counter\ntamis_snapshots_total %llu\n",
            atomic_load(&w->events_accepted), atomic_load(&w->events_rejected), atomic_load(&w->events_duplicate),
            lag, atomic_load(&w->score_runs), atomic_load(&w->score_failures), atomic_load(&w->users_rescored),
            last_run, atomic_load(&w->snapshots));
}

int srv_writer_start(tamis_server *s, srv_writer **out, tamis_error *err)
{
    srv_writer *w = tamis_calloc(1, sizeof *w);
    w->s = s;
    pthread_mutex_init(&w->write_mu, NULL);
    pthread_mutex_init(&w->queue_mu, NULL);
    pthread_cond_init(&w->queue_cv, NULL);
    w->queue_tail = &w->queue;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->dirty = true; /* changes made while no server ran are rescored at once */
    w->dirty_since_ms = now_ms() - (int64_t)(s->opts.rescore_delay_s * 1000);
    w->last_tc_hour = -1;
    if (s->opts.rescore_delay_s >= 0 && s->zone[0])
        w->next_snapshot_ms = next_midnight(s->zone, now_ms());
    if (pthread_create(&w->committer, NULL, committer_main, w) != 0) {
        srv_writer_stop(w);
        return tamis_error_set(err, TAMIS_EINTERNAL, "cannot start the committer thread");
    }
    w->committer_started = true;
    if (s->opts.rescore_delay_s >= 0) {
        if (pthread_create(&w->scorer, NULL, scorer_main, w) != 0) {
            srv_writer_stop(w);
            return tamis_error_set(err, TAMIS_EINTERNAL, "cannot start the scorer thread");
        }
        w->scorer_started = true;
    }
    *out = w;
    return TAMIS_OK;
}

void srv_writer_stop(srv_writer *w)
{
    if (!w)
        return;
    srv_writer_drain(w);
    if (w->scorer_started) {
        pthread_mutex_lock(&w->mu);
        w->quit = true;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->scorer, NULL);
    }
    pthread_mutex_lock(&w->write_mu);
    drop_session(w);
    pthread_mutex_unlock(&w->write_mu);
    pthread_mutex_destroy(&w->write_mu);
    pthread_mutex_destroy(&w->queue_mu);
    pthread_cond_destroy(&w->queue_cv);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    tamis_free(w);
}
