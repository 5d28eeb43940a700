/* cmd_tag_groups.c — `tamis tag-groups --min-users K --min-tags M [--max-sets N]`: tag
 * sets shared by at least K users (frequent itemsets over the contacts' tags), most
 * users first, as candidate communities (include/tamis/tag_groups.h,
 * docs/AUDIENCES.md). Table, CSV or JSON. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/render.h"
#include "tamis/tag_groups.h"

#define DEFAULT_MIN_USERS 100
#define DEFAULT_MIN_TAGS 2
#define DEFAULT_MAX_SETS 20

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] tag-groups [--min-users K] [--min-tags M] [--max-sets N]\n"
            "                                     [--format table|csv|json]\n"
            "\n"
            "Tag sets of at least M tags (default %d) that at least K users (default %d)\n"
            "all carry, most users first, then larger sets: candidate communities. A\n"
            "user counts towards every set its tags include (docs/AUDIENCES.md).\n"
            "\n"
            "  --max-sets N   print at most N sets (default %d; 0: all)\n"
            "\n"
            "exit codes: 0 ok, 1 failure (also: too many frequent sets; raise --min-users),\n"
            "2 usage, 5 store busy\n",
            DEFAULT_MIN_TAGS, DEFAULT_MIN_USERS, DEFAULT_MAX_SETS);
}

static void print_tags(FILE *out, const tamis_tag_groups *g, const tamis_tag_set *s, const char *sep)
{
    for (uint32_t i = 0; i < s->n; i++)
        fprintf(out, "%s%s", i ? sep : "", g->names[s->tags[i]]);
}

static void print_table(const tamis_tag_groups *g, size_t shown, uint64_t min_users, uint32_t min_tags)
{
    printf("tag groups: %" PRIu64 " users, %" PRIu64 " with tags, %zu distinct tags; %zu sets of %u+ tags\n"
           "shared by %" PRIu64 "+ users\n\n",
           g->users, g->users_with_tags, g->n_names, g->n_sets, min_tags, min_users);
    printf("%4s %9s %6s %4s  %s\n", "rank", "users", "share", "tags", "tag set");
    for (size_t i = 0; i < shown; i++) {
        const tamis_tag_set *s = &g->sets[i];
        printf("%4zu %9" PRIu64 " %5.1f%% %4u  ", i + 1, s->users,
               g->users ? 100.0 * (double)s->users / (double)g->users : 0.0, s->n);
        print_tags(stdout, g, s, " + ");
        putchar('\n');
    }
    if (shown < g->n_sets)
        printf("(%zu more sets: --max-sets 0 lists all)\n", g->n_sets - shown);
}

static void print_csv(const tamis_tag_groups *g, size_t shown)
{
    printf("rank,users,share,n_tags,tags\n");
    for (size_t i = 0; i < shown; i++) {
        const tamis_tag_set *s = &g->sets[i];
        printf("%zu,%" PRIu64 ",%.6f,%u,\"", i + 1, s->users, g->users ? (double)s->users / (double)g->users : 0.0,
               s->n);
        /* tags are ';'-free (the contacts format splits on ';'); quotes are doubled */
        for (uint32_t t = 0; t < s->n; t++) {
            const char *p = g->names[s->tags[t]];
            if (t)
                putchar(';');
            for (; *p; p++) {
                if (*p == '"')
                    putchar('"');
                putchar(*p);
            }
        }
        printf("\"\n");
    }
}

static void print_json(const tamis_tag_groups *g, size_t shown, uint64_t min_users, uint32_t min_tags)
{
    printf("{\"users\":%" PRIu64 ",\"users_with_tags\":%" PRIu64 ",\"distinct_tags\":%zu,\"min_users\":%" PRIu64
           ",\"min_tags\":%u,\"sets_found\":%zu,\"sets\":[",
           g->users, g->users_with_tags, g->n_names, min_users, min_tags, g->n_sets);
    for (size_t i = 0; i < shown; i++) {
        const tamis_tag_set *s = &g->sets[i];
        printf("%s{\"rank\":%zu,\"users\":%" PRIu64 ",\"tags\":[", i ? "," : "", i + 1, s->users);
        for (uint32_t t = 0; t < s->n; t++) {
            if (t)
                putchar(',');
            tamis_render_json_string(stdout, g->names[s->tags[t]]);
        }
        printf("]}");
    }
    printf("]}\n");
}

int tamis_cmd_tag_groups(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"min-users", required_argument, 0, 'k'},
                                              {"min-tags", required_argument, 0, 'm'},
                                              {"max-sets", required_argument, 0, 'n'},
                                              {"format", required_argument, 0, 'f'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, true);
    unsigned long long min_users = DEFAULT_MIN_USERS, min_tags = DEFAULT_MIN_TAGS, max_sets = DEFAULT_MAX_SETS;
    int format = TAMIS_OUT_TEXT;
    tamis_store *store = NULL;
    tamis_error err = {0};
    tamis_tag_groups g;
    size_t shown;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (tamis_cli_parse_u64("tag-groups", "--min-users", optarg, &min_users) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'm':
            if (tamis_cli_parse_u64("tag-groups", "--min-tags", optarg, &min_tags) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'n':
            if (tamis_cli_parse_u64("tag-groups", "--max-sets", optarg, &max_sets) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'f':
            if (!strcmp(optarg, "table"))
                format = TAMIS_OUT_TEXT;
            else if ((format = tamis_cli_parse_format("tag-groups", optarg,
                                                      1u << TAMIS_OUT_CSV | 1u << TAMIS_OUT_JSON)) < 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tamis tag-groups: unexpected argument '%s'\n", argv[optind]);
        return TAMIS_EXIT_USAGE;
    }
    if (min_users < 1 || min_tags < 1 || min_tags > TAMIS_TAG_GROUPS_MAX_SET_TAGS) {
        fprintf(stderr, "tamis tag-groups: --min-users is at least 1 and --min-tags 1 to %d\n",
                TAMIS_TAG_GROUPS_MAX_SET_TAGS);
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0)
        return tamis_cli_fail("tag-groups", rc, err.msg);
    tamis_tag_groups_init(&g);
    rc = tamis_tag_groups_compute(store, min_users, (uint32_t)min_tags, &g, &err);
    if (rc == 0) {
        shown = max_sets == 0 || max_sets > g.n_sets ? g.n_sets : (size_t)max_sets;
        if (format == TAMIS_OUT_TEXT)
            print_table(&g, shown, min_users, (uint32_t)min_tags);
        else if (format == TAMIS_OUT_CSV)
            print_csv(&g, shown);
        else
            print_json(&g, shown, min_users, (uint32_t)min_tags);
    }
    tamis_tag_groups_free(&g);
    tamis_store_close(store);
    if (rc == 0 && fflush(stdout) != 0)
        rc = tamis_error_set(&err, TAMIS_EIO, "write to stdout failed");
    return rc ? tamis_cli_fail("tag-groups", rc, err.msg) : TAMIS_EXIT_OK;
}
