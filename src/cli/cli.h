/* cli.h — what every subcommand of the tamis binary shares.
 *
 * main.c parses the global options (--data, --config, --help, ...), then hands the rest of
 * argv to one tamis_cmd_* function; argv[0] is the subcommand's name. Each subcommand
 * lives in its own cmd_<name>.c, parses its options with getopt_long, prints --help,
 * and returns one of the exit codes below. Subcommands stay thin: the work is done by
 * the modules under src/. */
#ifndef TAMIS_CLI_H
#define TAMIS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "tamis/model_config.h"

/* Exit codes, documented in docs/CLI.md. */
enum {
    TAMIS_EXIT_OK = 0,       /* success (rejected lines below --max-errors included) */
    TAMIS_EXIT_FAILURE = 1,  /* I/O, store or internal error; nothing half-applied */
    TAMIS_EXIT_USAGE = 2,    /* bad command line */
    TAMIS_EXIT_REJECTS = 3,  /* more rejected records than --max-errors; good ones kept */
    TAMIS_EXIT_NOTFOUND = 4, /* the named user or file does not exist */
    TAMIS_EXIT_BUSY = 5,     /* another tamis process holds the data directory */
    TAMIS_EXIT_DB = 6        /* the database of `export --to` failed; it is left as it was */
};

typedef struct tamis_cli {
    const char *prog;      /* "tamis" */
    const char *data_dir;  /* --data, $TAMIS_DATA, or "./tamis-data" */
    bool stderr_is_tty;    /* draw progress bars only then */
    unsigned long long map_size_bytes; /* --map-size / $TAMIS_MAP_SIZE; 0 = default */
    const char *config_path; /* --config / $TAMIS_CONFIG; NULL: DATA_DIR/tamis.ini if any */
} tamis_cli;

/* Store options for a command: read-only or not, with the global map size. */
#define TAMIS_CLI_STORE_OPTIONS(cli, ro) {.read_only = (ro), .map_size_bytes = (cli)->map_size_bytes}

typedef enum tamis_out_format { TAMIS_OUT_TEXT, TAMIS_OUT_JSON, TAMIS_OUT_NDJSON, TAMIS_OUT_CSV } tamis_out_format;

/* Parses a --format value among those allowed (bit mask of 1 << tamis_out_format);
 * prints an error naming the allowed values and returns -1 when not allowed. */
int tamis_cli_parse_format(const char *cmd, const char *value, unsigned allowed);

/* Parses a non-negative integer option value; prints an error and returns -1 if bad. */
int tamis_cli_parse_u64(const char *cmd, const char *opt, const char *value, unsigned long long *out);

/* Parses a time option: unix seconds or milliseconds, ISO-8601 with a zone (any form
 * of docs/FORMATS.md), or a bare date YYYY-MM-DD (midnight UTC). Prints an error and
 * returns -1 if bad. */
int tamis_cli_parse_time(const char *cmd, const char *opt, const char *value, long long *out_ms);
/* The current time, unix ms (the default of --as-of). */
long long tamis_cli_now_ms(void);
/* --threads N: 1..8; prints "tamis CMD: ..." and returns -1 otherwise. */
int tamis_cli_parse_threads(const char *cmd, const char *value, unsigned *out);

/* Formats a UTC instant as ISO-8601 "2026-11-01T12:34:56Z" (ms dropped) or
 * "2026-11-01T12:34:56.789Z" when it has milliseconds. */
void tamis_cli_iso_time(long long ts_ms, char out[64]);

/* The same, always with milliseconds ("2026-11-01T12:34:56.000Z"): fixed width. */
void tamis_cli_iso_time_ms(long long ts_ms, char out[64]);

/* Prints "tamis CMD: MESSAGE" for a failed call and returns the matching exit code. */
int tamis_cli_fail(const char *cmd, int rc, const char *msg);

/* Maps a tamis_rc (error.h) to the exit code above. */
int tamis_exit_code_for(int rc);

/* The effective model configuration for command CMD: the shipped defaults, overridden
 * by cli->config_path if given, else by DATA_DIR/tamis.ini if that file exists
 * (src/cli/cli_config.c). On success *out is a new configuration owned by the caller
 * (tamis_model_config_free) and TAMIS_EXIT_OK is returned; otherwise "tamis CMD:
 * message" is printed, *out is NULL and the exit code is returned: TAMIS_EXIT_USAGE
 * for an invalid file, TAMIS_EXIT_FAILURE when it cannot be read. */
int tamis_cli_load_config(const tamis_cli *cli, const char *cmd, tamis_model_config **out);

/* The configuration file in effect for cli: cli->config_path, else DATA_DIR/tamis.ini
 * written into buf (cap bytes) when that file exists, else NULL (shipped defaults).
 * The result points to cli's string or to buf. */
const char *tamis_cli_config_file(const tamis_cli *cli, char *buf, size_t cap);

int tamis_cmd_gen(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_import_contacts(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_ingest(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_stats(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_show(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_forget(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_config(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_score(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_tiers(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_export(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_snapshot(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_snapshots(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_transitions(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_cooling(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_backtest(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_apikey(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_serve(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_segment(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_rfm(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_cross(const tamis_cli *cli, int argc, char **argv);
int tamis_cmd_tag_groups(const tamis_cli *cli, int argc, char **argv);
/* --window DAYS or DAYSd (1..TAMIS_RFM_MAX_WINDOW_DAYS), shared by rfm and cross
 * (src/cli/cmd_rfm.c); prints "tamis CMD: ..." and returns -1 when bad. */
int tamis_cli_parse_window_days(const char *cmd, const char *value, unsigned *out);

#endif
