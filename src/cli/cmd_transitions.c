/* cmd_transitions.c — `tamis transitions --from D1 --to D2`: the tier x tier matrix
 * between two daily snapshots (overall, by country or by platform), or with
 * `--moved FROM:TO` the users who moved, for CRM sync. Reads the snapshots side by side
 * (tamis_snapshot_walk_pair in src/store/snapshot_store.c). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/render.h"
#include "model/results.h"
#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/event.h"
#include "tamis/score.h"
#include "tamis/score_run.h"
#include "model/transitions.h"
#include "tamis/snapshot_store.h"

#define STATES TAMIS_TRANS_STATES
#define NEW_OR_GONE TAMIS_TRANS_NEW_OR_GONE
#define ANY 100 /* --moved: any state */

/* --moved: which users to list, and where from */
typedef struct moved_ctx {
    tamis_out_format format;
    int from, to; /* a tier, NEW_OR_GONE, or ANY */
    tamis_txn *txn;
} moved_ctx;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] transitions --from DATE --to DATE [--by country|platform]\n"
            "                                      [--format table|csv|json]\n"
            "       tamis [--data DIR] transitions --from DATE --to DATE --moved FROM:TO\n"
            "                                      [--format csv|ndjson]\n"
            "\n"
            "Compare two daily snapshots (see `tamis snapshots`): how many users went from\n"
            "each tier to each tier, with row shares. \"new\" users had no entry at the first\n"
            "date, \"gone\" ones none at the second. --by country groups by the user's\n"
            "country, --by platform counts a user under every platform it is on (at the\n"
            "second date, or the first for gone users). --moved lists the users who moved,\n"
            "e.g. daily_active:silent; FROM may be new, TO may be gone, either may be *.\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage, 4 no snapshot for a date, 5 store busy\n");
}

/* A tier name, "new" (row) / "gone" (column), "*" (ANY); -1 when unknown. */
static int parse_state(const char *s, size_t len, bool row)
{
    if (len == 1 && s[0] == '*')
        return ANY;
    if (row && len == 3 && memcmp(s, "new", 3) == 0)
        return NEW_OR_GONE;
    if (!row && len == 4 && memcmp(s, "gone", 4) == 0)
        return NEW_OR_GONE;
    return tamis_tier_from_name(s, len);
}

static void list_moved(moved_ctx *x, uint32_t uid, int from, int to, const tamis_snapshot_user *a,
                       const tamis_snapshot_user *b)
{
    char key[1024];
    const tamis_snapshot_user *now = b ? b : a;
    tamis_results_user_key(x->txn, uid, key, sizeof key);
    if (x->format == TAMIS_OUT_NDJSON) {
        fputs("{\"user\":", stdout);
        tamis_render_json_string(stdout, key);
        printf(",\"from\":\"%s\",\"to\":\"%s\",\"from_score\":", tamis_transition_state_name(from, true), tamis_transition_state_name(to, false));
        a ? printf("%u", a->score) : printf("null");
        fputs(",\"to_score\":", stdout);
        b ? printf("%u", b->score) : printf("null");
        fputs(",\"country\":", stdout);
        now->country[0] ? tamis_render_json_string(stdout, now->country) : (void)fputs("null", stdout);
        fputs("}\n", stdout);
    } else {
        bool quote = strpbrk(key, ",\"\r\n") != NULL;
        if (quote) {
            putchar('"');
            for (const char *p = key; *p; p++) {
                if (*p == '"')
                    putchar('"');
                putchar(*p);
            }
            putchar('"');
        } else {
            fputs(key, stdout);
        }
        printf(",%s,%s,", tamis_transition_state_name(from, true), tamis_transition_state_name(to, false));
        a ? printf("%u,", a->score) : printf(",");
        b ? printf("%u,", b->score) : printf(",");
        printf("%s\n", now->country);
    }
}

static int visit_moved(void *vctx, uint32_t uid, const tamis_snapshot_user *a, const tamis_snapshot_user *b)
{
    moved_ctx *x = vctx;
    int from = a ? a->tier : NEW_OR_GONE, to = b ? b->tier : NEW_OR_GONE;
    if (from > NEW_OR_GONE || to > NEW_OR_GONE)
        return TAMIS_ECORRUPT;
    if ((x->from == ANY || x->from == from) && (x->to == ANY || x->to == to) && (from != to || x->from == ANY))
        list_moved(x, uid, from, to, a, b);
    return 0;
}

static void print_table(const tamis_transitions *x)
{
    static const char *const abbrev[STATES] = {"unrch", "risky", "daily", "hi_int", "occas", "silent", "dormnt", "gone"};
    char name[64];
    for (size_t g = 0; g < x->n_groups; g++) {
        const tamis_trans_matrix *m = &x->groups[g];
        if (!m->users)
            continue;
        tamis_transitions_group_name(x, g, name, sizeof name);
        if (x->by != TAMIS_BY_NONE)
            printf("%s (%llu users)\n", name, (unsigned long long)m->users);
        /* 16 + 8 x 7 + 8 = 80 columns */
        printf("%-16s", "from \\ to");
        for (int to = 0; to < STATES; to++)
            printf(" %6s", abbrev[to]);
        printf(" %7s\n", "users");
        for (int from = 0; from < STATES; from++) {
            uint64_t total = tamis_transitions_row_total(m, from);
            printf("%-16.16s", tamis_transition_state_name(from, true));
            for (int to = 0; to < STATES; to++)
                printf(" %5.1f%%", total ? 100.0 * (double)m->n[from][to] / (double)total : 0.0);
            printf(" %7llu\n", (unsigned long long)total);
        }
        if (g + 1 < x->n_groups && x->by != TAMIS_BY_NONE)
            putchar('\n');
    }
}

