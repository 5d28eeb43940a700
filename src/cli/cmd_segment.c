/* cmd_segment.c — `tamis segment create|eval|list|show|members|diff|refresh|drop`:
 * saved segments (include/tamis/segment.h) over the expression language
 * (include/tamis/expr.h, docs/SEGMENTS.md). Thin: parsing options, printing. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/render.h"
#include "model/results.h"
#include "tamis/alloc.h"
#include "tamis/event.h"
#include "tamis/expr.h"
#include "tamis/segment.h"
#include "tamis/snapshot_store.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] segment create NAME EXPR [--explain]\n"
            "       tamis [--data DIR] segment eval EXPR [--explain]\n"
            "                                [--format csv|ndjson] [--columns A,B,...]\n"
            "       tamis [--data DIR] segment list [--format table|csv|json]\n"
            "       tamis [--data DIR] segment show NAME [--explain]\n"
            "       tamis [--data DIR] segment members NAME [--format csv|ndjson] [--columns A,B,...]\n"
            "       tamis [--data DIR] segment diff NAME [--since DATE] [--format csv|ndjson]\n"
            "       tamis [--data DIR] segment refresh [NAME]\n"
            "       tamis [--data DIR] segment drop NAME\n"
            "\n"
            "Saved audiences: an expression over every feature, sub-score, tier, trend,\n"
            "tag, attribute and consent (docs/SEGMENTS.md), for example\n"
            "  tier in (\"daily_active\", \"high_interaction\") and country = \"VN\"\n"
            "    and reply_30 > 0 and days_since(last_seen) <= 7d and not has_tag(\"staff\")\n"
            "evaluated over the stored results (run tamis score first) and kept with its\n"
            "members; tamis score refreshes every segment. eval counts without saving\n"
            "(with --format, writes the members instead, as members does);\n"
            "--explain prints the compiled form; diff lists who entered and who left at\n"
            "the last evaluation, or since the daily snapshot of DATE (for definitions\n"
            "over what snapshots keep: score, tier, trend, sub-scores, country);\n"
            "members writes user, score, tier unless --columns.\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage or a bad expression, 4 unknown segment,\n"
            "5 store busy\n");
}

typedef struct seg_args {
    bool explain;
    tamis_out_format format;
    const char *columns;
    const char *since;         /* diff --since DATE */
    int first;                 /* index of the first positional argument */
} seg_args;

