/* gen.c — tamis_gen_write, the entry point of src/gen (see include/tamis/gen.h):
 * checks the options, draws the population, writes contacts.csv, then streams the
 * event simulation into the events file. The parts are described in gen_int.h. */
#include <string.h>

#include "gen/gen_int.h"
#include "tamis/alloc.h"

void tamis_gen_options_init(tamis_gen_options *o)
{
    memset(o, 0, sizeof *o);
    o->users = 1000;
    o->events = 20000;
    o->days = 90;
    o->seed = 1;
    o->end_ms = TAMIS_GEN_DEFAULT_END_MS;
    o->format = TAMIS_FORMAT_CSV;
}

static int check_options(const tamis_gen_options *o, tamis_error *err)
{
    if (o->users < 1 || o->users > TAMIS_GEN_MAX_USERS)
        return tamis_error_set(err, TAMIS_EUSAGE, "--users must be between 1 and %u, not %llu",
                               TAMIS_GEN_MAX_USERS, (unsigned long long)o->users);
    if (o->events > TAMIS_GEN_MAX_EVENTS)
        return tamis_error_set(err, TAMIS_EUSAGE, "--events must be at most %llu, not %llu",
                               (unsigned long long)TAMIS_GEN_MAX_EVENTS,
                               (unsigned long long)o->events);
    if (o->days < 1 || o->days > TAMIS_GEN_MAX_DAYS)
        return tamis_error_set(err, TAMIS_EUSAGE, "--days must be between 1 and %u, not %u",
                               TAMIS_GEN_MAX_DAYS, o->days);
    if (o->bad_lines > TAMIS_GEN_MAX_BAD_LINES)
        return tamis_error_set(err, TAMIS_EUSAGE, "--bad-lines must be at most %llu, not %llu",
                               (unsigned long long)TAMIS_GEN_MAX_BAD_LINES,
                               (unsigned long long)o->bad_lines);
    /* The window must start after 1970 and end before 10000 (4-digit ISO years). */
    if (o->end_ms % 1000 != 0 || o->end_ms - (int64_t)o->days * 86400000 < 0 ||
        o->end_ms > INT64_C(253402300799000))
        return tamis_error_set(err, TAMIS_EUSAGE,
                               "the end time must be whole seconds, after 1970 + --days, "
                               "before year 10000");
    if (o->format != TAMIS_FORMAT_CSV && o->format != TAMIS_FORMAT_NDJSON)
        return tamis_error_set(err, TAMIS_EUSAGE, "the events format must be csv or ndjson");
    return TAMIS_OK;
}

int tamis_gen_write(const tamis_gen_options *o, FILE *contacts, FILE *events,
                    tamis_gen_stats *stats, tamis_error *err)
{
    tamis_gen_stats local;
    gen_pop pop;
    gen_out cout;
    gen_writer *w = NULL;
    int rc;

    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if ((rc = check_options(o, err)) != TAMIS_OK)
        return rc;

    gen_pop_build(&pop, o);
    gen_out_init(&cout, contacts);
    if (contacts)
        gen_pop_write_contacts(&pop, &cout);
    rc = gen_out_finish(&cout, "the contacts file", err);
    stats->contacts = pop.n_users;
    stats->contacts_bytes = cout.bytes;
    gen_out_free(&cout);
    if (rc != TAMIS_OK)
        goto done;

    /* The writer holds the duplicate ring (16 KB): heap, not stack. */
    w = tamis_malloc(sizeof *w);
    gen_writer_init(w, events, &pop, o->format, stats);
    gen_writer_header(w);
    rc = gen_simulate(o, &pop, w, err);
    if (rc == TAMIS_OK)
        rc = gen_out_finish(&w->out, "the events file", err);
    stats->events_bytes = w->out.bytes;
    gen_out_free(&w->out);

done:
    tamis_free(w);
    gen_pop_free(&pop);
    return rc;
}

int tamis_gen_write_truth(const tamis_gen_options *o, FILE *out, tamis_error *err)
{
    gen_pop pop;
    gen_out gout;
    int rc;

    if ((rc = check_options(o, err)) != TAMIS_OK)
        return rc;
    gen_pop_build(&pop, o);
    gen_out_init(&gout, out);
    gen_pop_write_truth(&pop, o, &gout);
    rc = gen_out_finish(&gout, "the truth file", err);
    gen_out_free(&gout);
    gen_pop_free(&pop);
    return rc;
}
