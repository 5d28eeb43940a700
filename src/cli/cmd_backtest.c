/* cmd_backtest.c — `tamis backtest --as-of T --horizon 14d --outcome reply`: how well
 * the score, judged from the history before T only, predicted what users did next —
 * against single-signal baselines (src/model/backtest.c). Table or chart-ready JSON. */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tamis/backtest.h"
#include "tamis/score.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] [--config FILE] backtest --as-of TIME [--horizon Nd]\n"
            "                    [--outcome reply|click|purchase|active] [--format table|json] [--threads N]\n"
            "\n"
            "Judge every user as of TIME from the history before it only, then look at the\n"
            "next N days (default 14): the share of users with the outcome (default reply)\n"
            "per tier and per score decile, the AUC of the score, the lift of its top decile\n"
            "and of the active tiers — and the same for single signals: seen in the last 7\n"
            "days, present on a channel, last purchase recency. Nothing is stored.\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage, 5 store busy\n");
}

static double share(uint64_t k, uint64_t n)
{
    return n ? (double)k / (double)n : 0.0;
}

static json_t *num(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

static json_t *group_json(const tamis_bt_group *g, double base)
{
    double s = share(g->positives, g->users);
    return json_pack("{s:I,s:I,s:o,s:o}", "users", (json_int_t)g->users, "positives", (json_int_t)g->positives,
                     "share", num(s), "lift", num(g->users && base > 0 ? s / base : NAN));
}

static void print_json(const tamis_backtest_report *r, const char *as_of, unsigned horizon, int outcome)
{
    double base = share(r->positives, r->users);
    json_t *doc = json_object(), *tiers = json_array(), *preds = json_array();
    char *text;
    for (int t = 0; t < TAMIS_TIER__COUNT; t++) {
        json_t *g = group_json(&r->tiers[t], base);
        json_object_set_new(g, "tier", json_string(tamis_tier_name(t)));
        json_array_append_new(tiers, g);
    }
    for (int p = 0; p < TAMIS_PRED__COUNT; p++) {
        const tamis_bt_predictor *pr = &r->predictors[p];
        json_t *o = json_object(), *dec = json_array();
        for (int d = 0; d < TAMIS_BACKTEST_DECILES; d++) {
            json_t *g = group_json(&pr->deciles[d], base);
            json_object_set_new(g, "decile", json_integer(d + 1));
            json_object_set_new(g, "min", json_integer(pr->deciles[d].min_signal));
            json_object_set_new(g, "max", json_integer(pr->deciles[d].max_signal));
            json_array_append_new(dec, g);
        }
        json_object_set_new(o, "predictor", json_string(tamis_predictor_name(p)));
        json_object_set_new(o, "label", json_string(tamis_predictor_label(p)));
        json_object_set_new(o, "auc", num(pr->auc));
        json_object_set_new(o, "lift_top_decile", num(pr->lift_top_decile));
        json_object_set_new(o, "deciles", dec);
        json_array_append_new(preds, o);
    }
    json_object_set_new(doc, "as_of", json_string(as_of));
    json_object_set_new(doc, "horizon_days", json_integer(horizon));
    json_object_set_new(doc, "outcome", json_string(tamis_outcome_name(outcome)));
    json_object_set_new(doc, "users", json_integer((json_int_t)r->users));
    json_object_set_new(doc, "positives", json_integer((json_int_t)r->positives));
    json_object_set_new(doc, "base_rate", json_real(base));
    json_object_set_new(doc, "tiers", tiers);
    json_object_set_new(doc, "active_tiers", group_json(&r->active_tiers, base));
    json_object_set_new(doc, "predictors", preds);
    text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(text);
    free(text); /* allocated by jansson's default allocator */
    json_decref(doc);
}

static void print_lift(double v)
{
    if (isnan(v))
        printf(" %7s", "-");
    else
        printf(" %6.2fx", v);
}

static void print_table(const tamis_backtest_report *r, const char *as_of, unsigned horizon, int outcome)
{
    double base = share(r->positives, r->users);
    const tamis_bt_predictor *score = &r->predictors[TAMIS_PRED_SCORE];

    printf("backtest as of %s, outcome %s in the next %u days\n", as_of, tamis_outcome_name(outcome), horizon);
    printf("%llu users, %llu with the outcome (%.2f%%)\n\n", (unsigned long long)r->users,
           (unsigned long long)r->positives, 100.0 * base);
    printf("%-18s %10s %9s %7s %8s\n", "tier", "users", "outcome", "share", "lift");
    for (int t = 0; t < TAMIS_TIER__COUNT; t++) {
        const tamis_bt_group *g = &r->tiers[t];
        printf("%-18s %10llu %9llu %6.2f%%", tamis_tier_name(t), (unsigned long long)g->users,
               (unsigned long long)g->positives, 100.0 * share(g->positives, g->users));
        print_lift(g->users && base > 0 ? share(g->positives, g->users) / base : NAN);
        putchar('\n');
    }
    printf("%-18s %10llu %9llu %6.2f%%", "active tiers", (unsigned long long)r->active_tiers.users,
           (unsigned long long)r->active_tiers.positives, 100.0 * share(r->active_tiers.positives, r->active_tiers.users));
    print_lift(r->lift_active_tiers);
    printf("\n\n%-18s %10s %9s %7s %8s\n", "score decile", "users", "outcome", "share", "lift");
    for (int d = 0; d < TAMIS_BACKTEST_DECILES; d++) {
        const tamis_bt_group *g = &score->deciles[d];
        char label[32];
        snprintf(label, sizeof label, "%2d (%d-%d)", d + 1, g->min_signal, g->max_signal);
        printf("%-18s %10llu %9llu %6.2f%%", label, (unsigned long long)g->users, (unsigned long long)g->positives,
               100.0 * share(g->positives, g->users));
        print_lift(g->users && base > 0 ? share(g->positives, g->users) / base : NAN);
        putchar('\n');
    }
    printf("\n%-26s %7s %16s\n", "predictor", "AUC", "top-decile lift");
    for (int p = 0; p < TAMIS_PRED__COUNT; p++) {
        const tamis_bt_predictor *pr = &r->predictors[p];
        printf("%-26s", tamis_predictor_label(p));
        isnan(pr->auc) ? printf(" %7s", "-") : printf(" %7.3f", pr->auc);
        printf("        ");
        print_lift(pr->lift_top_decile);
        putchar('\n');
    }
}

/* "14d" or "14": days, 1..366. */
static int parse_horizon(const char *v, unsigned *days)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (end == v || (*end && strcmp(end, "d") != 0) || v[0] == '-' || n < 1 || n > 366) {
        fprintf(stderr, "tamis backtest: --horizon wants days like 14d (1 to 366), not '%s'\n", v);
        return -1;
    }
    *days = (unsigned)n;
    return 0;
}

