/* cmd_stats.c — `tamis stats`: what the store holds (users, identities, events, time
 * range, bytes), as text or JSON. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "tamis/store.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] stats [--format text|json]\n"
            "\n"
            "Summarise the store: users, identities, phones, events applied / rejected /\n"
            "duplicates skipped, the time range of events, files ingested, bytes on disk\n"
            "and bytes per user.\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage, 4 no store in DIR, 5 store busy\n");
}

static uint64_t file_size(const char *dir, const char *name)
{
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

int tamis_cmd_stats(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, 0, 'f'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, true);
    tamis_store *store = NULL;
    tamis_txn *txn = NULL;
    tamis_store_counts counts;
    tamis_error err = {0};
    int format = TAMIS_OUT_TEXT, c, rc;
    bool have_min, have_max;
    int64_t ts_min, ts_max;
    uint64_t applied, rejected, dups, bytes_total;
    char tmin[64] = "", tmax[64] = "";
    json_t *o;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = tamis_cli_parse_format("stats", optarg, 1u << TAMIS_OUT_TEXT | 1u << TAMIS_OUT_JSON);
            if (format < 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0)
        return tamis_cli_fail("stats", rc, err.msg);
    if ((rc = tamis_txn_begin(store, false, &txn, &err)) != 0 || (rc = tamis_store_counts_get(txn, &counts, &err)) != 0) {
        tamis_txn_abort(txn);
        tamis_store_close(store);
        return tamis_cli_fail("stats", rc, err.msg);
    }
    applied = tamis_meta_get_u64(txn, "events_applied");
    rejected = tamis_meta_get_u64(txn, "events_rejected");
    dups = tamis_meta_get_u64(txn, "events_duplicate");
    ts_min = tamis_meta_get_i64(txn, "ts_min", &have_min);
    ts_max = tamis_meta_get_i64(txn, "ts_max", &have_max);
    if (have_min)
        tamis_cli_iso_time(ts_min, tmin);
    if (have_max)
        tamis_cli_iso_time(ts_max, tmax);
    bytes_total = counts.file_bytes + file_size(cli->data_dir, "rejects.log") + file_size(cli->data_dir, "warnings.log");

    o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:I}", "users", (json_int_t)counts.users,
                  "identities", (json_int_t)counts.identities, "phones", (json_int_t)counts.phones,
                  "events_applied", (json_int_t)applied, "events_rejected", (json_int_t)rejected,
                  "duplicates_skipped", (json_int_t)dups, "files_ingested", (json_int_t)counts.ledger_files,
                  "bytes_on_disk", (json_int_t)bytes_total, "store_file_bytes", (json_int_t)counts.file_bytes,
                  "store_used_bytes", (json_int_t)counts.used_bytes, "bytes_per_user",
                  counts.users ? (double)counts.used_bytes / (double)counts.users : 0.0, "retention_days",
                  (json_int_t)tamis_store_retention_days(store));
    json_object_set_new(o, "activity_bytes", json_integer((json_int_t)counts.activity_bytes));
    json_object_set_new(o, "contact_bytes", json_integer((json_int_t)counts.contact_bytes));
    json_object_set_new(o, "index_bytes", json_integer((json_int_t)counts.index_bytes));
    json_object_set_new(o, "activity_bytes_per_user",
                        json_real(counts.users ? (double)counts.activity_bytes / (double)counts.users : 0.0));
    json_object_set_new(o, "time_min", have_min ? json_string(tmin) : json_null());
    json_object_set_new(o, "time_max", have_max ? json_string(tmax) : json_null());
    if (format == TAMIS_OUT_JSON) {
        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else {
        printf("users              %llu\n", (unsigned long long)counts.users);
        printf("identities         %llu\n", (unsigned long long)counts.identities);
        printf("phones indexed     %llu\n", (unsigned long long)counts.phones);
        printf("events applied     %llu\n", (unsigned long long)applied);
        printf("events rejected    %llu\n", (unsigned long long)rejected);
        printf("duplicates skipped %llu\n", (unsigned long long)dups);
        printf("files ingested     %llu\n", (unsigned long long)counts.ledger_files);
        printf("time range         %s .. %s\n", have_min ? tmin : "-", have_max ? tmax : "-");
        printf("bytes on disk      %llu (store file %llu, in use %llu)\n", (unsigned long long)bytes_total,
               (unsigned long long)counts.file_bytes, (unsigned long long)counts.used_bytes);
        printf("bytes per user     %.1f (activity %.1f, contact %.1f, indexes %.1f)\n",
               counts.users ? (double)counts.used_bytes / (double)counts.users : 0.0,
               counts.users ? (double)counts.activity_bytes / (double)counts.users : 0.0,
               counts.users ? (double)counts.contact_bytes / (double)counts.users : 0.0,
               counts.users ? (double)counts.index_bytes / (double)counts.users : 0.0);
        printf("retention          %u days\n", tamis_store_retention_days(store));
    }
    json_decref(o);
    tamis_txn_abort(txn);
    tamis_store_close(store);
    return TAMIS_EXIT_OK;
}
