/* cmd_ingest.c — `tamis ingest FILE...|-`: apply event files to the store, exactly
 * once (the work is in src/store/ingest.c). */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "tamis/ingest.h"
#include "tamis/store.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] ingest [OPTIONS] FILE...|-\n"
            "\n"
            "Apply events from CSV or NDJSON files (plain, zstd or gzip; '-' reads stdin) to\n"
            "the store. Each file is applied exactly once: a file already ingested is skipped,\n"
            "an interrupted one resumes after its last committed batch, and events with an id\n"
            "are applied once however often they arrive. See docs/FORMATS.md.\n"
            "\n"
            "options:\n"
            "  --format auto|csv|ndjson   input format (default auto: '{' first means NDJSON)\n"
            "  --rejects PATH             where rejected records go (default DATA/rejects.log)\n"
            "  --max-errors N             fail (exit 3) once more than N records are rejected;\n"
            "                             records before that point are kept (default: no limit)\n"
            "  --batch N                  events per committed batch (default %d)\n"
            "  --retention-days N         days of history kept per user (default 400; stored)\n"
            "  --keep-raw                 also archive accepted records, zstd, in DATA/raw/\n"
            "  --format-summary json      print the summary as JSON on stdout\n"
            "  -q, --quiet                no progress bar, warnings or summary on stderr\n"
            "  -h, --help                 this help\n"
            "\n"
            "exit codes: 0 ok (rejected records included), 1 failure, 2 usage,\n"
            "            3 more than --max-errors rejected, 4 file not found, 5 store busy\n",
            TAMIS_DEFAULT_BATCH_EVENTS);
}

static void print_summary(FILE *out, const tamis_ingest_summary *s, bool json)
{
    double rate = s->seconds > 0 ? (double)s->records / s->seconds : 0;
    if (json) {
        fprintf(out,
                "{\"files\":%llu,\"files_skipped\":%llu,\"files_resumed\":%llu,\"records\":%llu,"
                "\"accepted\":%llu,\"duplicates\":%llu,\"rejected\":%llu,\"new_users\":%llu,"
                "\"bytes\":%llu,\"seconds\":%.3f,\"records_per_second\":%.0f}\n",
                (unsigned long long)s->files, (unsigned long long)s->files_skipped,
                (unsigned long long)s->files_resumed, (unsigned long long)s->records,
                (unsigned long long)s->accepted, (unsigned long long)s->duplicates,
                (unsigned long long)s->rejected, (unsigned long long)s->new_users,
                (unsigned long long)s->bytes, s->seconds, rate);
        return;
    }
    fprintf(out,
            "ingest: %llu file(s) (%llu skipped, %llu resumed): %llu records, %llu accepted, "
            "%llu duplicates, %llu rejected, %llu new users in %.2f s (%.0f records/s, %.1f MB/s)\n",
            (unsigned long long)s->files, (unsigned long long)s->files_skipped, (unsigned long long)s->files_resumed,
            (unsigned long long)s->records, (unsigned long long)s->accepted, (unsigned long long)s->duplicates,
            (unsigned long long)s->rejected, (unsigned long long)s->new_users, s->seconds, rate,
            s->seconds > 0 ? (double)s->bytes / s->seconds / 1e6 : 0.0);
}

int tamis_cmd_ingest(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, 0, 'f'},   {"rejects", required_argument, 0, 'r'},
        {"max-errors", required_argument, 0, 'm'}, {"batch", required_argument, 0, 'b'},
        {"retention-days", required_argument, 0, 'R'}, {"keep-raw", no_argument, 0, 'k'},
        {"format-summary", required_argument, 0, 'S'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    tamis_ingest_options opts = {.format = TAMIS_FORMAT_AUTO, .max_errors = UINT64_MAX, .messages = stderr};
    tamis_ingest_summary sum = {0};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, false);
    tamis_store *store = NULL;
    tamis_ingest *ing = NULL;
    tamis_error err = {0};
    unsigned long long n, retention = 0;
    bool quiet = false, json = false;
    int c, rc = TAMIS_OK;

    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!strcmp(optarg, "csv"))
                opts.format = TAMIS_FORMAT_CSV;
            else if (!strcmp(optarg, "ndjson"))
                opts.format = TAMIS_FORMAT_NDJSON;
            else if (strcmp(optarg, "auto") != 0) {
                fprintf(stderr, "tamis ingest: unknown --format '%s' (auto, csv or ndjson)\n", optarg);
                return TAMIS_EXIT_USAGE;
            }
            break;
        case 'r': opts.rejects_path = optarg; break;
        case 'm':
            if (tamis_cli_parse_u64("ingest", "--max-errors", optarg, &n))
                return TAMIS_EXIT_USAGE;
            opts.max_errors = n;
            break;
        case 'b':
            if (tamis_cli_parse_u64("ingest", "--batch", optarg, &n) || n == 0)
                return TAMIS_EXIT_USAGE;
            opts.batch_events = n;
            break;
        case 'R':
            if (tamis_cli_parse_u64("ingest", "--retention-days", optarg, &retention) || retention == 0 ||
                retention > 36500) {
                fprintf(stderr, "tamis ingest: --retention-days must be 1..36500\n");
                return TAMIS_EXIT_USAGE;
            }
            break;
        case 'k': opts.keep_raw = true; break;
        case 'S':
            if (tamis_cli_parse_format("ingest", optarg, 1u << TAMIS_OUT_JSON) < 0)
                return TAMIS_EXIT_USAGE;
            json = true;
            break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "tamis ingest: no input files (use - for stdin)\n");
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    opts.progress = cli->stderr_is_tty && !quiet;
    if (getenv("TAMIS_TRACE") && *getenv("TAMIS_TRACE") && strcmp(getenv("TAMIS_TRACE"), "0") != 0)
        opts.trace = stderr;
    if (quiet)
        opts.messages = NULL;
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0)
        return tamis_cli_fail("ingest", rc, err.msg);
    if (retention) {
        tamis_txn *t;
        if ((rc = tamis_txn_begin(store, true, &t, &err)) == 0) {
            if ((rc = tamis_meta_put_u64(t, "retention_days", retention, &err)) == 0)
                rc = tamis_txn_commit(t, &err);
            else
                tamis_txn_abort(t);
        }
        if (rc)
            goto out;
    }
    for (int i = optind; i < argc; i++) {
        struct stat sb;
        if (strcmp(argv[i], "-") != 0 && stat(argv[i], &sb) == 0 && S_ISREG(sb.st_mode))
            opts.input_bytes_hint += (uint64_t)sb.st_size;
    }
    if ((rc = tamis_ingest_new(store, &opts, &ing, &err)) != 0)
        goto out;
    for (int i = optind; i < argc && rc == TAMIS_OK; i++)
        rc = tamis_ingest_file(ing, argv[i], &sum, &err);
out:
    tamis_ingest_free(ing);
    tamis_store_close(store);
    if (json)
        print_summary(stdout, &sum, true);
    else if (!quiet)
        print_summary(stderr, &sum, false);
    if (rc == TAMIS_ELIMIT && sum.rejected > opts.max_errors) {
        fprintf(stderr, "tamis ingest: %s\n", err.msg);
        return TAMIS_EXIT_REJECTS;
    }
    if (rc)
        return tamis_cli_fail("ingest", rc, err.msg);
    return TAMIS_EXIT_OK;
}
