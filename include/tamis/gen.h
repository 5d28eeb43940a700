/* gen.h — deterministic synthetic data: a contacts CSV and an events CSV/NDJSON that
 * look like what an operator would feed tamis (src/gen).
 *
 * The generator is the test bed of the whole product: `tamis gen` writes the sample
 * of `make run`, the unit and end-to-end tests read its files, and bench/ingest.sh
 * measures ingest on them. It sits outside the data flow (it only writes the inputs
 * that src/event and src/store later read) and shares nothing with the parsers but
 * the kind table of kinds.h and the field names of event.h.
 *
 * Output is a pure function of the options: the same options (seed included) give
 * byte-identical files, on any run. Memory is O(users); events are streamed in time
 * order (with up to 15 minutes of local disorder) and never held in memory.
 * What the data looks like — countries, phones, platforms, activity shapes, campaigns,
 * device farms, duplicates and malformed lines — is documented in docs/GEN.md. */
#ifndef TAMIS_GEN_H
#define TAMIS_GEN_H

#include <stdint.h>
#include <stdio.h>

#include "tamis/error.h"
#include "tamis/event.h"
#include "tamis/kinds.h"
#include "tamis/progress.h"

/* 2026-11-01T00:00:00Z: the default end of the simulated window, fixed (not "now") so
 * that the output does not depend on the day it is generated. */
#define TAMIS_GEN_DEFAULT_END_MS INT64_C(1793491200000)

#define TAMIS_GEN_MAX_USERS 100000000u          /* user indices fit in 32 bits */
#define TAMIS_GEN_MAX_EVENTS UINT64_C(100000000000)
#define TAMIS_GEN_MAX_DAYS 3650u                /* ten years of 15-minute slices */
#define TAMIS_GEN_MAX_BAD_LINES UINT64_C(1000000000)

typedef struct tamis_gen_options {
    uint64_t users;      /* contacts rows, 1..TAMIS_GEN_MAX_USERS */
    uint64_t events;     /* well-formed event lines, exactly (duplicates included) */
    uint32_t days;       /* window length, 1..TAMIS_GEN_MAX_DAYS */
    uint64_t seed;       /* any value; 0 is fine */
    int64_t end_ms;      /* events fall in [end_ms - days, end_ms), UTC ms */
    uint64_t bad_lines;  /* malformed lines added to the events file, exactly */
    tamis_format format; /* TAMIS_FORMAT_CSV or TAMIS_FORMAT_NDJSON for events */
    tamis_progress *progress; /* borrowed, may be NULL: updated with events written */
} tamis_gen_options;

/* What a run wrote; the tests and the CLI summary read it. */
typedef struct tamis_gen_stats {
    uint64_t contacts;          /* contact rows (= users) */
    uint64_t events;            /* well-formed event lines (= options.events) */
    uint64_t duplicates;        /* of which exact repeats of an earlier line (same id) */
    uint64_t bad_lines;         /* malformed lines (= options.bad_lines) */
    uint64_t with_id;           /* good lines carrying an `id` (duplicates included) */
    uint64_t platform_keyed;    /* good lines keyed by platform + platform_id only */
    uint64_t unknown_ids;       /* of which with a platform id absent from contacts */
    uint64_t by_kind[TAMIS_KIND__COUNT]; /* good lines per kind */
    uint64_t farms;             /* shared devices ("farms") */
    uint64_t farm_accounts;     /* accounts on them */
    uint64_t campaigns;         /* outbound campaigns */
    uint64_t contacts_bytes;
    uint64_t events_bytes;
} tamis_gen_stats;

/* Fills o with the defaults: 1000 users, 20000 events, 90 days, seed 1, end
 * TAMIS_GEN_DEFAULT_END_MS, no bad lines, CSV, no progress. */
void tamis_gen_options_init(tamis_gen_options *o);

/* Writes the contacts CSV to `contacts` and the events to `events` (either may be NULL
 * to skip that file; the population is simulated either way). The FILEs stay owned by
 * the caller, who closes them; they are flushed but not closed. stats may be NULL.
 * Returns TAMIS_OK, TAMIS_EUSAGE for options out of range, TAMIS_EIO when a write
 * fails (the files are then incomplete), TAMIS_ELIMIT if an internal cap is hit. */
int tamis_gen_write(const tamis_gen_options *o, FILE *contacts, FILE *events,
                    tamis_gen_stats *stats, tamis_error *err) TAMIS_WUR;

/* Writes what the generator knows and the data only shows: one row per contact,
 * `user,lifecycle,change,asleep,farm` — lifecycle steady, cooling or warming; change
 * the UTC date a cooling user starts to fade or a warming user becomes active (empty
 * when steady); asleep 1 for users without organic activity; farm 1 for accounts of
 * a shared device. Same population as tamis_gen_write for the same options. The tests
 * of cooling alerts read it (docs/GEN.md). */
int tamis_gen_write_truth(const tamis_gen_options *o, FILE *out, tamis_error *err) TAMIS_WUR;

#endif
