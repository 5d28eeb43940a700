/* cmd_gen.c — `tamis gen`: write a deterministic synthetic contacts.csv and
 * events.csv (or events.ndjson) into a directory. The generator itself is src/gen
 * (include/tamis/gen.h); this file parses options, creates the directory, writes each
 * file under a temporary name and renames it into place once complete, and prints a
 * one-line summary. docs/GEN.md describes the data. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "tamis/event.h"
#include "tamis/gen.h"
#include "tamis/progress.h"

#define GEN_PATH_MAX 4096

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis gen [OPTIONS] -o DIR\n"
            "\n"
            "Write a synthetic DIR/contacts.csv, DIR/events.csv (or events.ndjson) and\n"
            "DIR/truth.csv (which users it made cool down or warm up, and when), creating\n"
            "DIR. The output depends only on the options: the same options give byte-identical\n"
            "files. Events fall in [END - DAYS, END). See docs/GEN.md for what the data holds.\n"
            "\n"
            "options:\n"
            "  --users N         contacts (default 1000)\n"
            "  --events M        well-formed event lines, exactly (default 20000); about 0.5%%\n"
            "                    of them repeat an earlier line exactly (same id)\n"
            "  --days D          length of the window in days (default 90)\n"
            "  --seed S          random seed (default 1)\n"
            "  --bad-lines K     malformed event lines added, exactly (default 0)\n"
            "  --end TIME        end of the window: unix seconds or ISO-8601 with a zone, or a\n"
            "                    date YYYY-MM-DD (default 2026-11-01T00:00:00Z, fixed so that\n"
            "                    the output does not depend on today's date)\n"
            "  --format F        events file format: csv (default) or ndjson\n"
            "  -o, --out DIR     output directory (required)\n"
            "  -q, --quiet       no progress bar and no summary\n"
            "  -h, --help        this help\n"
            "\n"
            "exit codes: 0 ok, 1 failure (I/O), 2 usage\n");
}

/* --end: a time tamis_cli_parse_time accepts, whole seconds. */
static int parse_end(const char *value, int64_t *end_ms)
{
    long long ms;
    if (tamis_cli_parse_time("gen", "--end", value, &ms) != 0)
        return -1;
    *end_ms = ms;
    if (*end_ms % 1000) {
        fprintf(stderr, "tamis gen: --end must be a whole second\n");
        return -1;
    }
    return 0;
}

/* mkdir -p: creates every missing component of dir. */
static int make_dirs(const char *dir)
{
    char path[GEN_PATH_MAX];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof path)
        return -1;
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return -1;
        path[i] = i == n ? '\0' : '/';
    }
    return 0;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

typedef struct gen_cli_opts {
    tamis_gen_options gen;
    const char *dir;
    bool quiet;
} gen_cli_opts;

