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
#include "tamis/snapshot_store.h"

#define STATES (TAMIS_TIER__COUNT + 1) /* the tiers, then "new" (rows) / "gone" (columns) */
#define NEW_OR_GONE TAMIS_TIER__COUNT
#define ANY 100 /* --moved: any state */
#define GROUPS 677 /* by country: 26 x 26 codes and "unknown"; by platform: 256 ids */

typedef enum { BY_NONE, BY_COUNTRY, BY_PLATFORM } group_by;

typedef struct matrix {
    uint64_t n[STATES][STATES];
    uint64_t users;
} matrix;

typedef struct trans_ctx {
    group_by by;
    tamis_out_format format;
    matrix *groups; /* GROUPS of them (one when BY_NONE) */
    /* --moved */
    bool moved;
    int from, to; /* a tier, NEW_OR_GONE, or ANY */
    tamis_txn *txn;
    const tamis_platform_names *names;
    uint64_t listed;
} trans_ctx;

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

static const char *state_name(int s, bool row)
{
    return s == NEW_OR_GONE ? (row ? "new" : "gone") : tamis_tier_name(s);
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

static size_t country_group(const char *c)
{
    if (c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z')
        return (size_t)(c[0] - 'A') * 26 + (size_t)(c[1] - 'A');
    return 26 * 26; /* unknown */
}

static void count(matrix *m, int from, int to)
{
    m->n[from][to]++;
    m->users++;
}

static void list_moved(trans_ctx *x, uint32_t uid, int from, int to, const tamis_snapshot_user *a,
                       const tamis_snapshot_user *b)
{
    char key[1024];
    const tamis_snapshot_user *now = b ? b : a;
    tamis_results_user_key(x->txn, uid, key, sizeof key);
    if (x->format == TAMIS_OUT_NDJSON) {
        fputs("{\"user\":", stdout);
        tamis_render_json_string(stdout, key);
        printf(",\"from\":\"%s\",\"to\":\"%s\",\"from_score\":", state_name(from, true), state_name(to, false));
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
        printf(",%s,%s,", state_name(from, true), state_name(to, false));
        a ? printf("%u,", a->score) : printf(",");
        b ? printf("%u,", b->score) : printf(",");
        printf("%s\n", now->country);
    }
    x->listed++;
}

static int visit(void *vctx, uint32_t uid, const tamis_snapshot_user *a, const tamis_snapshot_user *b)
{
    trans_ctx *x = vctx;
    int from = a ? a->tier : NEW_OR_GONE, to = b ? b->tier : NEW_OR_GONE;
    const tamis_snapshot_user *now = b ? b : a;

    if (from > NEW_OR_GONE || to > NEW_OR_GONE)
        return TAMIS_ECORRUPT;
    if (x->moved) {
        if ((x->from == ANY || x->from == from) && (x->to == ANY || x->to == to) && (from != to || x->from == ANY))
            list_moved(x, uid, from, to, a, b);
        return 0;
    }
    if (x->by == BY_NONE)
        count(&x->groups[0], from, to);
    else if (x->by == BY_COUNTRY)
        count(&x->groups[country_group(now->country)], from, to);
    else
        for (uint8_t i = 0; i < now->n_platforms; i++)
            count(&x->groups[now->platforms[i]], from, to);
    return 0;
}

static void group_name(const trans_ctx *x, size_t g, char *out, size_t cap)
{
    if (x->by == BY_NONE)
        snprintf(out, cap, "all");
    else if (x->by == BY_COUNTRY)
        g == 26 * 26 ? snprintf(out, cap, "unknown") : snprintf(out, cap, "%c%c", (int)('A' + g / 26), (int)('A' + g % 26));
    else
        snprintf(out, cap, "%s", x->names->name[g] ? x->names->name[g] : "?");
}

static uint64_t row_total(const matrix *m, int from)
{
    uint64_t t = 0;
    for (int to = 0; to < STATES; to++)
        t += m->n[from][to];
    return t;
}

static void print_table(const trans_ctx *x, size_t n_groups)
{
    static const char *const abbrev[STATES] = {"unrch", "risky", "daily", "hi_int", "occas", "silent", "dormnt", "gone"};
    char name[64];
    for (size_t g = 0; g < n_groups; g++) {
        const matrix *m = &x->groups[g];
        if (!m->users)
            continue;
        group_name(x, g, name, sizeof name);
        if (x->by != BY_NONE)
            printf("%s (%llu users)\n", name, (unsigned long long)m->users);
        /* 16 + 8 x 7 + 8 = 80 columns */
        printf("%-16s", "from \\ to");
        for (int to = 0; to < STATES; to++)
            printf(" %6s", abbrev[to]);
        printf(" %7s\n", "users");
        for (int from = 0; from < STATES; from++) {
            uint64_t total = row_total(m, from);
            printf("%-16.16s", state_name(from, true));
            for (int to = 0; to < STATES; to++)
                printf(" %5.1f%%", total ? 100.0 * (double)m->n[from][to] / (double)total : 0.0);
            printf(" %7llu\n", (unsigned long long)total);
        }
        if (g + 1 < n_groups && x->by != BY_NONE)
            putchar('\n');
    }
}

static void print_csv(const trans_ctx *x, size_t n_groups)
{
    char name[64];
    printf("group,from,to,users,share\n");
    for (size_t g = 0; g < n_groups; g++) {
        const matrix *m = &x->groups[g];
        if (!m->users)
            continue;
        group_name(x, g, name, sizeof name);
        for (int from = 0; from < STATES; from++) {
            uint64_t total = row_total(m, from);
            for (int to = 0; to < STATES; to++)
                printf("%s,%s,%s,%llu,%.6f\n", name, state_name(from, true), state_name(to, false),
                       (unsigned long long)m->n[from][to], total ? (double)m->n[from][to] / (double)total : 0.0);
        }
    }
}

static void print_json(const trans_ctx *x, size_t n_groups, const char *d1, const char *d2)
{
    json_t *doc = json_object(), *arr = json_array();
    char name[64], *text;
    for (size_t g = 0; g < n_groups; g++) {
        const matrix *m = &x->groups[g];
        json_t *o, *rows;
        if (!m->users)
            continue;
        group_name(x, g, name, sizeof name);
        o = json_object();
        rows = json_object();
        for (int from = 0; from < STATES; from++) {
            uint64_t total = row_total(m, from);
            json_t *row = json_object();
            for (int to = 0; to < STATES; to++)
                json_object_set_new(row, state_name(to, false),
                                    json_pack("{s:I,s:f}", "users", (json_int_t)m->n[from][to], "share",
                                              total ? (double)m->n[from][to] / (double)total : 0.0));
            json_object_set_new(rows, state_name(from, true), row);
        }
        json_object_set_new(o, "group", json_string(name));
        json_object_set_new(o, "users", json_integer((json_int_t)m->users));
        json_object_set_new(o, "matrix", rows);
        json_array_append_new(arr, o);
    }
    json_object_set_new(doc, "from", json_string(d1));
    json_object_set_new(doc, "to", json_string(d2));
    json_object_set_new(doc, "by", json_string(x->by == BY_NONE ? "all" : x->by == BY_COUNTRY ? "country" : "platform"));
    json_object_set_new(doc, "groups", arr);
    text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
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

static int parse_moved(trans_ctx *x, const char *v)
{
    const char *colon = strchr(v, ':');
    if (!colon || (x->from = parse_state(v, (size_t)(colon - v), true)) < 0 ||
        (x->to = parse_state(colon + 1, strlen(colon + 1), false)) < 0) {
        fprintf(stderr, "tamis transitions: --moved wants FROM:TO with tiers (FROM may be new, TO gone, "
                        "either *), not '%s'\n", v);
        return -1;
    }
    x->moved = true;
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
    trans_ctx x;
    tamis_store *store = NULL;
    tamis_error err = {0};
    uint32_t d1 = 0, d2 = 0;
    bool have1 = false, have2 = false, have_format = false;
    char s1[32], s2[32];
    int c, fmt, rc;

    memset(&x, 0, sizeof x);
    x.format = TAMIS_OUT_TEXT;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'F': if (parse_day("--from", optarg, &d1) != 0) return TAMIS_EXIT_USAGE; have1 = true; break;
        case 't': if (parse_day("--to", optarg, &d2) != 0) return TAMIS_EXIT_USAGE; have2 = true; break;
        case 'b':
            if (strcmp(optarg, "country") == 0)
                x.by = BY_COUNTRY;
            else if (strcmp(optarg, "platform") == 0)
                x.by = BY_PLATFORM;
            else {
                fprintf(stderr, "tamis transitions: --by must be country or platform, not '%s'\n", optarg);
                return TAMIS_EXIT_USAGE;
            }
            break;
        case 'f':
            if ((fmt = tamis_cli_parse_format("transitions", optarg,
                                              1u << TAMIS_OUT_TEXT | 1u << TAMIS_OUT_CSV | 1u << TAMIS_OUT_JSON |
                                                  1u << TAMIS_OUT_NDJSON)) < 0)
                return TAMIS_EXIT_USAGE;
            x.format = (tamis_out_format)fmt;
            have_format = true;
            break;
        case 'm': if (parse_moved(&x, optarg) != 0) return TAMIS_EXIT_USAGE; break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc || !have1 || !have2) {
        fprintf(stderr, "tamis transitions: %s\n", optind != argc ? "unexpected argument" : "--from and --to are required");
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    if (x.moved && !have_format)
        x.format = TAMIS_OUT_CSV;
    if ((x.moved && x.format != TAMIS_OUT_CSV && x.format != TAMIS_OUT_NDJSON) ||
        (!x.moved && x.format == TAMIS_OUT_NDJSON)) {
        fprintf(stderr, "tamis transitions: %s\n", x.moved ? "--moved writes csv or ndjson" : "the matrix is table, csv or json");
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0)
        return tamis_cli_fail("transitions", rc, err.msg);
    tamis_score_platform_names(store, &names);
    x.names = &names;
    x.groups = tamis_calloc(x.by == BY_NONE ? 1 : GROUPS > 256 ? GROUPS : 256, sizeof *x.groups);
    if ((rc = tamis_txn_begin(store, false, &x.txn, &err)) == 0) {
        if (x.moved && x.format == TAMIS_OUT_CSV)
            printf("user,from,to,from_score,to_score,country\n");
        rc = tamis_snapshot_walk_pair(x.txn, d1, d2, visit, &x, &err);
        if (rc == TAMIS_ECORRUPT && !err.msg[0])
            tamis_error_set(&err, TAMIS_ECORRUPT, "a snapshot holds an unknown tier");
        if (rc == TAMIS_ENOTFOUND) {
            tamis_snapshot_info info;
            tamis_error ignored;
            uint32_t missing = tamis_snapshot_info_get(x.txn, d1, &info, &ignored) == TAMIS_ENOTFOUND ? d1 : d2;
            tamis_format_utc_date(missing, s1);
            tamis_error_set(&err, TAMIS_ENOTFOUND, "no snapshot of %s (see tamis snapshots)", s1);
        }
        tamis_txn_abort(x.txn);
    }
    if (rc == 0 && !x.moved) { /* before closing the store: platform names are its */
        size_t n = x.by == BY_NONE ? 1 : x.by == BY_COUNTRY ? GROUPS : 256;
        tamis_format_utc_date(d1, s1);
        tamis_format_utc_date(d2, s2);
        if (x.format == TAMIS_OUT_JSON)
            print_json(&x, n, s1, s2);
        else if (x.format == TAMIS_OUT_CSV)
            print_csv(&x, n);
        else
            print_table(&x, n);
    }
    tamis_store_close(store);
    tamis_free(x.groups);
    if (rc == 0 && fflush(stdout) != 0)
        rc = tamis_error_set(&err, TAMIS_EIO, "write to stdout failed");
    return rc ? tamis_cli_fail("transitions", rc, err.msg) : TAMIS_EXIT_OK;
}
