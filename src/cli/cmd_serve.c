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
            "                                              [--rate N] [--burst N]\n"
            "\n"
            "Serve the HTTP API (docs/openapi.yaml) until SIGINT or SIGTERM. Requests need an\n"
            "API key (tamis apikey create) as \"Authorization: Bearer KEY\", except /healthz.\n"
            "\n"
            "  --listen ADDR:PORT  IPv4 address and port (default 127.0.0.1:8080; port 0: any)\n"
            "  --threads N         request threads, 1-8 (default: one per CPU)\n"
            "  --rate N            requests a second per API key (default: no limit; 429 beyond)\n"
            "  --burst N           requests a key may make at once (default: 2 x rate)\n"
            "\n"
            "exit codes: 0 stopped by a signal, 1 failure, 2 usage, 5 store busy\n");
}

int tamis_cmd_serve(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"listen", required_argument, 0, 'l'},
                                              {"threads", required_argument, 0, 'T'},
                                              {"rate", required_argument, 0, 'r'},
                                              {"burst", required_argument, 0, 'b'},
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