static void print_csv(const tamis_transitions *x)
{
    char name[64];
    printf("group,from,to,users,share\n");
    for (size_t g = 0; g < x->n_groups; g++) {
        const tamis_trans_matrix *m = &x->groups[g];
        if (!m->users)
            continue;
        tamis_transitions_group_name(x, g, name, sizeof name);
        for (int from = 0; from < STATES; from++) {
            uint64_t total = tamis_transitions_row_total(m, from);
            for (int to = 0; to < STATES; to++)
                printf("%s,%s,%s,%llu,%.6f\n", name, tamis_transition_state_name(from, true), tamis_transition_state_name(to, false),
                       (unsigned long long)m->n[from][to], total ? (double)m->n[from][to] / (double)total : 0.0);
        }
    }
}

static void print_json(const tamis_transitions *x, uint32_t d1, uint32_t d2)
{
    json_t *doc = tamis_transitions_json(x, d1, d2);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(text);
    free(text); /* allocated by jansson's default allocator */
    json_decref(doc);
}

/* A date option: YYYY-MM-DD or any time tamis_cli_parse_time reads; its UTC date. */
static int parse_day(const char *opt, const char *value, uint32_t *day)
{
    long long ms;
    if (tamis_cli_parse_time("transitions", opt, value, &ms) != 0)
        return -1;
    *day = tamis_snapshot_day_of(ms);
    return 0;
}

static int parse_moved(moved_ctx *x, const char *v, bool *moved)
{
    const char *colon = strchr(v, ':');
    if (!colon || (x->from = parse_state(v, (size_t)(colon - v), true)) < 0 ||
        (x->to = parse_state(colon + 1, strlen(colon + 1), false)) < 0) {
        fprintf(stderr, "tamis transitions: --moved wants FROM:TO with tiers (FROM may be new, TO gone, "
                        "either *), not '%s'\n", v);
        return -1;
    }
    *moved = true;
    return 0;
}

int tamis_cmd_transitions(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"from", required_argument, 0, 'F'},   {"to", required_argument, 0, 't'},
                                              {"by", required_argument, 0, 'b'},     {"format", required_argument, 0, 'f'},
                                              {"moved", required_argument, 0, 'm'},  {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, true);
    tamis_platform_names names;
    tamis_transitions matrix;
    moved_ctx mv = {TAMIS_OUT_TEXT, 0, 0, NULL};
    tamis_tier_by by = TAMIS_BY_NONE;
    tamis_store *store = NULL;
    tamis_txn *txn = NULL;
    tamis_error err = {0};
    uint32_t d1 = 0, d2 = 0;
    bool have1 = false, have2 = false, have_format = false, moved = false;
    int c, fmt, rc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'F': if (parse_day("--from", optarg, &d1) != 0) return TAMIS_EXIT_USAGE; have1 = true; break;
        case 't': if (parse_day("--to", optarg, &d2) != 0) return TAMIS_EXIT_USAGE; have2 = true; break;
        case 'b':
            if ((rc = tamis_tier_by_from_name(optarg)) < 0) {
                fprintf(stderr, "tamis transitions: --by must be country or platform, not '%s'\n", optarg);
                return TAMIS_EXIT_USAGE;
            }
            by = (tamis_tier_by)rc;
            break;
        case 'f':
            if ((fmt = tamis_cli_parse_format("transitions", optarg,
                                              1u << TAMIS_OUT_TEXT | 1u << TAMIS_OUT_CSV | 1u << TAMIS_OUT_JSON |
                                                  1u << TAMIS_OUT_NDJSON)) < 0)
                return TAMIS_EXIT_USAGE;
            mv.format = (tamis_out_format)fmt;
            have_format = true;
            break;
        case 'm': if (parse_moved(&mv, optarg, &moved) != 0) return TAMIS_EXIT_USAGE; break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc || !have1 || !have2) {
        fprintf(stderr, "tamis transitions: %s\n", optind != argc ? "unexpected argument" : "--from and --to are required");
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    if (moved && !have_format)
        mv.format = TAMIS_OUT_CSV;
    if ((moved && mv.format != TAMIS_OUT_CSV && mv.format != TAMIS_OUT_NDJSON) ||
        (!moved && mv.format == TAMIS_OUT_NDJSON)) {
        fprintf(stderr, "tamis transitions: %s\n", moved ? "--moved writes csv or ndjson" : "the matrix is table, csv or json");
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0)
        return tamis_cli_fail("transitions", rc, err.msg);
    tamis_score_platform_names(store, &names);
    if ((rc = tamis_txn_begin(store, false, &txn, &err)) == 0) {
        if (moved) {
            mv.txn = txn;
            if ((rc = tamis_transitions_check_days(txn, d1, d2, &err)) == 0) {
                if (mv.format == TAMIS_OUT_CSV)
                    printf("user,from,to,from_score,to_score,country\n");
                rc = tamis_snapshot_walk_pair(txn, d1, d2, visit_moved, &mv, &err);
            }
        } else if ((rc = tamis_transitions_compute(txn, &names, d1, d2, by, &matrix, &err)) == 0) {
            /* before closing the store: platform names are its */
            if (mv.format == TAMIS_OUT_JSON)
                print_json(&matrix, d1, d2);
            else if (mv.format == TAMIS_OUT_CSV)
                print_csv(&matrix);
            else
                print_table(&matrix);
            tamis_transitions_free(&matrix);
        }
        tamis_txn_abort(txn);
    }
    tamis_store_close(store);
    if (rc == 0 && fflush(stdout) != 0)
        rc = tamis_error_set(&err, TAMIS_EIO, "write to stdout failed");
    return rc ? tamis_cli_fail("transitions", rc, err.msg) : TAMIS_EXIT_OK;
}
