/* cmd_config.c — `tamis config`: prints the effective model configuration as INI, or
 * checks a file (the work is in src/model/config*.c; which file is effective in
 * src/cli/cli_config.c). */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "tamis/model_config.h"

#define CONFIG_PATH_MAX 4096

static void usage(FILE *out)
{
    fprintf(out, "usage: tamis [--data DIR] [--config FILE] config [--config FILE] [--defaults]\n"
                 "       tamis config --check FILE\n"
                 "\n"
                 "Print the model configuration in effect (weights, tier thresholds, cadence,\n"
                 "risk rules, platform and country rules) as an INI file that loads back to the\n"
                 "same values. It is the shipped defaults overridden by FILE (--config, or\n"
                 "$TAMIS_CONFIG), else by DIR/tamis.ini if it exists. See docs/CONFIG.md.\n"
                 "The source and the configuration's hash are printed on stderr.\n"
                 "\n"
                 "options:\n"
                 "  --config FILE  read FILE over the shipped defaults (as the global option)\n"
                 "  --defaults     print the shipped defaults, ignoring any file\n"
                 "  --check FILE   only validate FILE: exit 0 if it is valid, 2 naming the line if not\n"
                 "  -h, --help     this help\n"
                 "\n"
                 "exit codes: 0 ok, 1 the file cannot be read, 2 usage or invalid configuration\n");
}

/* --check FILE: loads it over the defaults and says whether it is valid. */
static int check_file(const char *path)
{
    tamis_model_config *c = tamis_model_config_new();
    tamis_error err = {0};
    int rc = tamis_model_config_load(c, path, &err);

    if (rc == TAMIS_OK)
        fprintf(stderr, "config: %s is valid (hash %016llx)\n", path, (unsigned long long)tamis_model_config_hash(c));
    else
        fprintf(stderr, "tamis config: %s\n", err.msg);
    tamis_model_config_free(c);
    if (rc == TAMIS_OK)
        return TAMIS_EXIT_OK;
    return rc == TAMIS_EINPUT ? TAMIS_EXIT_USAGE : TAMIS_EXIT_FAILURE;
}

int tamis_cmd_config(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, 0, 'c'},
                                             {"defaults", no_argument, 0, 'd'},
                                             {"check", required_argument, 0, 'k'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    tamis_cli local = *cli;
    tamis_model_config *c = NULL;
    const char *check = NULL, *source;
    char buf[CONFIG_PATH_MAX];
    bool defaults = false, own_config = false;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            local.config_path = optarg;
            own_config = true;
            break;
        case 'd': defaults = true; break;
        case 'k': check = optarg; break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tamis config: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    if ((check && (defaults || own_config)) || (defaults && own_config)) {
        fprintf(stderr, "tamis config: --check, --defaults and --config exclude one another\n");
        return TAMIS_EXIT_USAGE;
    }
    if (check)
        return check_file(check);

    source = defaults ? NULL : tamis_cli_config_file(&local, buf, sizeof buf);
    if (defaults)
        c = tamis_model_config_new();
    else if ((rc = tamis_cli_load_config(&local, "config", &c)) != TAMIS_EXIT_OK)
        return rc;
    tamis_model_config_print(c, stdout);
    fprintf(stderr, "config: shipped defaults%s%s (hash %016llx)\n", source ? " + " : "", source ? source : "",
            (unsigned long long)tamis_model_config_hash(c));
    tamis_model_config_free(c);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "tamis config: writing the configuration to stdout failed\n");
        return TAMIS_EXIT_FAILURE;
    }
    return TAMIS_EXIT_OK;
}
