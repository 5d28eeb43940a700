/* cmd_cooling.c — `tamis cooling [--as-of T]`: users still in an active tier whose
 * trend is cooling, ranked by activity being lost times their value
 * (src/model/cooling.c), with their reasons. Every user is judged as of T without
 * storing anything (include/tamis/judge.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "model/render.h"
#include "model/results.h"
#include "tamis/alloc.h"
#include "tamis/cooling.h"
#include "tamis/judge.h"
#include "tamis/record.h"
#include "tamis/score_run.h"

typedef struct alert {
    uint32_t uid;
    tamis_cooling_rank rank;
    uint8_t *record;
    size_t record_len;
} alert;

typedef struct cooling_ctx {
    alert *alerts;
    size_t n, cap;
    uint64_t users;
} cooling_ctx;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] [--config FILE] cooling [--as-of TIME] [--limit N]\n"
            "                                               [--format table|csv|ndjson] [--threads N]\n"
            "\n"
            "Users still in an active tier (daily_active, high_interaction, occasional)\n"
            "whose trend is cooling, as of TIME (default: now), most urgent first: active\n"
            "days a week being lost times how valuable the user was (docs/MODEL.md), with\n"
            "their reasons. Nothing is stored.\n"
            "\n"
            "  --limit N   at most N users (default: 20 for the table, all otherwise)\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage, 5 store busy\n");
}

static int collect(void *vctx, const tamis_judged *j, tamis_error *err)
{
    cooling_ctx *x = vctx;
    tamis_result r;
    tamis_features f;
    alert *a;
    int rc;

    x->users++;
    if (!tamis_cooling_candidate(j->tier, j->trend))
        return 0;
    if ((rc = tamis_record_decode(j->record, j->record_len, &r, &f, err)) != 0)
        return rc;
    if (!tamis_cooling_significant(&f))
        return 0;
    x->alerts = tamis_grow(x->alerts, sizeof *x->alerts, &x->cap, x->n + 1);
    a = &x->alerts[x->n++];
    a->uid = j->uid;
    tamis_cooling_rank_of(&f, &r, &a->rank);
    a->record = tamis_malloc(j->record_len);
    memcpy(a->record, j->record, j->record_len);
    a->record_len = j->record_len;
    return 0;
}

static int by_priority(const void *pa, const void *pb)
{
    const alert *a = pa, *b = pb;
    if (a->rank.priority != b->rank.priority)
        return a->rank.priority > b->rank.priority ? -1 : 1;
    return a->uid < b->uid ? -1 : a->uid > b->uid;
}

static void reasons_text(const tamis_result *r, const tamis_platform_names *names, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (uint8_t i = 0; i < r->n_reasons && used + 4 < cap; i++) {
        if (i)
            used += (size_t)snprintf(out + used, cap - used, " | ");
        used += tamis_reason_text(&r->reasons[i], r, names, out + used, cap - used);
    }
}

static int print_alerts(const cooling_ctx *x, size_t limit, tamis_out_format format, tamis_txn *txn,
                        const tamis_platform_names *names, tamis_error *err)
{
    char key[1024], reasons[1024];
    if (format == TAMIS_OUT_TEXT)
        printf("%4s %-20s %-17s %5s %8s %7s %4s %5s\n", "rank", "user", "tier", "score", "priority", "lost/wk",
               "ad7", "ad30");
    else if (format == TAMIS_OUT_CSV)
        printf("rank,user,tier,score,priority,loss_per_week,value,active_days_7,active_days_30,purchases_90,reasons\n");
    for (size_t i = 0; i < x->n && i < limit; i++) {
        const alert *a = &x->alerts[i];
        tamis_result r;
        tamis_features f;
        int rc = tamis_record_decode(a->record, a->record_len, &r, &f, err);
        if (rc)
            return rc;
        tamis_results_user_key(txn, a->uid, key, sizeof key);
        reasons_text(&r, names, reasons, sizeof reasons);
        if (format == TAMIS_OUT_TEXT) {
            /* 77 columns, the reasons on a line of their own */
            printf("%4zu %-20.20s %-17s %5u %8.2f %7.2f %4u %5u\n     %.74s\n", i + 1, key, tamis_tier_name(r.tier),
                   r.score, a->rank.priority, a->rank.loss_per_week, f.active_days_7, f.active_days_30, reasons);
        } else if (format == TAMIS_OUT_CSV) {
            printf("%zu,", i + 1);
            tamis_render_csv_string(stdout, key);
            printf(",%s,%u,%.4f,%.4f,%.4f,%u,%u,%u,", tamis_tier_name(r.tier), r.score, a->rank.priority,
                   a->rank.loss_per_week, a->rank.value, f.active_days_7, f.active_days_30, f.purchases_90);
            tamis_render_csv_string(stdout, reasons);
            putchar('\n');
        } else {
            printf("{\"rank\":%zu,\"user\":", i + 1);
            tamis_render_json_string(stdout, key);
            printf(",\"tier\":\"%s\",\"score\":%u,\"priority\":%.4f,\"loss_per_week\":%.4f,\"value\":%.4f,"
                   "\"active_days_7\":%u,\"active_days_30\":%u,\"purchases_90\":%u,\"reasons\":[",
                   tamis_tier_name(r.tier), r.score, a->rank.priority, a->rank.loss_per_week, a->rank.value,
                   f.active_days_7, f.active_days_30, f.purchases_90);
            for (uint8_t k = 0; k < r.n_reasons; k++) {
                char one[256];
                tamis_reason_text(&r.reasons[k], &r, names, one, sizeof one);
                if (k)
                    putchar(',');
                tamis_render_json_string(stdout, one);
            }
            puts("]}");
        }
    }
    return TAMIS_OK;
}

