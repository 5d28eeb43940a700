/* cmd_export.c — `tamis export`: every scored user's result and features as CSV or
 * NDJSON, with stable documented columns (include/tamis/columns.h, docs/MODEL.md), or
 * into PostgreSQL tables with --to (include/tamis/pg_export.h, docs/EXPORT_POSTGRES.md). */
#define _GNU_SOURCE /* fputs_unlocked: this thread is the stream's only writer */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "model/render.h"
#include "model/results.h"
#include "tamis/alloc.h"
#include "tamis/pg_export.h"
#include "tamis/segment.h"
#include "util/workpool.h"

#define MAX_THREADS 8

#define fputc(c, f) fputc_unlocked((c), (f))
#define fputs(s, f) fputs_unlocked((s), (f))

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] export [--format csv|ndjson] [--columns A,B,...]\n"
            "                          [--tier T[,T...]] [-o FILE | --to postgresql://...]\n"
            "\n"
            "Write every scored user (run `tamis score` first): user, score, tier, trend,\n"
            "sub-scores, channel, hour, cadence, every feature and the reasons. Columns and\n"
            "their formats are listed in docs/MODEL.md; --columns picks and orders them.\n"
            "\n"
            "  --format F    csv (default, with a header) or ndjson (one object per user)\n"
            "  --columns L   comma-separated column names\n"
            "  --tier L      only users in these tiers\n"
            "  -o FILE       write to FILE (written to FILE.tmp, renamed when complete)\n"
            "  --to URL      write into the PostgreSQL database of URL (postgresql:// or\n"
            "                postgres://, as libpq reads it) instead: table tamis_users gets one\n"
            "                row per user, one column per export column, in one transaction that\n"
            "                inserts, updates and deletes so the table holds exactly the exported\n"
            "                users; a failure changes nothing. --tier applies; --columns must\n"
            "                include user (other columns keep their values); --format does not\n"
            "                apply. Tables and columns: docs/EXPORT_POSTGRES.md\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage, 5 store busy, 6 database error (--to: the\n"
            "database is left as it was)\n");
}

typedef struct export_ctx {
    FILE *out;
    tamis_out_format format;
    size_t *cols;
    size_t n_cols;
    bool tiers[TAMIS_TIER__COUNT];
    bool tier_filter;
    uint64_t rows;
} export_ctx;

/* One user's row (a tamis_result_render_fn: runs in worker threads, reads x only). */
static int write_row(const void *vctx, tamis_results_reader *rd, FILE *out, uint64_t *rows)
{
    const export_ctx *x = vctx;
    if (x->tier_filter && !x->tiers[rd->result.tier])
        return 0;
    tamis_render_export_line(out, x->format == TAMIS_OUT_NDJSON, x->cols, x->n_cols, &rd->row);
    (*rows)++;
    return ferror(out) ? TAMIS_EIO : 0;
}

/* Parses a comma-separated list, calling fn for each item; -1 on a bad item. */
static int parse_list(const char *list, int (*fn)(void *ctx, const char *item, size_t len), void *ctx)
{
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || fn(ctx, p, n) != 0)
            return -1;
        p += n + (e ? 1 : 0);
    }
    return 0;
}

static int add_column(void *vctx, const char *item, size_t len)
{
    export_ctx *x = vctx;
    int col = tamis_column_find(item, len);
    if (col < 0) {
        fprintf(stderr, "tamis export: --columns: unknown column '%.*s' (see docs/MODEL.md)\n", (int)len, item);
        return -1;
    }
    x->cols[x->n_cols++] = (size_t)col;
    return 0;
}

static int add_tier(void *vctx, const char *item, size_t len)
{
    export_ctx *x = vctx;
    int t = tamis_tier_from_name(item, len);
    if (t < 0) {
        fprintf(stderr, "tamis export: --tier: unknown tier '%.*s'\n", (int)len, item);
        return -1;
    }
    x->tiers[t] = x->tier_filter = true;
    return 0;
}

/* --to URL: the rows go into PostgreSQL (include/tamis/pg_export.h). */
static int export_pg(tamis_store *store, const tamis_model_config *cfg, const export_ctx *x, bool all_columns,
                     const char *url)
{
    tamis_pg_export_options opt = {.cols = all_columns ? NULL : x->cols,
                                   .n_cols = all_columns ? 0 : x->n_cols,
                                   .tiers = x->tier_filter ? x->tiers : NULL,
                                   .threads = tamis_cpu_count(MAX_THREADS)};
    tamis_pg_export_stats st;
    tamis_pg_segment_set segs;
    tamis_error err = {0};
    int rc = tamis_segment_pg_collect(store, &segs, &err);

    if (rc)
        return tamis_cli_fail("export", rc, err.msg);
    opt.segments = segs.segments; /* the saved segments, and no others */
    opt.n_segments = segs.n;
    opt.prune_segments = true;
    rc = tamis_pg_export(url, store, cfg, &opt, &st, &err);
    tamis_segment_pg_free(&segs);
    if (rc)
        return tamis_cli_fail("export", rc, err.msg);
    fprintf(stderr,
            "export: %llu user(s) to PostgreSQL: %llu inserted, %llu updated, %llu unchanged, %llu deleted"
            " in %.2f s; %llu segment(s)\n",
            (unsigned long long)st.rows, (unsigned long long)st.inserted, (unsigned long long)st.updated,
            (unsigned long long)st.unchanged, (unsigned long long)st.deleted, st.seconds,
            (unsigned long long)st.segments);
    fprintf(stderr,
            "export: %llu row(s) sent; schema %.2f s, read %.2f s, copy %.2f s, merge %.2f s, segments %.2f s,"
            " commit %.2f s\n",
            (unsigned long long)st.sent, st.schema_seconds, st.read_seconds, st.copy_seconds, st.merge_seconds,
            st.segments_seconds, st.commit_seconds);
    return TAMIS_EXIT_OK;
}