int tamis_cmd_backtest(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"as-of", required_argument, 0, 'a'},   {"horizon", required_argument, 0, 'H'},
                                              {"outcome", required_argument, 0, 'o'}, {"format", required_argument, 0, 'f'},
                                              {"threads", required_argument, 0, 'T'}, {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, true);
    tamis_backtest_options opts = {0};
    tamis_backtest_report report;
    tamis_out_format format = TAMIS_OUT_TEXT;
    tamis_model_config *cfg = NULL;
    tamis_store *store = NULL;
    tamis_error err = {0};
    long long as_of = 0;
    bool have_as_of = false;
    char when[64];
    int c, fmt, rc;

    opts.horizon_days = 14;
    opts.outcome = TAMIS_OUTCOME_REPLY;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (tamis_cli_parse_time("backtest", "--as-of", optarg, &as_of) != 0)
                return TAMIS_EXIT_USAGE;
            have_as_of = true;
            break;
        case 'H':
            if (parse_horizon(optarg, &opts.horizon_days) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'o':
            if ((rc = tamis_outcome_from_name(optarg)) < 0) {
                fprintf(stderr, "tamis backtest: --outcome must be reply, click, purchase or active, not '%s'\n", optarg);
                return TAMIS_EXIT_USAGE;
            }
            opts.outcome = (tamis_outcome)rc;
            break;
        case 'f':
            if ((fmt = tamis_cli_parse_format("backtest", optarg, 1u << TAMIS_OUT_TEXT | 1u << TAMIS_OUT_JSON)) < 0)
                return TAMIS_EXIT_USAGE;
            format = (tamis_out_format)fmt;
            break;
        case 'T':
            if (tamis_cli_parse_threads("backtest", optarg, &opts.threads) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc || !have_as_of) {
        fprintf(stderr, "tamis backtest: %s\n", optind != argc ? "unexpected argument" : "--as-of is required");
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    opts.as_of_ms = as_of;
    if ((rc = tamis_cli_load_config(cli, "backtest", &cfg)) != TAMIS_EXIT_OK)
        return rc;
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0) {
        tamis_model_config_free(cfg);
        return tamis_cli_fail("backtest", rc, err.msg);
    }
    rc = tamis_backtest_run(store, cfg, &opts, &report, &err);
    tamis_store_close(store);
    tamis_model_config_free(cfg);
    if (rc)
        return tamis_cli_fail("backtest", rc, err.msg);
    tamis_cli_iso_time(as_of, when);
    if (format == TAMIS_OUT_JSON)
        print_json(&report, when, opts.horizon_days, opts.outcome);
    else
        print_table(&report, when, opts.horizon_days, opts.outcome);
    return fflush(stdout) == 0 ? TAMIS_EXIT_OK : tamis_cli_fail("backtest", TAMIS_EIO, "write to stdout failed");
}