int tamis_cmd_cooling(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"as-of", required_argument, 0, 'a'},
                                              {"limit", required_argument, 0, 'l'},
                                              {"format", required_argument, 0, 'f'},
                                              {"threads", required_argument, 0, 'T'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, true);
    tamis_judge_options opts = {0};
    tamis_out_format format = TAMIS_OUT_TEXT;
    tamis_model_config *cfg = NULL;
    tamis_platform_names names;
    tamis_store *store = NULL;
    tamis_txn *txn = NULL;
    tamis_error err = {0};
    cooling_ctx x = {0};
    long long as_of = 0;
    long limit = -1;
    bool have_as_of = false;
    char *end;
    int c, fmt, rc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (tamis_cli_parse_time("cooling", "--as-of", optarg, &as_of) != 0)
                return TAMIS_EXIT_USAGE;
            have_as_of = true;
            break;
        case 'l':
            limit = strtol(optarg, &end, 10);
            if (end == optarg || *end || limit < 0) {
                fprintf(stderr, "tamis cooling: --limit wants a number, not '%s'\n", optarg);
                return TAMIS_EXIT_USAGE;
            }
            break;
        case 'f':
            if ((fmt = tamis_cli_parse_format("cooling", optarg,
                                              1u << TAMIS_OUT_TEXT | 1u << TAMIS_OUT_CSV | 1u << TAMIS_OUT_NDJSON)) < 0)
                return TAMIS_EXIT_USAGE;
            format = (tamis_out_format)fmt;
            break;
        case 'T':
            if (tamis_cli_parse_threads("cooling", optarg, &opts.threads) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tamis cooling: unexpected argument '%s'\n", argv[optind]);
        return TAMIS_EXIT_USAGE;
    }
    if (!have_as_of)
        as_of = tamis_cli_now_ms();
    if (limit < 0)
        limit = format == TAMIS_OUT_TEXT ? 20 : (long)((~0ul) >> 1);
    opts.as_of_ms = as_of;
    if ((rc = tamis_cli_load_config(cli, "cooling", &cfg)) != TAMIS_EXIT_OK)
        return rc;
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0) {
        tamis_model_config_free(cfg);
        return tamis_cli_fail("cooling", rc, err.msg);
    }
    rc = tamis_judge_all(store, cfg, &opts, collect, &x, &err);
    if (rc == 0) {
        qsort(x.alerts, x.n, sizeof *x.alerts, by_priority);
        tamis_score_platform_names(store, &names);
        if ((rc = tamis_txn_begin(store, false, &txn, &err)) == 0) {
            rc = print_alerts(&x, (size_t)limit, format, txn, &names, &err);
            tamis_txn_abort(txn);
        }
        if (format == TAMIS_OUT_TEXT && rc == 0)
            printf("%zu cooling user(s) of %llu\n", x.n, (unsigned long long)x.users);
    }
    for (size_t i = 0; i < x.n; i++)
        tamis_free(x.alerts[i].record);
    tamis_free(x.alerts);
    tamis_store_close(store);
    tamis_model_config_free(cfg);
    if (rc == 0 && fflush(stdout) != 0)
        rc = tamis_error_set(&err, TAMIS_EIO, "write to stdout failed");
    return rc ? tamis_cli_fail("cooling", rc, err.msg) : TAMIS_EXIT_OK;
}
