/* cmd_cross.c — `tamis cross LABEL... [--max-groups 8] [--min-size N]`: every user
 * counted into the cell of its label values (tier, trend, country, best_channel, rfm,
 * attr:KEY, tag:NAME) and the cells grouped into at most N groups covering everyone
 * (include/tamis/cross.h; the rule in docs/AUDIENCES.md). Prints the groups as a
 * table, CSV (one row per cell) or JSON, and writes user,group,name with --members. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/render.h"
#include "model/results.h"
#include "tamis/cross.h"
#include "tamis/rfm.h"

#define NAME_MAX_BYTES 1024

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] cross LABEL... [--max-groups N] [--min-size N]\n"
            "                [--as-of TIME] [--window DAYSd] [--format table|csv|json]\n"
            "                [--members FILE] [--threads N]\n"
            "\n"
            "Crosses a few labels of every user and groups the combinations into at most\n"
            "N groups (default 8) covering everyone. Labels: tier, trend, best_channel\n"
            "(from the stored scores: run `tamis score` first), country, rfm (the RFM\n"
            "segment as of --as-of over --window, as `tamis rfm`), attr:KEY (a contact\n"
            "attribute), tag:NAME (yes/no). The largest combinations of at least\n"
            "--min-size users (default 1%% of users) found the groups; every other joins\n"
            "the group whose first combination shares the most label values with it\n"
            "(docs/AUDIENCES.md).\n"
            "\n"
            "  --members FILE  write user,group,name for every user (CSV)\n"
            "  --format F      table (default); csv: one row per combination; json\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage, 5 store busy\n");
}

static void print_table(const tamis_cross *x, uint32_t max_groups)
{
    char name[NAME_MAX_BYTES];
    printf("cross");
    for (size_t i = 0; i < x->n_labels; i++)
        printf("%s%s", i ? " x " : " ", x->labels[i].text);
    printf(": %" PRIu64 " users, %zu combinations, %zu groups\n(at most %u; smaller than %" PRIu64
           " users: the last label generalised)\n\n",
           x->users, x->n_cells, x->n_groups, max_groups, x->min_size);
    printf("%5s %9s %6s %6s  %s\n", "group", "users", "share", "combos", "name");
    for (size_t g = 0; g < x->n_groups; g++) {
        tamis_cross_group_name(x, g, name, sizeof name);
        printf("%5zu %9" PRIu64 " %5.1f%% %6u  %.48s%s\n", g + 1, x->groups[g].users,
               x->users ? 100.0 * (double)x->groups[g].users / (double)x->users : 0.0, x->groups[g].cells, name,
               strlen(name) > 48 ? "..." : "");
    }
}

static void print_csv(const tamis_cross *x)
{
    printf("group,group_users,largest,users");
    for (size_t i = 0; i < x->n_labels; i++) {
        putchar(',');
        tamis_render_csv_string(stdout, x->labels[i].text);
    }
    putchar('\n');
    for (size_t g = 0; g < x->n_groups; g++)
        for (size_t o = 0; o < x->n_cells; o++) {
            const tamis_cross_cell *c = &x->cells[x->order[o]];
            if (c->group != g)
                continue;
            printf("%zu,%" PRIu64 ",%d,%" PRIu64, g + 1, x->groups[g].users, x->order[o] == x->groups[g].head,
                   c->users);
            for (size_t i = 0; i < x->n_labels; i++) {
                putchar(',');
                tamis_render_csv_string(stdout, c->values[i]);
            }
            putchar('\n');
        }
}

static void print_values(const tamis_cross *x, const tamis_cross_cell *c)
{
    putchar('{');
    for (size_t i = 0; i < x->n_labels; i++) {
        if (i)
            putchar(',');
        tamis_render_json_string(stdout, x->labels[i].text);
        putchar(':');
        tamis_render_json_string(stdout, c->values[i]);
    }
    putchar('}');
}

static void print_json(const tamis_cross *x, uint32_t max_groups)
{
    char name[NAME_MAX_BYTES];
    printf("{\"users\":%" PRIu64 ",\"max_groups\":%u,\"min_size\":%" PRIu64 ",\"labels\":[", x->users, max_groups,
           x->min_size);
    for (size_t i = 0; i < x->n_labels; i++) {
        if (i)
            putchar(',');
        tamis_render_json_string(stdout, x->labels[i].text);
    }
    printf("],\"groups\":[");
    for (size_t g = 0; g < x->n_groups; g++) {
        bool first = true;
        tamis_cross_group_name(x, g, name, sizeof name);
        printf("%s{\"group\":%zu,\"users\":%" PRIu64 ",\"name\":", g ? "," : "", g + 1, x->groups[g].users);
        tamis_render_json_string(stdout, name);
        printf(",\"cells\":[");
        for (size_t o = 0; o < x->n_cells; o++) {
            const tamis_cross_cell *c = &x->cells[x->order[o]];
            if (c->group != g)
                continue;
            printf("%s{\"users\":%" PRIu64 ",\"values\":", first ? "" : ",", c->users);
            print_values(x, c);
            putchar('}');
            first = false;
        }
        printf("]}");
    }
    printf("]}\n");
}

static int write_members(tamis_store *store, const tamis_cross *x, const char *path, tamis_error *err)
{
    char key[1024], name[NAME_MAX_BYTES];
    tamis_txn *txn;
    FILE *f = fopen(path, "w");
    int rc;
    if (!f)
        return tamis_error_set(err, TAMIS_EIO, "cannot write %s", path);
    if ((rc = tamis_txn_begin(store, false, &txn, err)) != 0) {
        fclose(f);
        return rc;
    }
    fprintf(f, "user,group,name\n");
    for (size_t i = 0; i < x->n_users; i++) {
        uint32_t g = x->cells[x->user_cell[i]].group;
        tamis_results_user_key(txn, x->user_uid[i], key, sizeof key);
        tamis_cross_group_name(x, g, name, sizeof name);
        tamis_render_csv_string(f, key);
        fprintf(f, ",%u,", g + 1);
        tamis_render_csv_string(f, name);
        fputc('\n', f);
    }
    tamis_txn_abort(txn);
    if (ferror(f) | (fclose(f) != 0))
        return tamis_error_set(err, TAMIS_EIO, "writing %s failed", path);
    return TAMIS_OK;
}

int tamis_cmd_cross(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"max-groups", required_argument, 0, 'g'}, {"min-size", required_argument, 0, 'm'},
        {"as-of", required_argument, 0, 'a'},      {"window", required_argument, 0, 'w'},
        {"format", required_argument, 0, 'f'},     {"members", required_argument, 0, 'M'},
        {"threads", required_argument, 0, 'T'},    {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, true);
    tamis_cross_options opts = {TAMIS_CROSS_DEFAULT_GROUPS, 0, tamis_cli_now_ms(), TAMIS_RFM_DEFAULT_WINDOW_DAYS, 0};
    int format = TAMIS_OUT_TEXT;
    const char *members = NULL;
    tamis_store *store = NULL;
    tamis_error err = {0};
    tamis_cross x;
    unsigned long long n;
    long long as_of;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'g':
            if (tamis_cli_parse_u64("cross", "--max-groups", optarg, &n) != 0)
                return TAMIS_EXIT_USAGE;
            if (n < 1 || n > TAMIS_CROSS_MAX_GROUPS) {
                fprintf(stderr, "tamis cross: --max-groups is 1 to %d\n", TAMIS_CROSS_MAX_GROUPS);
                return TAMIS_EXIT_USAGE;
            }
            opts.max_groups = (uint32_t)n;
            break;
        case 'm':
            if (tamis_cli_parse_u64("cross", "--min-size", optarg, &n) != 0)
                return TAMIS_EXIT_USAGE;
            opts.min_size = n ? n : 1;
            break;
        case 'a':
            if (tamis_cli_parse_time("cross", "--as-of", optarg, &as_of) != 0)
                return TAMIS_EXIT_USAGE;
            opts.as_of_ms = as_of;
            break;
        case 'w':
            if (tamis_cli_parse_window_days("cross", optarg, &opts.window_days) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'f':
            if (!strcmp(optarg, "table"))
                format = TAMIS_OUT_TEXT;
            else if ((format = tamis_cli_parse_format("cross", optarg, 1u << TAMIS_OUT_CSV | 1u << TAMIS_OUT_JSON)) < 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'M': members = optarg; break;
        case 'T':
            if (tamis_cli_parse_threads("cross", optarg, &opts.threads) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    tamis_cross_init(&x);
    for (int i = optind; i < argc; i++)
        if ((rc = tamis_cross_add_label(&x, argv[i], &err)) != 0) {
            tamis_cross_free(&x);
            return tamis_cli_fail("cross", rc, err.msg);
        }
    if (x.n_labels == 0) {
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0) {
        tamis_cross_free(&x);
        return tamis_cli_fail("cross", rc, err.msg);
    }
    if ((rc = tamis_cross_compute(store, &x, &opts, &err)) == 0 && members)
        rc = write_members(store, &x, members, &err);
    if (rc == 0) {
        if (format == TAMIS_OUT_TEXT)
            print_table(&x, opts.max_groups);
        else if (format == TAMIS_OUT_CSV)
            print_csv(&x);
        else
            print_json(&x, opts.max_groups);
    }
    tamis_cross_free(&x);
    tamis_store_close(store);
    if (rc == 0 && fflush(stdout) != 0)
        rc = tamis_error_set(&err, TAMIS_EIO, "write to stdout failed");
    return rc ? tamis_cli_fail("cross", rc, err.msg) : TAMIS_EXIT_OK;
}
