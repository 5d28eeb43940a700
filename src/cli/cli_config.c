/* cli_config.c — which model configuration a command runs with (see cli.h).
 *
 * One rule for every command: the shipped defaults (src/model/config_defaults.c),
 * overridden by the file given with the global --config or $TAMIS_CONFIG, else by
 * DATA_DIR/tamis.ini when the data directory has one. An invalid file is a usage
 * error (exit 2) naming PATH:LINE; a file that cannot be read is a failure (exit 1). */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "tamis/error.h"
#include "tamis/model_config.h"

#define CLI_CONFIG_PATH_MAX 4096
#define CLI_CONFIG_FILE_NAME "tamis.ini"

const char *tamis_cli_config_file(const tamis_cli *cli, char *buf, size_t cap)
{
    struct stat st;
    int n;

    if (cli->config_path)
        return cli->config_path;
    n = snprintf(buf, cap, "%s/%s", cli->data_dir, CLI_CONFIG_FILE_NAME);
    if (n < 0 || (size_t)n >= cap)
        return NULL; /* a path that long cannot exist */
    /* a file we may not stat is still "there": loading it reports why it cannot be read */
    if (stat(buf, &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
        return buf;
    return NULL;
}

int tamis_cli_load_config(const tamis_cli *cli, const char *cmd, tamis_model_config **out)
{
    char buf[CLI_CONFIG_PATH_MAX];
    const char *path = tamis_cli_config_file(cli, buf, sizeof buf);
    tamis_model_config *c = tamis_model_config_new();
    tamis_error err = {0};
    int rc;

    *out = NULL;
    if (path && (rc = tamis_model_config_load(c, path, &err)) != TAMIS_OK) {
        tamis_model_config_free(c);
        fprintf(stderr, "tamis %s: %s\n", cmd, err.msg[0] ? err.msg : tamis_strerror(rc));
        return rc == TAMIS_EINPUT ? TAMIS_EXIT_USAGE : TAMIS_EXIT_FAILURE;
    }
    *out = c;
    return TAMIS_EXIT_OK;
}
