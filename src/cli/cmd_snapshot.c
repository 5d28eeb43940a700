/* cmd_snapshot.c — `tamis snapshot [--as-of T]`: store every user's tier, score, trend
 * and sub-scores for T's date (src/model/snapshot.c); `tamis snapshots`: list them. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "model/render.h"
#include "model/results.h"
#include "tamis/alloc.h"
#include "tamis/event.h"
#include "tamis/score.h"
#include "tamis/score_run.h"
#include "tamis/snapshot.h"

#define META_KEEP_DAYS "snapshot_keep_days"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] [--config FILE] snapshot [--as-of TIME] [--keep-days N]\n"
            "                                                 [--threads N] [-q]\n"
            "\n"
            "Judge every user as of TIME (default: now) and store a snapshot of their tier,\n"
            "score, trend and sub-scores under TIME's UTC date, replacing an earlier snapshot\n"
            "of that date. A past date gives what a snapshot taken then would have given.\n"
            "Snapshots older than the newest minus the kept days are dropped.\n"
            "\n"
            "  --as-of TIME   unix seconds or ms, ISO-8601 with a zone, or YYYY-MM-DD (UTC)\n"
            "  --keep-days N  days of snapshots to keep before the newest (stored; default\n"
            "                 400; 0 keeps all)\n"
            "  --threads N    threads judging users, 1-8 (default: one per CPU)\n"
            "  -q             no summary on stderr\n"
            "\n"
            "exit codes: 0 ok, 1 failure (nothing stored), 2 usage, 5 store busy\n");
}

static int parse_uint(const char *cmd, const char *opt, const char *value, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(value, &end, 10);
    if (end == value || *end || value[0] == '-' || v > max) {
        fprintf(stderr, "tamis %s: %s wants a number from 0 to %lu, not '%s'\n", cmd, opt, max, value);
        return -1;
    }
    *out = v;
    return 0;
}

/* The stored retention, or the default. */
static uint32_t stored_keep_days(tamis_store *store)
{
    tamis_txn *t;
    tamis_error err;
    uint32_t keep = TAMIS_SNAPSHOT_KEEP_DAYS;
    bool present = false;
    if (tamis_txn_begin(store, false, &t, &err) == 0) {
        int64_t v = tamis_meta_get_i64(t, META_KEEP_DAYS, &present);
        if (present && v >= 0)
            keep = (uint32_t)v;
        tamis_txn_abort(t);
    }
    return keep;
}

static int store_keep_days(tamis_store *store, uint32_t keep, tamis_error *err)
{
    tamis_txn *t;
    int rc = tamis_txn_begin(store, true, &t, err);
    if (rc)
        return rc;
    if ((rc = tamis_meta_put_i64(t, META_KEEP_DAYS, keep, err)) != 0) {
        tamis_txn_abort(t);
        return rc;
    }
    return tamis_txn_commit(t, err);
}

