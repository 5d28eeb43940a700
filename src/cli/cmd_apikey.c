/* cmd_apikey.c — `tamis apikey create|list|revoke`: API keys for `tamis serve`
 * (src/serve/apikeys.c). The key is printed once, at creation; only its hash is kept. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "model/render.h"
#include "tamis/alloc.h"
#include "tamis/apikeys.h"
#include "tamis/event.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] apikey create --scope read|write|admin [--label TEXT]\n"
            "       tamis [--data DIR] apikey list [--format table|csv]\n"
            "       tamis [--data DIR] apikey revoke ID\n"
            "\n"
            "API keys for `tamis serve`. create prints the new key on stdout — once: only a\n"
            "hash of it is stored. Scopes nest: admin can do what write can, write what read\n"
            "can. list shows ids, scopes, labels and creation times, never keys. revoke makes\n"
            "a key fail from the next request on.\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage, 4 unknown key id, 5 store busy\n");
}

static int create(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"scope", required_argument, 0, 's'},
                                              {"label", required_argument, 0, 'l'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, false);
    tamis_scope scope = TAMIS_SCOPE_NONE;
    const char *label = NULL;
    char key[TAMIS_APIKEY_MAX];
    tamis_apikey_info info;
    tamis_store *store;
    tamis_error err = {0};
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if ((scope = tamis_scope_from_name(optarg)) == TAMIS_SCOPE_NONE) {
                fprintf(stderr, "tamis apikey: --scope must be read, write or admin, not '%s'\n", optarg);
                return TAMIS_EXIT_USAGE;
            }
            break;
        case 'l': label = optarg; break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (scope == TAMIS_SCOPE_NONE || optind != argc) {
        fprintf(stderr, "tamis apikey create: %s\n", optind != argc ? "unexpected argument" : "--scope is required");
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0)
        return tamis_cli_fail("apikey", rc, err.msg);
    rc = tamis_apikey_create(store, scope, label, key, &info, &err);
    tamis_store_close(store);
    if (rc)
        return tamis_cli_fail("apikey", rc, err.msg);
    puts(key);
    fprintf(stderr, "apikey: created %s (%s)%s%s; the key above is not shown again\n", info.id,
            tamis_scope_name(info.scope), info.label[0] ? ", " : "", info.label);
    memset(key, 0, sizeof key);
    return TAMIS_EXIT_OK;
}

static int list(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, 0, 'f'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, true);
    tamis_out_format format = TAMIS_OUT_TEXT;
    tamis_apikey_info *keys = NULL;
    tamis_store *store;
    tamis_error err = {0};
    size_t n = 0;
    int c, fmt, rc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if ((fmt = tamis_cli_parse_format("apikey", optarg, 1u << TAMIS_OUT_TEXT | 1u << TAMIS_OUT_CSV)) < 0)
                return TAMIS_EXIT_USAGE;
            format = (tamis_out_format)fmt;
            break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tamis apikey list: unexpected argument '%s'\n", argv[optind]);
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0)
        return tamis_cli_fail("apikey", rc, err.msg);
    rc = tamis_apikey_list(store, &keys, &n, &err);
    tamis_store_close(store);
    if (rc)
        return tamis_cli_fail("apikey", rc, err.msg);
    if (format == TAMIS_OUT_CSV)
        printf("id,scope,revoked,created,label\n");
    else
        printf("%-8s  %-5s  %-7s  %-24s  %s\n", "id", "scope", "state", "created", "label");
    for (size_t i = 0; i < n; i++) {
        char when[32];
        tamis_format_utc(keys[i].created_ms, false, when);
        if (format == TAMIS_OUT_CSV) {
            printf("%s,%s,%s,%s,", keys[i].id, tamis_scope_name(keys[i].scope), keys[i].revoked ? "true" : "false", when);
            tamis_render_csv_string(stdout, keys[i].label);
            putchar('\n');
        } else {
            printf("%-8s  %-5s  %-7s  %-24s  %s\n", keys[i].id, tamis_scope_name(keys[i].scope),
                   keys[i].revoked ? "revoked" : "active", when, keys[i].label);
        }
    }
    tamis_free(keys);
    return TAMIS_EXIT_OK;
}

static int revoke(const tamis_cli *cli, int argc, char **argv)
{
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, false);
    tamis_store *store;
    tamis_error err = {0};
    int rc;

    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return TAMIS_EXIT_OK;
    }
    if (argc != 2 || strlen(argv[1]) != 8) {
        fprintf(stderr, "tamis apikey revoke: give one key id (8 hex digits, from tamis apikey list)\n");
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0)
        return tamis_cli_fail("apikey", rc, err.msg);
    rc = tamis_apikey_revoke(store, argv[1], &err);
    tamis_store_close(store);
    if (rc)
        return tamis_cli_fail("apikey", rc, err.msg);
    fprintf(stderr, "apikey: %s revoked\n", argv[1]);
    return TAMIS_EXIT_OK;
}

int tamis_cmd_apikey(const tamis_cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return TAMIS_EXIT_OK;
    }
    if (strcmp(argv[1], "create") == 0)
        return create(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return list(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "revoke") == 0)
        return revoke(cli, argc - 1, argv + 1);
    fprintf(stderr, "tamis apikey: unknown action '%s' (create, list or revoke)\n", argv[1]);
    return TAMIS_EXIT_USAGE;
}
