/* cmd_forget.c — `tamis forget USER...`: erasure (the work is in src/store/erase.c). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "tamis/erase.h"
#include "tamis/store.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] forget USER...\n"
            "\n"
            "Erase users: their key, contact, phone, identities, activity and every line\n"
            "that mentions them in the data directory's rejects, warnings and raw archives.\n"
            "The store file is rewritten so that no freed page keeps their bytes.\n"
            "\n"
            "exit codes: 0 all forgotten, 1 failure, 2 usage, 4 some USER did not exist\n"
            "            (the others are still forgotten), 5 store busy\n");
}

int tamis_cmd_forget(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    tamis_forget_summary sum = {0};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, false);
    tamis_store *store = NULL;
    tamis_error err = {0};
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return TAMIS_EXIT_OK;
        }
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    if (optind >= argc) {
        fprintf(stderr, "tamis forget: no USER given\n");
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0)
        return tamis_cli_fail("forget", rc, err.msg);
    rc = tamis_store_forget(store, (const char *const *)argv + optind, (size_t)(argc - optind), &sum, &err);
    tamis_store_close(store);
    if (rc)
        return tamis_cli_fail("forget", rc, err.msg);
    fprintf(stderr, "forget: %llu user(s) forgotten, %llu identities removed, %llu lines scrubbed%s\n",
            (unsigned long long)sum.users_forgotten, (unsigned long long)sum.identities_removed,
            (unsigned long long)sum.lines_scrubbed, sum.users_not_found ? "" : "");
    if (sum.users_not_found) {
        fprintf(stderr, "tamis forget: %llu user(s) not found\n", (unsigned long long)sum.users_not_found);
        return TAMIS_EXIT_NOTFOUND;
    }
    return TAMIS_EXIT_OK;
}