static int export(const tamis_cli *cli, export_ctx *x, const char *path, const char *url, bool all_columns)
{
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, true);
    tamis_model_config *cfg = NULL;
    tamis_store *store = NULL;
    tamis_error err = {0};
    char *tmp = NULL;
    int rc;

    if ((rc = tamis_cli_load_config(cli, "export", &cfg)) != TAMIS_EXIT_OK)
        return rc;
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0) {
        tamis_model_config_free(cfg);
        return tamis_cli_fail("export", rc, err.msg);
    }
    if (url) {
        rc = export_pg(store, cfg, x, all_columns, url);
        tamis_store_close(store);
        tamis_model_config_free(cfg);
        return rc;
    }
    x->out = stdout;
    if (path) {
        size_t n = strlen(path) + 5;
        tmp = tamis_malloc(n);
        snprintf(tmp, n, "%s.tmp", path);
        if (!(x->out = fopen(tmp, "w"))) {
            tamis_error_set(&err, TAMIS_EIO, "cannot write %s", tmp);
            rc = TAMIS_EIO;
        }
    }
    if (rc == 0) {
        if (x->format == TAMIS_OUT_CSV)
            tamis_render_export_header(x->out, x->cols, x->n_cols);
        rc = tamis_results_render(store, cfg, tamis_cpu_count(MAX_THREADS), write_row, x, x->out, &x->rows, &err);
    }
    if (path && x->out) {
        if (fclose(x->out) != 0 && rc == 0)
            rc = tamis_error_set(&err, TAMIS_EIO, "cannot write %s", tmp);
        if (rc == 0 && rename(tmp, path) != 0)
            rc = tamis_error_set(&err, TAMIS_EIO, "cannot rename %s to %s", tmp, path);
        if (rc)
            remove(tmp);
    } else if (fflush(stdout) != 0 && rc == 0) {
        rc = tamis_error_set(&err, TAMIS_EIO, "write to stdout failed");
    }
    tamis_free(tmp);
    tamis_store_close(store);
    tamis_model_config_free(cfg);
    if (rc)
        return tamis_cli_fail("export", rc, err.msg);
    fprintf(stderr, "export: %llu user(s)%s%s\n", (unsigned long long)x->rows, path ? " to " : "", path ? path : "");
    return TAMIS_EXIT_OK;
}

/* --to takes a PostgreSQL URL, alone: not with -o or --format. */
static int check_url(const char *url, const char *path, bool format_given)
{
    if (strncmp(url, "postgresql://", 13) != 0 && strncmp(url, "postgres://", 11) != 0) {
        fprintf(stderr, "tamis export: --to: expected a postgresql:// or postgres:// URL\n");
        return -1;
    }
    if (path || format_given) {
        fprintf(stderr, "tamis export: --to writes to a database: -o and --format do not apply\n");
        return -1;
    }
    return 0;
}

int tamis_cmd_export(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, 0, 'f'},
                                              {"columns", required_argument, 0, 'c'},
                                              {"tier", required_argument, 0, 't'},
                                              {"output", required_argument, 0, 'o'},
                                              {"to", required_argument, 0, 'T'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    export_ctx x;
    const char *path = NULL, *columns = NULL, *url = NULL;
    bool format_given = false;
    int c, fmt, rc;

    memset(&x, 0, sizeof x);
    x.format = TAMIS_OUT_CSV;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if ((fmt = tamis_cli_parse_format("export", optarg, 1u << TAMIS_OUT_CSV | 1u << TAMIS_OUT_NDJSON)) < 0)
                return TAMIS_EXIT_USAGE;
            x.format = (tamis_out_format)fmt;
            format_given = true;
            break;
        case 'c': columns = optarg; break;
        case 't':
            if (parse_list(optarg, add_tier, &x) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'o': path = optarg; break;
        case 'T': url = optarg; break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tamis export: unexpected argument '%s'\n", argv[optind]);
        return TAMIS_EXIT_USAGE;
    }
    if (url && check_url(url, path, format_given) != 0)
        return TAMIS_EXIT_USAGE;
    /* a list of n names has at least 2n - 1 bytes */
    x.cols = tamis_calloc(columns ? strlen(columns) / 2 + 2 : tamis_column_count(), sizeof *x.cols);
    if (columns) {
        if (parse_list(columns, add_column, &x) != 0) {
            tamis_free(x.cols);
            return TAMIS_EXIT_USAGE;
        }
    } else {
        for (size_t i = 0; i < tamis_column_count(); i++)
            x.cols[x.n_cols++] = i;
    }
    rc = export(cli, &x, path, url, columns == NULL);
    tamis_free(x.cols);
    return rc;
}
