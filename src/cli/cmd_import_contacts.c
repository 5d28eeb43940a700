/* cmd_import_contacts.c — `tamis import-contacts FILE|-`: contacts into the store
 * (the work is in src/store/contacts_import.c). */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "tamis/contacts_import.h"
#include "tamis/store.h"
#include "tamis/tz.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] import-contacts [OPTIONS] FILE|-\n"
            "\n"
            "Import contacts from a CSV with a header. Columns by name: user (required),\n"
            "phone, country (ISO 3166 alpha-2), tz (IANA name or +hh:mm), name, tags\n"
            "(';'-separated), <platform>_id (maps that platform identity to the user), and\n"
            "any other column as a string attribute. Phones are stored as E.164 with validity\n"
            "and type; rows with the same user merge; users sharing a phone are reported,\n"
            "never merged. Importing the same file twice changes nothing. See docs/IDENTITY.md.\n"
            "\n"
            "options:\n"
            "  --default-country CC   region for phones of rows without a country (e.g. VN)\n"
            "  --rejects PATH         rejected rows (default DATA/rejects.log)\n"
            "  --warnings PATH        warnings: bad phones, duplicates, conflicts\n"
            "                         (default DATA/warnings.log)\n"
            "  --max-errors N         fail (exit 3) once more than N rows are rejected\n"
            "  --format-summary json  print the summary as JSON on stdout\n"
            "  -q, --quiet            nothing on stderr but errors\n"
            "  -h, --help             this help\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage, 3 too many rejected rows, 4 not found,\n"
            "            5 store busy\n");
}

static void print_summary(FILE *out, const tamis_import_summary *s, bool json)
{
    if (json) {
        fprintf(out,
                "{\"rows\":%llu,\"new_users\":%llu,\"updated_users\":%llu,\"rejected\":%llu,"
                "\"phones_valid\":%llu,\"phones_invalid\":%llu,\"phones_unparsable\":%llu,"
                "\"duplicate_phones\":%llu,\"identities_added\":%llu,\"identity_conflicts\":%llu,"
                "\"placeholders_merged\":%llu,\"warnings\":%llu,\"seconds\":%.3f}\n",
                (unsigned long long)s->rows, (unsigned long long)s->new_users,
                (unsigned long long)s->updated_users, (unsigned long long)s->rejected,
                (unsigned long long)s->phones_valid, (unsigned long long)s->phones_invalid,
                (unsigned long long)s->phones_unparsable, (unsigned long long)s->duplicate_phones,
                (unsigned long long)s->identities_added, (unsigned long long)s->identity_conflicts,
                (unsigned long long)s->placeholders_merged, (unsigned long long)s->warnings, s->seconds);
        return;
    }
    fprintf(out,
            "import-contacts: %llu rows: %llu new users, %llu updated, %llu rejected; phones: %llu valid, "
            "%llu invalid, %llu unparsable, %llu duplicates; identities: %llu added, %llu conflicts, "
            "%llu placeholders merged; %llu warnings; %.2f s\n",
            (unsigned long long)s->rows, (unsigned long long)s->new_users, (unsigned long long)s->updated_users,
            (unsigned long long)s->rejected, (unsigned long long)s->phones_valid,
            (unsigned long long)s->phones_invalid, (unsigned long long)s->phones_unparsable,
            (unsigned long long)s->duplicate_phones, (unsigned long long)s->identities_added,
            (unsigned long long)s->identity_conflicts, (unsigned long long)s->placeholders_merged,
            (unsigned long long)s->warnings, s->seconds);
}

int tamis_cmd_import_contacts(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"default-country", required_argument, 0, 'c'}, {"rejects", required_argument, 0, 'r'},
        {"warnings", required_argument, 0, 'w'},        {"max-errors", required_argument, 0, 'm'},
        {"format-summary", required_argument, 0, 'S'},  {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},                  {0, 0, 0, 0}};
    tamis_import_options opts = {.max_errors = UINT64_MAX, .messages = stderr};
    tamis_import_summary sum = {0};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, false);
    tamis_store *store = NULL;
    tamis_error err = {0};
    char country[3];
    unsigned long long n;
    bool quiet = false, json = false;
    int c, rc;

    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (tamis_country_normalize(optarg, strlen(optarg), country, &err) != TAMIS_OK) {
                fprintf(stderr, "tamis import-contacts: --default-country: %s\n", err.msg);
                return TAMIS_EXIT_USAGE;
            }
            opts.default_country = country;
            break;
        case 'r': opts.rejects_path = optarg; break;
        case 'w': opts.warnings_path = optarg; break;
        case 'm':
            if (tamis_cli_parse_u64("import-contacts", "--max-errors", optarg, &n))
                return TAMIS_EXIT_USAGE;
            opts.max_errors = n;
            break;
        case 'S':
            if (tamis_cli_parse_format("import-contacts", optarg, 1u << TAMIS_OUT_JSON) < 0)
                return TAMIS_EXIT_USAGE;
            json = true;
            break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "tamis import-contacts: expected exactly one FILE (or -)\n");
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    opts.progress = cli->stderr_is_tty && !quiet;
    if (quiet)
        opts.messages = NULL;
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0)
        return tamis_cli_fail("import-contacts", rc, err.msg);
    rc = tamis_import_contacts(store, argv[optind], &opts, &sum, &err);
    tamis_store_close(store);
    if (json)
        print_summary(stdout, &sum, true);
    else if (!quiet)
        print_summary(stderr, &sum, false);
    if (rc == TAMIS_ELIMIT && sum.rejected > opts.max_errors) {
        fprintf(stderr, "tamis import-contacts: %s\n", err.msg);
        return TAMIS_EXIT_REJECTS;
    }
    if (rc)
        return tamis_cli_fail("import-contacts", rc, err.msg);
    return TAMIS_EXIT_OK;
}