static int parse(int argc, char **argv, unsigned formats, seg_args *a)
{
    static const struct option longopts[] = {{"explain", no_argument, 0, 'e'},
                                              {"format", required_argument, 0, 'f'},
                                              {"columns", required_argument, 0, 'c'},
                                              {"since", required_argument, 0, 's'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    int c, f;
    memset(a, 0, sizeof *a);
    a->format = formats & (1u << TAMIS_OUT_TEXT) ? TAMIS_OUT_TEXT : TAMIS_OUT_CSV;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': a->explain = true; break;
        case 'c': a->columns = optarg; break;
        case 's': a->since = optarg; break;
        case 'f':
            if ((f = tamis_cli_parse_format("segment", optarg, formats)) < 0)
                return TAMIS_EXIT_USAGE;
            a->format = (tamis_out_format)f;
            break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    a->first = optind;
    return TAMIS_EXIT_OK;
}

/* A failure: expression errors and bad names are usage errors. */
static int fail(int rc, const char *msg)
{
    fprintf(stderr, "tamis segment: %s\n", msg);
    if (rc == TAMIS_EINPUT || rc == TAMIS_ELIMIT || rc == TAMIS_EUSAGE)
        return TAMIS_EXIT_USAGE;
    return tamis_exit_code_for(rc);
}

static void explain(const char *definition, tamis_store *store)
{
    tamis_error err = {0};
    if (tamis_segment_explain(store, definition, stdout, &err) != TAMIS_OK)
        fprintf(stderr, "tamis segment: %s\n", err.msg);
}

static void when(int64_t ms, char out[32])
{
    if (ms)
        tamis_format_utc(ms, false, out);
    else
        snprintf(out, 32, "-");
}

static int members_out(tamis_store *store, const tamis_model_config *cfg, const roaring_bitmap_t *b,
                       const seg_args *a)
{
    size_t cols[128], n_cols = 0;
    const char *spec = a->columns ? a->columns : "user,score,tier";
    tamis_results_reader rd;
    roaring_uint32_iterator_t *it;
    tamis_txn *t;
    tamis_error err = {0};
    int rc;
    for (const char *p = spec; *p && n_cols < 128;) {
        size_t n = strcspn(p, ",");
        int col = tamis_column_find(p, n);
        if (col < 0) {
            fprintf(stderr, "tamis segment: --columns: unknown column '%.*s' (see docs/MODEL.md)\n", (int)n, p);
            return TAMIS_EXIT_USAGE;
        }
        cols[n_cols++] = (size_t)col;
        p += n + (p[n] == ',');
    }
    if ((rc = tamis_txn_begin(store, false, &t, &err)) != 0)
        return fail(rc, err.msg);
    tamis_results_reader_init(&rd, store, t, cfg);
    if (a->format == TAMIS_OUT_CSV)
        tamis_render_export_header(stdout, cols, n_cols);
    it = roaring_create_iterator(b);
    for (; it->has_value && rc == 0; roaring_advance_uint32_iterator(it)) {
        rc = tamis_results_get(&rd, it->current_value, &err);
        if (rc == TAMIS_ENOTFOUND) { /* no longer scored (erased or merged since) */
            rc = 0;
            continue;
        }
        if (rc == 0)
            tamis_render_export_line(stdout, a->format == TAMIS_OUT_NDJSON, cols, n_cols, &rd.row);
    }
    roaring_free_uint32_iterator(it);
    tamis_results_reader_free(&rd);
    tamis_txn_abort(t);
    return rc ? fail(rc, err.msg) : TAMIS_EXIT_OK;
}

static int diff_out(tamis_store *store, const roaring_bitmap_t *now, const roaring_bitmap_t *before,
                    const seg_args *a)
{
    roaring_bitmap_t *in = roaring_bitmap_andnot(now, before), *out = roaring_bitmap_andnot(before, now);
    const roaring_bitmap_t *sets[2] = {in, out};
    const char *what[2] = {"entered", "left"};
    char key[1024];
    tamis_txn *t;
    tamis_error err = {0};
    int rc = tamis_txn_begin(store, false, &t, &err);
    if (rc == 0) {
        if (a->format == TAMIS_OUT_CSV)
            puts("user,change");
        for (int k = 0; k < 2; k++) {
            roaring_uint32_iterator_t *it = roaring_create_iterator(sets[k]);
            for (; it->has_value; roaring_advance_uint32_iterator(it)) {
                tamis_results_user_key(t, it->current_value, key, sizeof key);
                if (!key[0])
                    snprintf(key, sizeof key, "(erased uid %u)", it->current_value);
                if (a->format == TAMIS_OUT_NDJSON) {
                    fputs("{\"user\":", stdout);
                    tamis_render_json_string(stdout, key);
                    printf(",\"change\":\"%s\"}\n", what[k]);
                } else {
                    tamis_render_csv_string(stdout, key);
                    printf(",%s\n", what[k]);
                }
            }
            roaring_free_uint32_iterator(it);
        }
        tamis_txn_abort(t);
    }
    roaring_bitmap_free(in);
    roaring_bitmap_free(out);
    return rc ? fail(rc, err.msg) : TAMIS_EXIT_OK;
}

static int list_out(tamis_store *store, const seg_args *a)
{
    tamis_segment_info *infos = NULL;
    size_t n = 0;
    tamis_error err = {0};
    int rc = tamis_segment_list(store, &infos, &n, &err);
    if (rc)
        return fail(rc, err.msg);
    if (a->format == TAMIS_OUT_CSV)
        puts("name,size,previous_size,as_of,evaluated,definition");
    else if (a->format == TAMIS_OUT_JSON)
        fputs("[", stdout);
    else
        printf("%-20s %10s %10s  %-20s\n", "segment", "members", "before", "as of");
    for (size_t i = 0; i < n; i++) {
        char asof[32], evaluated[32];
        when(infos[i].as_of_ms, asof);
        when(infos[i].evaluated_ms, evaluated);
        if (a->format == TAMIS_OUT_CSV) {
            printf("%s,%llu,%llu,%s,%s,", infos[i].name, (unsigned long long)infos[i].size,
                   (unsigned long long)infos[i].previous_size, asof, evaluated);
            tamis_render_csv_string(stdout, infos[i].definition);
            putchar('\n');
        } else if (a->format == TAMIS_OUT_JSON) {
            printf("%s{\"name\":\"%s\",\"size\":%llu,\"previous_size\":%llu,\"as_of\":\"%s\",\"evaluated\":\"%s\","
                   "\"definition\":",
                   i ? "," : "", infos[i].name, (unsigned long long)infos[i].size,
                   (unsigned long long)infos[i].previous_size, asof, evaluated);
            tamis_render_json_string(stdout, infos[i].definition);
            putchar('}');
        } else {
            printf("%-20.20s %10llu %10llu  %-20s\n", infos[i].name, (unsigned long long)infos[i].size,
                   (unsigned long long)infos[i].previous_size, asof);
        }
        tamis_segment_info_free(&infos[i]);
    }
    if (a->format == TAMIS_OUT_JSON)
        puts("]");
    tamis_free(infos);
    return TAMIS_EXIT_OK;
}

int tamis_cmd_segment(const tamis_cli *cli, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    unsigned formats = 1u << TAMIS_OUT_CSV | 1u << TAMIS_OUT_NDJSON;
    bool writes = strcmp(sub, "create") == 0 || strcmp(sub, "refresh") == 0 || strcmp(sub, "drop") == 0;
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, !writes);
    tamis_model_config *cfg = NULL;
    tamis_store *store = NULL;
    tamis_error err = {0};
    seg_args a;
    int rc, nargs, want;

    if (strcmp(sub, "list") == 0)
        formats = 1u << TAMIS_OUT_TEXT | 1u << TAMIS_OUT_CSV | 1u << TAMIS_OUT_JSON;
    if (strcmp(sub, "eval") == 0) /* text: the count; csv, ndjson: the members */
        formats = 1u << TAMIS_OUT_TEXT | 1u << TAMIS_OUT_CSV | 1u << TAMIS_OUT_NDJSON;
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        usage(stdout);
        return TAMIS_EXIT_OK;
    }
    want = strcmp(sub, "create") == 0 ? 2
         : strcmp(sub, "eval") == 0 || strcmp(sub, "show") == 0 || strcmp(sub, "members") == 0 ||
                   strcmp(sub, "diff") == 0 || strcmp(sub, "drop") == 0
             ? 1
         : strcmp(sub, "list") == 0 ? 0
         : strcmp(sub, "refresh") == 0 ? -1 /* 0 or 1 */
                                       : -2;
    if (want == -2) {
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = parse(argc - 1, argv + 1, formats, &a)) != TAMIS_EXIT_OK)
        return rc < 0 ? TAMIS_EXIT_OK : rc;
    nargs = argc - 1 - a.first;
    if ((want >= 0 && nargs != want) || (want == -1 && nargs > 1)) {
        fprintf(stderr, "tamis segment %s: wrong number of arguments (see tamis segment --help)\n", sub);
        return TAMIS_EXIT_USAGE;
    }
    argv += 1 + a.first;
    if ((rc = tamis_cli_load_config(cli, "segment", &cfg)) != TAMIS_EXIT_OK)
        return rc;
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0) {
        tamis_model_config_free(cfg);
        return tamis_cli_fail("segment", rc, err.msg);
    }
    rc = TAMIS_EXIT_OK;
    if (strcmp(sub, "create") == 0) {
        tamis_segment_info info;
        int r = tamis_segment_create(store, cfg, argv[0], argv[1], &info, &err);
        if (r)
            rc = fail(r, err.msg);
        else {
            fprintf(stderr, "segment: %s created: %llu members\n", info.name, (unsigned long long)info.size);
            if (a.explain)
                explain(info.definition, store);
            tamis_segment_info_free(&info);
        }
    } else if (strcmp(sub, "eval") == 0) {
        roaring_bitmap_t *b;
        int64_t as_of;
        int r = tamis_segment_evaluate(store, cfg, argv[0], &b, &as_of, &err);
        if (r)
            rc = fail(r, err.msg);
        else {
            char t[32];
            tamis_format_utc(as_of, false, t);
            if (a.format != TAMIS_OUT_TEXT)
                rc = members_out(store, cfg, b, &a);
            else
                printf("%llu users match (results as of %s)\n", (unsigned long long)roaring_bitmap_get_cardinality(b),
                       t);
            if (a.explain)
                explain(argv[0], store);
            roaring_bitmap_free(b);
        }
    } else if (strcmp(sub, "list") == 0) {
        rc = list_out(store, &a);
    } else if (strcmp(sub, "refresh") == 0) {
        size_t done = 0;
        int r = tamis_segment_refresh(store, cfg, nargs ? argv[0] : NULL, &done, &err);
        if (r)
            rc = fail(r, err.msg);
        else
            fprintf(stderr, "segment: %zu refreshed\n", done);
    } else if (strcmp(sub, "drop") == 0) {
        int r = tamis_segment_drop(store, cfg, argv[0], &err);
        if (r)
            rc = fail(r, err.msg);
        else
            fprintf(stderr, "segment: %s dropped\n", argv[0]);
    } else if (strcmp(sub, "diff") == 0 && a.since) {
        roaring_bitmap_t *now = NULL, *then = NULL;
        long long ms;
        int r;
        if (tamis_cli_parse_time("segment", "--since", a.since, &ms) != 0)
            rc = TAMIS_EXIT_USAGE;
        else if ((r = tamis_segment_members_since(store, argv[0], tamis_snapshot_day_of(ms), &then, &now, &err)) != 0)
            rc = fail(r, err.msg);
        else {
            rc = diff_out(store, now, then, &a);
            roaring_bitmap_free(now);
            roaring_bitmap_free(then);
        }
    } else {
        tamis_segment_info info;
        roaring_bitmap_t *now = NULL, *before = NULL;
        int r = tamis_segment_get(store, argv[0], &info, &now, &before, &err);
        if (r)
            rc = fail(r, err.msg);
        else {
            if (strcmp(sub, "show") == 0) {
                char c[32], e[32], t[32];
                when(info.created_ms, c);
                when(info.evaluated_ms, e);
                when(info.as_of_ms, t);
                printf("segment     %s\ndefinition  %s\nmembers     %llu (%llu at the evaluation before)\n"
                       "evaluated   %s, on results as of %s\ncreated     %s\n",
                       info.name, info.definition, (unsigned long long)roaring_bitmap_get_cardinality(now),
                       (unsigned long long)roaring_bitmap_get_cardinality(before), e, t, c);
                if (a.explain)
                    explain(info.definition, store);
            } else if (strcmp(sub, "members") == 0) {
                rc = members_out(store, cfg, now, &a);
            } else {
                rc = diff_out(store, now, before, &a);
            }
            tamis_segment_info_free(&info);
            roaring_bitmap_free(now);
            roaring_bitmap_free(before);
        }
    }
    tamis_store_close(store);
    tamis_model_config_free(cfg);
    return rc;
}
