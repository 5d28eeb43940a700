/* cmd_score.c — `tamis score [--as-of T] [--full]`: compute and store every user's
 * score, tier, trend, sub-scores, reasons, channel, hour and cadence (the work is in
 * src/model/score_run.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "tamis/model_config.h"
#include "tamis/score_run.h"
#include "tamis/segment.h"
#include "tamis/segment_columns.h"
#include "tamis/store.h"
#include "util/workpool.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] [--config FILE] score [--as-of TIME] [--full] [--threads N] [-q]\n"
            "\n"
            "Compute every user's features as of TIME (default: now) and store the result:\n"
            "score 0-100, tier, trend, sub-scores, reasons, best channel, best hour, cadence.\n"
            "Incremental: only users changed since the last score (and users sharing a\n"
            "device with them) are rescored, unless TIME (rounded up to the hour) or the\n"
            "configuration changed since then.\n"
            "\n"
            "  --as-of TIME  unix seconds or ms, ISO-8601 with a zone, or YYYY-MM-DD (UTC)\n"
            "  --full        rescore every user\n"
            "  --threads N   threads judging users, 1-8 (default: one per CPU, at most 8)\n"
            "  -q            no summary on stderr\n"
            "\n"
            "exit codes: 0 ok, 1 failure (nothing stored), 2 usage, 5 store busy\n");
}

int tamis_cmd_score(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"as-of", required_argument, 0, 'a'},
                                              {"full", no_argument, 0, 'F'},
                                              {"threads", required_argument, 0, 'T'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    tamis_score_options opts = {0};
    tamis_score_summary sum;
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, false);
    tamis_model_config *cfg = NULL;
    tamis_store *store = NULL;
    tamis_error err = {0};
    struct timespec t0, t1;
    long long as_of = 0;
    bool have_as_of = false, quiet = false;
    int c, rc;

    while ((c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (tamis_cli_parse_time("score", "--as-of", optarg, &as_of) != 0)
                return TAMIS_EXIT_USAGE;
            have_as_of = true;
            break;
        case 'F': opts.full = true; break;
        case 'T':
            if (tamis_cli_parse_threads("score", optarg, &opts.threads) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tamis score: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!have_as_of)
        as_of = tamis_cli_now_ms();
    opts.as_of_ms = as_of;
    if ((rc = tamis_cli_load_config(cli, "score", &cfg)) != TAMIS_EXIT_OK)
        return rc;
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0) {
        tamis_model_config_free(cfg);
        return tamis_cli_fail("score", rc, err.msg);
    }
    if (getenv("TAMIS_TRACE") && *getenv("TAMIS_TRACE") && strcmp(getenv("TAMIS_TRACE"), "0") != 0)
        opts.trace = stderr;
    opts.progress = tamis_progress_new("score", 0, cli->stderr_is_tty && !quiet);
    rc = tamis_score_run(store, cfg, &opts, &sum, &err);
    tamis_progress_finish(opts.progress);
    tamis_progress_free(opts.progress);
    if (rc == 0) { /* the segments' column copy follows the results */
        rc = tamis_segment_columns_refresh(store, cfg, opts.threads ? opts.threads : tamis_cpu_count(8), &err);
        if (rc) { /* the results are stored: segments read them row by row meanwhile */
            fprintf(stderr, "score: warning: the column copy for segments was not built: %s\n", err.msg);
            memset(&err, 0, sizeof err);
            rc = 0;
        }
    }
    if (rc == 0) { /* saved segments follow the results */
        size_t refreshed = 0;
        rc = tamis_segment_refresh(store, cfg, NULL, &refreshed, &err);
        if (rc == 0 && refreshed && !quiet)
            fprintf(stderr, "score: %zu segment(s) refreshed\n", refreshed);
    }
    tamis_store_close(store);
    tamis_model_config_free(cfg);
    if (rc)
        return tamis_cli_fail("score", rc, err.msg);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!quiet) {
        char when[64];
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        tamis_cli_iso_time(as_of, when);
        fprintf(stderr, "score: %llu user(s) scored (%s: %s) as of %s, %llu with a score, %.2f s\n",
                (unsigned long long)sum.users_scored, sum.full ? "full" : "incremental", sum.why, when,
                (unsigned long long)sum.users_total, secs);
    }
    return TAMIS_EXIT_OK;
}