int tamis_cmd_snapshot(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"as-of", required_argument, 0, 'a'},
                                              {"keep-days", required_argument, 0, 'k'},
                                              {"threads", required_argument, 0, 'T'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    tamis_snapshot_options opts = {0};
    tamis_snapshot_info info;
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, false);
    tamis_model_config *cfg = NULL;
    tamis_store *store = NULL;
    tamis_error err = {0};
    long long as_of = 0;
    unsigned long v;
    bool have_as_of = false, quiet = false, have_keep = false;
    int c, rc;

    while ((c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (tamis_cli_parse_time("snapshot", "--as-of", optarg, &as_of) != 0)
                return TAMIS_EXIT_USAGE;
            have_as_of = true;
            break;
        case 'k':
            if (parse_uint("snapshot", "--keep-days", optarg, 100000, &v) != 0)
                return TAMIS_EXIT_USAGE;
            opts.keep_days = (uint32_t)v;
            have_keep = true;
            break;
        case 'T':
            if (tamis_cli_parse_threads("snapshot", optarg, &opts.threads) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tamis snapshot: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    if (!have_as_of)
        as_of = tamis_cli_now_ms();
    opts.as_of_ms = as_of;
    if ((rc = tamis_cli_load_config(cli, "snapshot", &cfg)) != TAMIS_EXIT_OK)
        return rc;
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0) {
        tamis_model_config_free(cfg);
        return tamis_cli_fail("snapshot", rc, err.msg);
    }
    if (have_keep)
        rc = store_keep_days(store, opts.keep_days, &err);
    else
        opts.keep_days = stored_keep_days(store);
    opts.progress = tamis_progress_new("snapshot", 0, cli->stderr_is_tty && !quiet);
    if (rc == 0)
        rc = tamis_snapshot_take(store, cfg, &opts, &info, &err);
    tamis_progress_finish(opts.progress);
    tamis_progress_free(opts.progress);
    tamis_store_close(store);
    tamis_model_config_free(cfg);
    if (rc)
        return tamis_cli_fail("snapshot", rc, err.msg);
    if (!quiet) {
        char when[64], date[32];
        tamis_cli_iso_time(as_of, when);
        tamis_format_utc_date(info.day, date);
        fprintf(stderr, "snapshot: %s (as of %s): %llu user(s), %llu bytes (%.2f bytes/user)\n", date, when,
                (unsigned long long)info.users, (unsigned long long)info.bytes,
                info.users ? (double)info.bytes / (double)info.users : 0.0);
    }
    return TAMIS_EXIT_OK;
}

/* ---------------------------------------------------------------- snapshots */

static void list_usage(FILE *out)
{
    fprintf(out, "usage: tamis [--data DIR] snapshots [--format table|csv|json]\n"
                 "       tamis [--data DIR] snapshots --date DATE [--format csv|ndjson]\n"
                 "\n"
                 "List the stored snapshots: date, as-of time, users per tier, stored bytes.\n"
                 "With --date, write that snapshot's users: user, tier, trend, score, the\n"
                 "sub-scores, country and platforms.\n"
                 "\n"
                 "exit codes: 0 ok, 1 failure, 2 usage, 4 no snapshot of DATE, 5 store busy\n");
}

typedef struct users_ctx {
    tamis_txn *txn;
    tamis_out_format format;
    tamis_platform_names names;
} users_ctx;

static void put_csv_field(const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

/* One user of a snapshot (a tamis_snapshot_pair_fn over the same day twice). */
static int print_user(void *vctx, uint32_t uid, const tamis_snapshot_user *u, const tamis_snapshot_user *same)
{
    users_ctx *x = vctx;
    char key[1024];
    (void)same;
    tamis_results_user_key(x->txn, uid, key, sizeof key);
    if (x->format == TAMIS_OUT_NDJSON) {
        fputs("{\"user\":", stdout);
        tamis_render_json_string(stdout, key);
        printf(",\"tier\":\"%s\",\"trend\":\"%s\",\"score\":%u", tamis_tier_name(u->tier),
               tamis_trend_name(u->trend), u->score);
        for (int s = 0; s < TAMIS_SUB__COUNT; s++)
            u->sub[s] == TAMIS_SUB_NULL ? printf(",\"%s\":null", tamis_subscore_name(s))
                                        : printf(",\"%s\":%u", tamis_subscore_name(s), u->sub[s]);
        fputs(",\"country\":", stdout);
        u->country[0] ? tamis_render_json_string(stdout, u->country) : (void)fputs("null", stdout);
        fputs(",\"platforms\":[", stdout);
        for (uint8_t i = 0; i < u->n_platforms; i++) {
            const char *name = x->names.name[u->platforms[i]];
            if (i)
                putchar(',');
            tamis_render_json_string(stdout, name ? name : "?");
        }
        fputs("]}\n", stdout);
        return 0;
    }
    put_csv_field(key);
    printf(",%s,%s,%u", tamis_tier_name(u->tier), tamis_trend_name(u->trend), u->score);
    for (int s = 0; s < TAMIS_SUB__COUNT; s++)
        u->sub[s] == TAMIS_SUB_NULL ? printf(",") : printf(",%u", u->sub[s]);
    printf(",%s,", u->country);
    for (uint8_t i = 0; i < u->n_platforms; i++) {
        const char *name = x->names.name[u->platforms[i]];
        printf("%s%s", i ? "|" : "", name ? name : "?");
    }
    putchar('\n');
    return 0;
}

static int print_users(tamis_store *store, tamis_txn *txn, uint32_t day, tamis_out_format format, tamis_error *err)
{
    users_ctx x = {txn, format, {{0}, 0, {0}}};
    tamis_score_platform_names(store, &x.names);
    if (format == TAMIS_OUT_CSV) {
        printf("user,tier,trend,score");
        for (int s = 0; s < TAMIS_SUB__COUNT; s++)
            printf(",%s", tamis_subscore_name(s));
        printf(",country,platforms\n");
    }
    return tamis_snapshot_walk_pair(txn, day, day, print_user, &x, err);
}

static void print_rows(const tamis_snapshot_info *rows, size_t n, tamis_out_format format)
{
    char date[32], when[64];
    if (format == TAMIS_OUT_TEXT) {
        /* 10 + 9 + 7 x 8 + 5 = 80 columns; the as-of time is in the csv and json */
        printf("%-10s %8s %7s %7s %7s %7s %7s %7s %7s %4s\n", "date", "users", "unrch", "risky", "daily", "hi_int",
               "occas", "silent", "dormnt", "B/u");
    } else if (format == TAMIS_OUT_CSV) {
        printf("date,as_of,users");
        for (int t = 0; t < TAMIS_TIER__COUNT; t++)
            printf(",%s", tamis_tier_name(t));
        printf(",bytes,bytes_per_user\n");
    }
    for (size_t i = 0; i < n; i++) {
        const tamis_snapshot_info *r = &rows[i];
        double per = r->users ? (double)r->bytes / (double)r->users : 0.0;
        tamis_format_utc_date(r->day, date);
        tamis_cli_iso_time(r->as_of_ms, when);
        if (format == TAMIS_OUT_TEXT) {
            printf("%-10s %8llu", date, (unsigned long long)r->users);
            for (int t = 0; t < TAMIS_TIER__COUNT; t++)
                printf(" %7llu", (unsigned long long)r->tiers[t]);
            printf(" %4.1f\n", per);
        } else {
            printf("%s,%s,%llu", date, when, (unsigned long long)r->users);
            for (int t = 0; t < TAMIS_TIER__COUNT; t++)
                printf(",%llu", (unsigned long long)r->tiers[t]);
            printf(",%llu,%.4f\n", (unsigned long long)r->bytes, per);
        }
    }
}

static void print_json(const tamis_snapshot_info *rows, size_t n)
{
    json_t *arr = json_array();
    char date[32], when[64], *text;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object(), *tiers = json_object();
        tamis_format_utc_date(rows[i].day, date);
        tamis_cli_iso_time(rows[i].as_of_ms, when);
        for (int t = 0; t < TAMIS_TIER__COUNT; t++)
            json_object_set_new(tiers, tamis_tier_name(t), json_integer((json_int_t)rows[i].tiers[t]));
        json_object_set_new(o, "date", json_string(date));
        json_object_set_new(o, "as_of", json_string(when));
        json_object_set_new(o, "users", json_integer((json_int_t)rows[i].users));
        json_object_set_new(o, "tiers", tiers);
        json_object_set_new(o, "bytes", json_integer((json_int_t)rows[i].bytes));
        json_array_append_new(arr, o);
    }
    text = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(text);
    free(text); /* allocated by jansson's default allocator */
    json_decref(arr);
}

int tamis_cmd_snapshots(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, 0, 'f'},
                                              {"date", required_argument, 0, 'd'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, true);
    tamis_out_format format = TAMIS_OUT_TEXT;
    bool have_date = false, have_format = false;
    uint32_t date = 0;
    long long ms;
    tamis_snapshot_info *rows = NULL;
    tamis_store *store = NULL;
    tamis_txn *txn = NULL;
    tamis_error err = {0};
    uint32_t *days = NULL;
    size_t n = 0;
    int c, fmt, rc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if ((fmt = tamis_cli_parse_format("snapshots", optarg,
                                              1u << TAMIS_OUT_TEXT | 1u << TAMIS_OUT_CSV | 1u << TAMIS_OUT_JSON |
                                                  1u << TAMIS_OUT_NDJSON)) < 0)
                return TAMIS_EXIT_USAGE;
            format = (tamis_out_format)fmt;
            have_format = true;
            break;
        case 'd':
            if (tamis_cli_parse_time("snapshots", "--date", optarg, &ms) != 0)
                return TAMIS_EXIT_USAGE;
            date = tamis_snapshot_day_of(ms);
            have_date = true;
            break;
        case 'h': list_usage(stdout); return TAMIS_EXIT_OK;
        default: list_usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tamis snapshots: unexpected argument '%s'\n", argv[optind]);
        return TAMIS_EXIT_USAGE;
    }
    if (have_date && !have_format)
        format = TAMIS_OUT_CSV;
    if ((have_date && format != TAMIS_OUT_CSV && format != TAMIS_OUT_NDJSON) || (!have_date && format == TAMIS_OUT_NDJSON)) {
        fprintf(stderr, "tamis snapshots: %s\n", have_date ? "--date writes csv or ndjson" : "the list is table, csv or json");
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0)
        return tamis_cli_fail("snapshots", rc, err.msg);
    if (have_date) {
        char d[32];
        if ((rc = tamis_txn_begin(store, false, &txn, &err)) == 0) {
            rc = print_users(store, txn, date, format, &err);
            tamis_txn_abort(txn);
        }
        tamis_store_close(store);
        if (rc == TAMIS_ENOTFOUND) {
            tamis_format_utc_date(date, d);
            tamis_error_set(&err, TAMIS_ENOTFOUND, "no snapshot of %s (see tamis snapshots)", d);
        }
        if (rc == 0 && fflush(stdout) != 0)
            rc = tamis_error_set(&err, TAMIS_EIO, "write to stdout failed");
        return rc ? tamis_cli_fail("snapshots", rc, err.msg) : TAMIS_EXIT_OK;
    }
    if ((rc = tamis_txn_begin(store, false, &txn, &err)) == 0 && (rc = tamis_snapshot_days(txn, &days, &n, &err)) == 0) {
        rows = tamis_calloc(n ? n : 1, sizeof *rows);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = tamis_snapshot_info_get(txn, days[i], &rows[i], &err);
    }
    if (txn)
        tamis_txn_abort(txn);
    tamis_store_close(store);
    if (rc == 0) {
        if (format == TAMIS_OUT_JSON)
            print_json(rows, n);
        else
            print_rows(rows, n, format);
    }
    tamis_free(rows);
    tamis_free(days);
    return rc ? tamis_cli_fail("snapshots", rc, err.msg) : TAMIS_EXIT_OK;
}
