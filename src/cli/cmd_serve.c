/* cmd_serve.c — `tamis serve [--listen ADDR:PORT]`: the HTTP API over the store
 * (src/serve/server.c) until SIGINT or SIGTERM. The signals are blocked before the
 * server's threads start, so they all inherit the mask and only sigwait sees them. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tamis/server.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] [--config FILE] serve [--listen ADDR:PORT] [--threads N]\n"
            "         [--rate N] [--burst N] [--rescore-delay S | --no-rescore]\n"
            "         [--snapshot-zone ZONE] [--as-of T] [--score-threads N] [--default-country CC]\n"
            "\n"
            "Serve the HTTP API and the dashboard (docs/openapi.yaml, docs/DASHBOARD.md) until\n"
            "SIGINT or SIGTERM. Requests need an API key (tamis apikey create) as\n"
            "\"Authorization: Bearer KEY\", except /healthz and the dashboard's page. Posted\n"
            "events and contacts are committed before they are acknowledged; changed users\n"
            "are rescored in the background; the daily snapshot is taken at midnight.\n"
            "\n"
            "  --listen ADDR:PORT    IPv4 address and port (default 127.0.0.1:8080; port 0: any)\n"
            "  --threads N           request threads, 1-8 (default: one per CPU)\n"
            "  --rate N              requests a second per API key (default: no limit; 429)\n"
            "  --burst N             requests a key may make at once (default: 2 x rate)\n"
            "  --rescore-delay S     rescore changed users within S seconds (default 2)\n"
            "  --no-rescore          never rescore or snapshot (run tamis score yourself)\n"
            "  --snapshot-zone ZONE  take the daily snapshot at midnight there (default UTC;\n"
            "                        'none': no snapshots)\n"
            "  --as-of T             score as of T, not the clock (replaying a past sample;\n"
            "                        no hourly rescoring, no snapshots)\n"
            "  --score-threads N     threads of a rescoring run (default: one per CPU)\n"
            "  --default-country CC  country of posted contacts' phones without one\n"
            "\n"
            "exit codes: 0 stopped by a signal, 1 failure, 2 usage, 5 store busy\n");
}

int tamis_cmd_serve(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"listen", required_argument, 0, 'l'},
                                              {"threads", required_argument, 0, 'T'},
                                              {"rate", required_argument, 0, 'r'},
                                              {"burst", required_argument, 0, 'b'},
                                              {"rescore-delay", required_argument, 0, 'd'},
                                              {"no-rescore", no_argument, 0, 'n'},
                                              {"snapshot-zone", required_argument, 0, 'z'},
                                              {"as-of", required_argument, 0, 'a'},
                                              {"score-threads", required_argument, 0, 'S'},
                                              {"default-country", required_argument, 0, 'C'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, false);
    tamis_server_options opts = {0};
    tamis_model_config *cfg = NULL;
    tamis_store *store = NULL;
    tamis_server *server = NULL;
    tamis_error err = {0};
    sigset_t stop;
    int c, rc, sig = 0;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'l': opts.listen = optarg; break;
        case 'T':
            if (tamis_cli_parse_threads("serve", optarg, &opts.threads) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'r':
        case 'b': {
            char *end;
            double v = strtod(optarg, &end);
            if (end == optarg || *end || !(v > 0) || v > 1e9) {
                fprintf(stderr, "tamis serve: --%s wants a positive number, not '%s'\n", c == 'r' ? "rate" : "burst",
                        optarg);
                return TAMIS_EXIT_USAGE;
            }
            *(c == 'r' ? &opts.rate_per_s : &opts.burst) = v;
            break;
        }
        case 'd': {
            char *end;
            double v = strtod(optarg, &end);
            if (end == optarg || *end || !(v > 0) || v > 86400) {
                fprintf(stderr, "tamis serve: --rescore-delay wants seconds (0 < S <= 86400), not '%s'\n", optarg);
                return TAMIS_EXIT_USAGE;
            }
            opts.rescore_delay_s = v;
            break;
        }
        case 'n': opts.rescore_delay_s = -1; break;
        case 'z': opts.snapshot_zone = strcmp(optarg, "none") == 0 ? "" : optarg; break;
        case 'a': {
            long long ms;
            if (tamis_cli_parse_time("serve", "--as-of", optarg, &ms) != 0)
                return TAMIS_EXIT_USAGE;
            opts.as_of_ms = ms;
            break;
        }
        case 'S':
            if (tamis_cli_parse_threads("serve", optarg, &opts.score_threads) != 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'C': opts.default_country = optarg; break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tamis serve: unexpected argument '%s'\n", argv[optind]);
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_cli_load_config(cli, "serve", &cfg)) != TAMIS_EXIT_OK)
        return rc;
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0) {
        tamis_model_config_free(cfg);
        return tamis_cli_fail("serve", rc, err.msg);
    }
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    if ((rc = tamis_server_start(store, cfg, &opts, &server, &err)) == 0) {
        fprintf(stderr, "serve: listening on http://%.*s:%u (stop with Ctrl-C)\n",
                (int)(opts.listen && strrchr(opts.listen, ':') ? strrchr(opts.listen, ':') - opts.listen : 9),
                opts.listen ? opts.listen : "127.0.0.1", tamis_server_port(server));
        fflush(stderr);
        sigwait(&stop, &sig);
        fprintf(stderr, "serve: %s, stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        tamis_server_stop(server);
    }
    tamis_store_close(store);
    tamis_model_config_free(cfg);
    return rc ? tamis_cli_fail("serve", rc, err.msg) : TAMIS_EXIT_OK;
}
