/* cmd_rfm.c — `tamis rfm [--as-of T] [--window 365d]`: recency, frequency and monetary
 * quintiles of the purchasers and the named RFM segments (include/tamis/rfm.h,
 * docs/AUDIENCES.md), as a summary table, CSV or JSON, or one row per purchaser
 * (--users) for export. Nothing is stored: the table is computed from the stored
 * activity on every call. Also home of the --window parser `tamis cross` shares. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/render.h"
#include "model/results.h"
#include "tamis/rfm.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] rfm [--as-of TIME] [--window DAYSd] [--users]\n"
            "                              [--format table|csv|json|ndjson] [--threads N]\n"
            "\n"
            "RFM of every purchaser as of TIME (default: now): recency (time since the\n"
            "last purchase), frequency (purchases) and monetary value (sum of purchase\n"
            "values) in the WINDOW days before TIME (default 365d, at most the store's\n"
            "retention), each ranked into quintile scores 1-5 among purchasers (5 best),\n"
            "and the named segment of (R, FM); users without a purchase in the window\n"
            "have no RFM and are counted apart. Definitions: docs/AUDIENCES.md.\n"
            "\n"
            "  --users        one row per purchaser (csv or ndjson; default csv):\n"
            "                 user,recency_days,frequency,monetary,r_score,f_score,\n"
            "                 m_score,fm_score,rfm_segment\n"
            "  --format F     table (default), csv or json summary; csv or ndjson rows\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage (also: window longer than the store\n"
            "keeps), 5 store busy\n");
}

int tamis_cli_parse_window_days(const char *cmd, const char *value, unsigned *out)
{
    char *end;
    long n = strtol(value, &end, 10);
    if (end != value && *end == 'd')
        end++;
    if (end == value || *end || n < 1 || n > TAMIS_RFM_MAX_WINDOW_DAYS) {
        fprintf(stderr, "tamis %s: --window wants days from 1 to %u, like 365d, not '%s'\n", cmd,
                TAMIS_RFM_MAX_WINDOW_DAYS, value);
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

static double money(int64_t micros)
{
    return (double)micros / 1e6;
}

static void print_band(const tamis_rfm_band *b, int dim, bool last)
{
    char cell[64];
    if (b->users == 0)
        snprintf(cell, sizeof cell, "-");
    else if (dim == 0)
        snprintf(cell, sizeof cell, "%" PRId64 "-%" PRId64 " (%" PRIu64 ")", b->lo / 24, b->hi / 24, b->users);
    else if (dim == 1)
        snprintf(cell, sizeof cell, "%" PRId64 "-%" PRId64 " (%" PRIu64 ")", b->lo, b->hi, b->users);
    else
        snprintf(cell, sizeof cell, "%.2f-%.2f (%" PRIu64 ")", money(b->lo), money(b->hi), b->users);
    printf(last ? " %.24s" : " %-24.24s", cell);
}

static void print_table(const tamis_rfm_table *t)
{
    char as_of[64];
    tamis_cli_iso_time(t->as_of_ms, as_of);
    printf("RFM as of %s, %u days: %" PRIu64 " purchasers of %" PRIu64 " users\n", as_of, t->window_days,
           t->purchasers, t->users);
    if (t->data_from_ms && t->data_from_ms > t->window_end_ms - (int64_t)t->window_days * 86400000LL) {
        char from[64];
        tamis_cli_iso_time(t->data_from_ms, from);
        printf("(the store's events start at %s, after the window does)\n", from);
    }
    printf("\n%-5s %-24s %-24s %s\n", "score", "R: days since purchase", "F: purchases", "M: value");
    for (int s = TAMIS_RFM_SCORES; s >= 1; s--) {
        printf("%-5d", s);
        for (int d = 0; d < 3; d++)
            print_band(&t->bands[d][s - 1], d, d == 2);
        putchar('\n');
    }
    printf("\n%-20s %10s %7s\n", "segment", "users", "share");
    for (int g = 0; g < TAMIS_RFM__COUNT; g++)
        printf("%-20s %10" PRIu64 " %6.1f%%\n", tamis_rfm_segment_title((unsigned)g), t->segments[g],
               t->purchasers ? 100.0 * (double)t->segments[g] / (double)t->purchasers : 0.0);
    printf("%-20s %10" PRIu64 "\n", "(no purchase)", t->users >= t->purchasers ? t->users - t->purchasers : 0);
}

static void print_csv(const tamis_rfm_table *t)
{
    printf("segment,title,users,share\n");
    for (int g = 0; g < TAMIS_RFM__COUNT; g++)
        printf("%s,%s,%" PRIu64 ",%.6f\n", tamis_rfm_segment_name((unsigned)g), tamis_rfm_segment_title((unsigned)g),
               t->segments[g], t->purchasers ? (double)t->segments[g] / (double)t->purchasers : 0.0);
    printf("none,no purchase,%" PRIu64 ",\n", t->users >= t->purchasers ? t->users - t->purchasers : 0);
}

static void print_json(const tamis_rfm_table *t)
{
    static const char *const dims[3] = {"recency_hours", "frequency", "monetary"};
    char as_of[64];
    tamis_cli_iso_time(t->as_of_ms, as_of);
    printf("{\"as_of\":\"%s\",\"window_days\":%u,\"users\":%" PRIu64 ",\"purchasers\":%" PRIu64
           ",\"non_purchasers\":%" PRIu64 ",\"quintiles\":{",
           as_of, t->window_days, t->users, t->purchasers, t->users >= t->purchasers ? t->users - t->purchasers : 0);
    for (int d = 0; d < 3; d++) {
        printf("%s\"%s\":[", d ? "," : "", dims[d]);
        for (int s = 1; s <= TAMIS_RFM_SCORES; s++) {
            const tamis_rfm_band *b = &t->bands[d][s - 1];
            printf("%s{\"score\":%d,\"users\":%" PRIu64, s > 1 ? "," : "", s, b->users);
            if (b->users && d == 2)
                printf(",\"min\":%.6f,\"max\":%.6f}", money(b->lo), money(b->hi));
            else if (b->users)
                printf(",\"min\":%" PRId64 ",\"max\":%" PRId64 "}", b->lo, b->hi);
            else
                printf(",\"min\":null,\"max\":null}");
        }
        putchar(']');
    }
    printf("},\"segments\":[");
    for (int g = 0; g < TAMIS_RFM__COUNT; g++)
        printf("%s{\"segment\":\"%s\",\"title\":\"%s\",\"users\":%" PRIu64 "}", g ? "," : "",
               tamis_rfm_segment_name((unsigned)g), tamis_rfm_segment_title((unsigned)g), t->segments[g]);
    printf("]}\n");
}

static int print_users(tamis_store *store, const tamis_rfm_table *t, tamis_out_format format, tamis_error *err)
{
    tamis_txn *txn;
    char key[1024];
    int rc = tamis_txn_begin(store, false, &txn, err);
    if (rc)
        return rc;
    if (format == TAMIS_OUT_CSV)
        printf("user,recency_days,frequency,monetary,r_score,f_score,m_score,fm_score,rfm_segment\n");
    for (size_t i = 0; i < t->n; i++) {
        const tamis_rfm_user *u = &t->rows[i];
        tamis_results_user_key(txn, u->uid, key, sizeof key);
        if (format == TAMIS_OUT_CSV) {
            tamis_render_csv_string(stdout, key);
            printf(",%u,%u,%.6f,%u,%u,%u,%u,%s\n", u->raw.recency_hours / 24, u->raw.frequency,
                   money(u->raw.monetary_micros), u->r, u->f, u->m, u->fm, tamis_rfm_segment_name(u->segment));
        } else {
            printf("{\"user\":");
            tamis_render_json_string(stdout, key);
            printf(",\"recency_days\":%u,\"frequency\":%u,\"monetary\":%.6f,\"r_score\":%u,\"f_score\":%u,"
                   "\"m_score\":%u,\"fm_score\":%u,\"rfm_segment\":\"%s\"}\n",
                   u->raw.recency_hours / 24, u->raw.frequency, money(u->raw.monetary_micros), u->r, u->f, u->m,
                   u->fm, tamis_rfm_segment_name(u->segment));
        }
    }
    tamis_txn_abort(txn);
    return TAMIS_OK;
}

int tamis_cmd_rfm(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"as-of", required_argument, 0, 'a'},
                                              {"window", required_argument, 0, 'w'},
                                              {"users", no_argument, 0, 'u'},
                                              {"format", required_argument, 0, 'f'},
                                              {"threads", required_argument, 0, 'T'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, true);
    int format = -1;
    tamis_store *store = NULL;
    tamis_progress *progress = NULL;
    tamis_error err = {0};
    tamis_rfm_table t;
    long long as_of = tamis_cli_now_ms();
    unsigned window = TAMIS_RFM_DEFAULT_WINDOW_DAYS, threads = 0;
    bool users = false;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (tamis_cli_parse_time("rfm", "--as-of", optarg, &as_of) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'w':
            if (tamis_cli_parse_window_days("rfm", optarg, &window) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'u': users = true; break;
        case 'f':
            if (!strcmp(optarg, "table"))
                format = TAMIS_OUT_TEXT;
            else if ((format = tamis_cli_parse_format("rfm", optarg,
                                                      1u << TAMIS_OUT_CSV | 1u << TAMIS_OUT_JSON |
                                                          1u << TAMIS_OUT_NDJSON)) < 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'T':
            if (tamis_cli_parse_threads("rfm", optarg, &threads) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tamis rfm: unexpected argument '%s'\n", argv[optind]);
        return TAMIS_EXIT_USAGE;
    }
    if (format < 0)
        format = users ? TAMIS_OUT_CSV : TAMIS_OUT_TEXT;
    if (users ? (format != TAMIS_OUT_CSV && format != TAMIS_OUT_NDJSON) : format == TAMIS_OUT_NDJSON) {
        fprintf(stderr, "tamis rfm: %s\n",
                users ? "--users writes csv or ndjson" : "the summary is table, csv or json (ndjson needs --users)");
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0)
        return tamis_cli_fail("rfm", rc, err.msg);
    progress = tamis_progress_new("rfm", 0, cli->stderr_is_tty);
    rc = tamis_rfm_compute(store, as_of, window, threads, progress, &t, &err);
    tamis_progress_free(progress);
    if (rc == 0) {
        if (users)
            rc = print_users(store, &t, (tamis_out_format)format, &err);
        else if (format == TAMIS_OUT_TEXT)
            print_table(&t);
        else if (format == TAMIS_OUT_CSV)
            print_csv(&t);
        else
            print_json(&t);
    }
    tamis_rfm_table_free(&t);
    tamis_store_close(store);
    if (rc == 0 && fflush(stdout) != 0)
        rc = tamis_error_set(&err, TAMIS_EIO, "write to stdout failed");
    return rc ? tamis_cli_fail("rfm", rc, err.msg) : TAMIS_EXIT_OK;
}
