/* cmd_tiers.c — `tamis tiers [--by country|platform]`: how many users are in each tier,
 * overall or per country / per platform, from the stored scores. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/render.h"
#include "model/tier_counts.h"
#include "tamis/alloc.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] tiers [--by country|platform] [--format table|csv|json]\n"
            "\n"
            "Count the scored users in each tier (run `tamis score` first), with each tier's\n"
            "share. --by country groups by the contact's country; --by platform counts a\n"
            "user under every platform it is present on.\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage, 5 store busy\n");
}

static void print_table(const tamis_tier_counts *x)
{
    if (x->by == TAMIS_BY_NONE) {
        const tamis_tier_group *g = x->n ? &x->groups[0] : NULL;
        unsigned long long total = g ? (unsigned long long)g->users : 0;
        printf("%-18s %10s %7s\n", "tier", "users", "share");
        for (int t = 0; t < TAMIS_TIER__COUNT; t++)
            printf("%-18s %10llu %6.1f%%\n", tamis_tier_name(t), g ? (unsigned long long)g->tiers[t] : 0ull,
                   100.0 * tamis_tier_share(g ? g->tiers[t] : 0, total));
        printf("%-18s %10llu %6.1f%%\n", "total", total, total ? 100.0 : 0.0);
        return;
    }
    /* one row per group; columns are tier shares (abbreviated to fit 80 columns) */
    printf("%-12s %9s %6s %6s %6s %6s %6s %6s %6s\n", x->by == TAMIS_BY_COUNTRY ? "country" : "platform", "users",
           "unrch", "risky", "daily", "hi_int", "occas", "silent", "dormnt");
    for (size_t i = 0; i < x->n; i++) {
        const tamis_tier_group *g = &x->groups[i];
        printf("%-12.12s %9llu", g->name, (unsigned long long)g->users);
        for (int t = 0; t < TAMIS_TIER__COUNT; t++)
            printf(" %5.1f%%", 100.0 * tamis_tier_share(g->tiers[t], g->users));
        putchar('\n');
    }
}

static void print_csv(const tamis_tier_counts *x)
{
    printf("%s,tier,users,share\n", x->by == TAMIS_BY_NONE ? "group" : x->by == TAMIS_BY_COUNTRY ? "country" : "platform");
    for (size_t i = 0; i < x->n; i++)
        for (int t = 0; t < TAMIS_TIER__COUNT; t++)
            printf("%s,%s,%llu,%.6f\n", x->groups[i].name, tamis_tier_name(t), (unsigned long long)x->groups[i].tiers[t],
                   tamis_tier_share(x->groups[i].tiers[t], x->groups[i].users));
}

static void print_json(const tamis_tier_counts *x)
{
    json_t *doc = tamis_tier_counts_json(x);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(text);
    free(text); /* allocated by jansson's default allocator */
    json_decref(doc);
}

int tamis_cmd_tiers(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"by", required_argument, 0, 'b'},
                                              {"format", required_argument, 0, 'f'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, true);
    tamis_out_format format = TAMIS_OUT_TEXT;
    tamis_tier_counts x;
    tamis_tier_by by = TAMIS_BY_NONE;
    tamis_model_config *cfg = NULL;
    tamis_store *store = NULL;
    tamis_txn *txn = NULL;
    tamis_error err = {0};
    int c, rc, fmt;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            if ((rc = tamis_tier_by_from_name(optarg)) < 0) {
                fprintf(stderr, "tamis tiers: --by must be country or platform, not '%s'\n", optarg);
                return TAMIS_EXIT_USAGE;
            }
            by = (tamis_tier_by)rc;
            break;
        case 'f':
            if (strcmp(optarg, "table") == 0)
                optarg = "text";
            if ((fmt = tamis_cli_parse_format("tiers", optarg,
                                              1u << TAMIS_OUT_TEXT | 1u << TAMIS_OUT_CSV | 1u << TAMIS_OUT_JSON)) < 0)
                return TAMIS_EXIT_USAGE;
            format = (tamis_out_format)fmt;
            break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tamis tiers: unexpected argument '%s'\n", argv[optind]);
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_cli_load_config(cli, "tiers", &cfg)) != TAMIS_EXIT_OK)
        return rc;
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0 ||
        (rc = tamis_txn_begin(store, false, &txn, &err)) != 0) {
        tamis_store_close(store);
        tamis_model_config_free(cfg);
        return tamis_cli_fail("tiers", rc, err.msg);
    }
    rc = tamis_tier_counts_compute(store, txn, cfg, by, &x, &err);
    tamis_txn_abort(txn);
    tamis_store_close(store);
    tamis_model_config_free(cfg);
    if (rc)
        return tamis_cli_fail("tiers", rc, err.msg);
    if (format == TAMIS_OUT_CSV)
        print_csv(&x);
    else if (format == TAMIS_OUT_JSON)
        print_json(&x);
    else
        print_table(&x);
    tamis_tier_counts_free(&x);
    return TAMIS_EXIT_OK;
}
