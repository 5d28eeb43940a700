/* cli_util.c — small helpers shared by the subcommands (see cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "tamis/error.h"
#include "tamis/event.h"

static const char *const format_names[] = {"text", "json", "ndjson", "csv"};

int tamis_cli_parse_format(const char *cmd, const char *value, unsigned allowed)
{
    for (int f = 0; f < 4; f++)
        if ((allowed & (1u << f)) && !strcmp(value, format_names[f]))
            return f;
    fprintf(stderr, "tamis %s: unknown --format '%s' (one of:", cmd, value);
    for (int f = 0; f < 4; f++)
        if (allowed & (1u << f))
            fprintf(stderr, " %s", format_names[f]);
    fprintf(stderr, ")\n");
    return -1;
}

int tamis_cli_parse_u64(const char *cmd, const char *opt, const char *value, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (!value || !*value || *value == '-') {
        fprintf(stderr, "tamis %s: %s needs a non-negative integer\n", cmd, opt);
        return -1;
    }
    *out = strtoull(value, &end, 10);
    if (errno || *end) {
        fprintf(stderr, "tamis %s: %s: '%s' is not a non-negative integer\n", cmd, opt, value);
        return -1;
    }
    return 0;
}

void tamis_cli_iso_time(long long ts_ms, char out[64])
{
    tamis_format_utc(ts_ms, false, out);
}

void tamis_cli_iso_time_ms(long long ts_ms, char out[64])
{
    tamis_format_utc(ts_ms, true, out);
}

int tamis_cli_fail(const char *cmd, int rc, const char *msg)
{
    fprintf(stderr, "tamis %s: %s\n", cmd, msg && *msg ? msg : tamis_strerror(rc));
    return tamis_exit_code_for(rc);
}

int tamis_cli_parse_time(const char *cmd, const char *opt, const char *value, long long *out_ms)
{
    char buf[64];
    tamis_error err = {0};
    size_t n = strlen(value);
    int64_t ms = 0;

    if (n == 10 && value[4] == '-' && value[7] == '-') {
        snprintf(buf, sizeof buf, "%sT00:00:00Z", value);
        value = buf;
        n = strlen(buf);
    }
    if (tamis_parse_ts(value, n, &ms, &err) != TAMIS_OK) {
        fprintf(stderr, "tamis %s: %s: %s\n", cmd, opt, err.msg);
        return -1;
    }
    *out_ms = ms;
    return 0;
}

int tamis_cli_parse_threads(const char *cmd, const char *value, unsigned *out)
{
    char *end;
    long n = strtol(value, &end, 10);
    if (end == value || *end || n < 1 || n > 8) {
        fprintf(stderr, "tamis %s: --threads wants a number from 1 to 8, not '%s'\n", cmd, value);
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

long long tamis_cli_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}
