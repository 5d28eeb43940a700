/* cmd_tiers.c — `tamis tiers [--by country|platform]`: how many users are in each tier,
 * overall or per country / per platform, from the stored scores. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/render.h"
#include "model/results.h"
#include "tamis/alloc.h"

#define GROUP_NAME_MAX 40
#define NO_PLATFORM "(none)"
#define NO_COUNTRY "(unknown)"

typedef enum { BY_NONE, BY_COUNTRY, BY_PLATFORM } group_by;

typedef struct group {
    char name[GROUP_NAME_MAX];
    unsigned long long tiers[TAMIS_TIER__COUNT];
    unsigned long long users;
} group;

typedef struct tiers_ctx {
    group_by by;
    group *groups;
    size_t n, cap;
} tiers_ctx;

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

static group *group_of(tiers_ctx *x, const char *name)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->groups[i].name, name) == 0)
            return &x->groups[i];
    x->groups = tamis_grow(x->groups, sizeof *x->groups, &x->cap, x->n + 1);
    memset(&x->groups[x->n], 0, sizeof x->groups[x->n]);
    snprintf(x->groups[x->n].name, GROUP_NAME_MAX, "%s", name);
    return &x->groups[x->n++];
}

static void count(group *g, int tier)
{
    g->tiers[tier]++;
    g->users++;
}

static int visit(void *vctx, tamis_results_reader *rd)
{
    tiers_ctx *x = vctx;
    int tier = rd->result.tier;
    if (x->by == BY_NONE) {
        count(group_of(x, "all"), tier);
    } else if (x->by == BY_COUNTRY) {
        count(group_of(x, rd->contact.country[0] ? rd->contact.country : NO_COUNTRY), tier);
    } else {
        const tamis_features *f = &rd->features;
        if (f->n_platforms == 0)
            count(group_of(x, NO_PLATFORM), tier);
        for (uint8_t i = 0; i < f->n_platforms; i++) {
            const char *n = rd->names.name[f->platforms[i].platform];
            count(group_of(x, n ? n : "?"), tier);
        }
    }
    return 0;
}

static int cmp_group(const void *a, const void *b)
{
    const group *x = a, *y = b;
    if (x->users != y->users)
        return x->users > y->users ? -1 : 1;
    return strcmp(x->name, y->name);
}

static double share(unsigned long long n, unsigned long long total)
{
    return total ? (double)n / (double)total : 0.0;
}

static void print_table(const tiers_ctx *x)
{
    if (x->by == BY_NONE) {
        const group *g = x->n ? &x->groups[0] : NULL;
        unsigned long long total = g ? g->users : 0;
        printf("%-18s %10s %7s\n", "tier", "users", "share");
        for (int t = 0; t < TAMIS_TIER__COUNT; t++)
            printf("%-18s %10llu %6.1f%%\n", tamis_tier_name(t), g ? g->tiers[t] : 0,
                   100.0 * share(g ? g->tiers[t] : 0, total));
        printf("%-18s %10llu %6.1f%%\n", "total", total, total ? 100.0 : 0.0);
        return;
    }
    /* one row per group; columns are tier shares (abbreviated to fit 80 columns) */
    printf("%-12s %9s %6s %6s %6s %6s %6s %6s %6s\n", x->by == BY_COUNTRY ? "country" : "platform", "users",
           "unrch", "risky", "daily", "hi_int", "occas", "silent", "dormnt");
    for (size_t i = 0; i < x->n; i++) {
        const group *g = &x->groups[i];
        printf("%-12.12s %9llu", g->name, g->users);
        for (int t = 0; t < TAMIS_TIER__COUNT; t++)
            printf(" %5.1f%%", 100.0 * share(g->tiers[t], g->users));
        putchar('\n');
    }
}

static void print_csv(const tiers_ctx *x)
{
    printf("%s,tier,users,share\n", x->by == BY_NONE ? "group" : x->by == BY_COUNTRY ? "country" : "platform");
    for (size_t i = 0; i < x->n; i++)
        for (int t = 0; t < TAMIS_TIER__COUNT; t++)
            printf("%s,%s,%llu,%.6f\n", x->groups[i].name, tamis_tier_name(t), x->groups[i].tiers[t],
                   share(x->groups[i].tiers[t], x->groups[i].users));
}

static void print_json(const tiers_ctx *x)
{
    json_t *doc = json_object(), *arr = json_array();
    char *text;
    for (size_t i = 0; i < x->n; i++) {
        json_t *g = json_object(), *tiers = json_object();
        for (int t = 0; t < TAMIS_TIER__COUNT; t++)
            json_object_set_new(tiers, tamis_tier_name(t),
                                json_pack("{s:I,s:f}", "users", (json_int_t)x->groups[i].tiers[t], "share",
                                          share(x->groups[i].tiers[t], x->groups[i].users)));
        json_object_set_new(g, "group", json_string(x->groups[i].name));
        json_object_set_new(g, "users", json_integer((json_int_t)x->groups[i].users));
        json_object_set_new(g, "tiers", tiers);
        json_array_append_new(arr, g);
    }
    json_object_set_new(doc, "by", json_string(x->by == BY_NONE ? "all" : x->by == BY_COUNTRY ? "country" : "platform"));
    json_object_set_new(doc, "groups", arr);
    text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
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
    tiers_ctx x;
    tamis_model_config *cfg = NULL;
    tamis_store *store = NULL;
    tamis_txn *txn = NULL;
    tamis_results_reader rd;
    tamis_error err = {0};
    int c, rc, fmt;

    memset(&x, 0, sizeof x);
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            if (strcmp(optarg, "country") == 0)
                x.by = BY_COUNTRY;
            else if (strcmp(optarg, "platform") == 0)
                x.by = BY_PLATFORM;
            else {
                fprintf(stderr, "tamis tiers: --by must be country or platform, not '%s'\n", optarg);
                return TAMIS_EXIT_USAGE;
            }
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
    if (x.by == BY_NONE)
        group_of(&x, "all");
    tamis_results_reader_init(&rd, store, txn, cfg);
    rc = tamis_results_foreach(&rd, visit, &x, &err);
    tamis_results_reader_free(&rd);
    tamis_txn_abort(txn);
    tamis_store_close(store);
    tamis_model_config_free(cfg);
    if (rc) {
        tamis_free(x.groups);
        return tamis_cli_fail("tiers", rc, err.msg);
    }
    if (x.by != BY_NONE)
        qsort(x.groups, x.n, sizeof *x.groups, cmp_group);
    if (format == TAMIS_OUT_CSV)
        print_csv(&x);
    else if (format == TAMIS_OUT_JSON)
        print_json(&x);
    else
        print_table(&x);
    tamis_free(x.groups);
    return TAMIS_EXIT_OK;
}