/* Returns 0, or an exit code after printing the reason. */
static int parse_args(int argc, char **argv, gen_cli_opts *a, bool *help)
{
    static const struct option longopts[] = {
        {"users", required_argument, 0, 'U'},  {"events", required_argument, 0, 'E'},
        {"days", required_argument, 0, 'D'},   {"seed", required_argument, 0, 'S'},
        {"bad-lines", required_argument, 0, 'B'}, {"end", required_argument, 0, 'T'},
        {"format", required_argument, 0, 'F'}, {"out", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    unsigned long long v;
    int c;

    tamis_gen_options_init(&a->gen);
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'U':
        case 'E':
        case 'D':
        case 'S':
        case 'B':
            if (tamis_cli_parse_u64("gen",
                                    c == 'U'   ? "--users"
                                    : c == 'E' ? "--events"
                                    : c == 'D' ? "--days"
                                    : c == 'S' ? "--seed"
                                               : "--bad-lines",
                                    optarg, &v) != 0)
                return TAMIS_EXIT_USAGE;
            if (c == 'U')
                a->gen.users = v;
            else if (c == 'E')
                a->gen.events = v;
            else if (c == 'D')
                a->gen.days = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
            else if (c == 'S')
                a->gen.seed = v;
            else
                a->gen.bad_lines = v;
            break;
        case 'T':
            if (parse_end(optarg, &a->gen.end_ms) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'F':
            if (!strcmp(optarg, "csv")) {
                a->gen.format = TAMIS_FORMAT_CSV;
            } else if (!strcmp(optarg, "ndjson")) {
                a->gen.format = TAMIS_FORMAT_NDJSON;
            } else {
                fprintf(stderr, "tamis gen: unknown --format '%s' (one of: csv ndjson)\n", optarg);
                return TAMIS_EXIT_USAGE;
            }
            break;
        case 'o': a->dir = optarg; break;
        case 'q': a->quiet = true; break;
        case 'h': *help = true; return 0;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tamis gen: unexpected argument '%s'\n", argv[optind]);
        return TAMIS_EXIT_USAGE;
    }
    if (!a->dir || !*a->dir) {
        fprintf(stderr, "tamis gen: -o DIR is required\n");
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    return 0;
}

static void print_summary(const gen_cli_opts *a, const tamis_gen_stats *st, const char *cpath,
                          const char *epath, double secs)
{
    char end[64];
    tamis_cli_iso_time(a->gen.end_ms, end);
    fprintf(stderr,
            "tamis gen: %llu users, %llu events (%llu duplicates), %llu bad lines, %u days to %s, "
            "seed %llu: %s (%.1f MB), %s (%.1f MB) in %.2f s\n",
            (unsigned long long)st->contacts, (unsigned long long)st->events,
            (unsigned long long)st->duplicates, (unsigned long long)st->bad_lines, a->gen.days, end,
            (unsigned long long)a->gen.seed, cpath, (double)st->contacts_bytes / 1e6, epath,
            (double)st->events_bytes / 1e6, secs);
}

/* DIR/truth.csv: what the generator knows (lifecycles), for tests and benchmarks. */
static int write_truth(const gen_cli_opts *a, tamis_error *err)
{
    char path[GEN_PATH_MAX + 16], tmp[GEN_PATH_MAX + 32];
    FILE *f;
    int rc;
    snprintf(path, sizeof path, "%s/truth.csv", a->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "wb")))
        return tamis_error_set(err, TAMIS_EIO, "cannot create %s: %s", tmp, strerror(errno));
    rc = tamis_gen_write_truth(&a->gen, f, err);
    if (fclose(f) != 0 && rc == TAMIS_OK)
        rc = tamis_error_set(err, TAMIS_EIO, "closing %s: %s", tmp, strerror(errno));
    if (rc == TAMIS_OK && rename(tmp, path) != 0)
        rc = tamis_error_set(err, TAMIS_EIO, "renaming %s: %s", tmp, strerror(errno));
    if (rc)
        remove(tmp);
    return rc;
}

int tamis_cmd_gen(const tamis_cli *cli, int argc, char **argv)
{
    gen_cli_opts a = {.dir = NULL};
    tamis_gen_stats st;
    tamis_error err = {0};
    char cpath[GEN_PATH_MAX], epath[GEN_PATH_MAX], ctmp[GEN_PATH_MAX], etmp[GEN_PATH_MAX];
    FILE *cf = NULL, *ef = NULL;
    tamis_progress *bar = NULL;
    struct timespec t0;
    bool help = false;
    int rc, code;

    if ((code = parse_args(argc, argv, &a, &help)) != 0)
        return code;
    if (help) {
        usage(stdout);
        return TAMIS_EXIT_OK;
    }
    snprintf(cpath, sizeof cpath, "%s/contacts.csv", a.dir);
    snprintf(epath, sizeof epath, "%s/events.%s", a.dir,
             a.gen.format == TAMIS_FORMAT_NDJSON ? "ndjson" : "csv");
    if ((size_t)snprintf(ctmp, sizeof ctmp, "%s.tmp", cpath) >= sizeof ctmp ||
        (size_t)snprintf(etmp, sizeof etmp, "%s.tmp", epath) >= sizeof etmp) {
        fprintf(stderr, "tamis gen: output directory name too long\n");
        return TAMIS_EXIT_USAGE;
    }
    if (make_dirs(a.dir) != 0) {
        fprintf(stderr, "tamis gen: cannot create %s: %s\n", a.dir, strerror(errno));
        return TAMIS_EXIT_FAILURE;
    }
    if (!(cf = fopen(ctmp, "wb")) || !(ef = fopen(etmp, "wb"))) {
        fprintf(stderr, "tamis gen: cannot create %s: %s\n", cf ? etmp : ctmp, strerror(errno));
        code = TAMIS_EXIT_FAILURE;
        goto fail;
    }

    clock_gettime(CLOCK_MONOTONIC, &t0);
    bar = tamis_progress_new("gen", a.gen.events, cli->stderr_is_tty && !a.quiet);
    a.gen.progress = bar;
    rc = tamis_gen_write(&a.gen, cf, ef, &st, &err);
    tamis_progress_finish(bar);
    if (rc == TAMIS_OK && fclose(cf) != 0)
        rc = tamis_error_set(&err, TAMIS_EIO, "closing %s: %s", ctmp, strerror(errno));
    cf = NULL;
    if (rc == TAMIS_OK && fclose(ef) != 0)
        rc = tamis_error_set(&err, TAMIS_EIO, "closing %s: %s", etmp, strerror(errno));
    ef = NULL;
    if (rc == TAMIS_OK && (rename(ctmp, cpath) != 0 || rename(etmp, epath) != 0))
        rc = tamis_error_set(&err, TAMIS_EIO, "renaming into %s: %s", a.dir, strerror(errno));
    if (rc == TAMIS_OK)
        rc = write_truth(&a, &err);
    if (rc != TAMIS_OK) {
        code = tamis_cli_fail("gen", rc, err.msg);
        goto fail;
    }
    if (!a.quiet)
        print_summary(&a, &st, cpath, epath, seconds_since(&t0));
    tamis_progress_free(bar);
    return TAMIS_EXIT_OK;

fail:
    tamis_progress_free(bar);
    if (cf)
        fclose(cf);
    if (ef)
        fclose(ef);
    remove(ctmp);
    remove(etmp);
    return code;
}
