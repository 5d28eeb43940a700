/* test_gen.c — unit tests of the synthetic data generator (src/gen, tamis gen).
 *
 * The generator feeds every other test and benchmark, so these tests pin its
 * contract: determinism, exact counts of good and malformed lines, line shapes that
 * the real parsers of event.h and contacts.h accept (and malformed lines they reject),
 * timestamps inside the window, the heavy tail of activity, plausible kind shares,
 * campaign causality, device farms, lifecycles, and phones/zones that the identity
 * module (libphonenumber, ICU) finds valid. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/contacts.h"
#include "tamis/event.h"
#include "tamis/gen.h"
#include "tamis/phone.h"
#include "tamis/tz.h"

/* ------------------------------------------------------------------ helpers */

typedef struct output {
    char *contacts;
    size_t contacts_len;
    char *events;
    size_t events_len;
    tamis_gen_stats stats;
} output;

static void base_options(tamis_gen_options *o, uint64_t users, uint64_t events, uint32_t days)
{
    tamis_gen_options_init(o);
    o->users = users;
    o->events = events;
    o->days = days;
    o->seed = 42;
}

static void generate(const tamis_gen_options *o, output *out)
{
    FILE *cf, *ef;
    tamis_error err = {0};
    int rc;

    memset(out, 0, sizeof *out);
    cf = open_memstream(&out->contacts, &out->contacts_len);
    ef = open_memstream(&out->events, &out->events_len);
    assert_non_null(cf);
    assert_non_null(ef);
    rc = tamis_gen_write(o, cf, ef, &out->stats, &err);
    if (rc)
        print_error("tamis_gen_write: %s\n", err.msg);
    assert_int_equal(rc, TAMIS_OK);
    assert_int_equal(fclose(cf), 0);
    assert_int_equal(fclose(ef), 0);
}

static void release(output *out)
{
    free(out->contacts); /* allocated by open_memstream, not by tamis_malloc */
    free(out->events);
}

/* Iterates the lines of buf: *pos advances; returns false at the end. */
static bool next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *n)
{
    const char *nl;
    if (*pos >= len)
        return false;
    *line = buf + *pos;
    nl = memchr(*line, '\n', len - *pos);
    *n = nl ? (size_t)(nl - *line) : len - *pos;
    *pos += *n + 1;
    return true;
}

/* Fields of one CSV record, honouring quotes; -1 when a quote is unterminated. */
static int csv_field_count(const char *s, size_t n)
{
    int fields = 1;
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (s[i] == ',' && !quoted)
            fields++;
    }
    return quoted ? -1 : fields;
}

static bool str_is(tamis_str s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

/* Parses every event line with the real parser: counts good and rejected lines and
 * calls `each` for each good one (with the line, for field checks). */
typedef void (*each_fn)(void *ctx, const tamis_event *ev, const char *line, size_t n);

static void parse_events(const output *out, tamis_format fmt, uint64_t *good, uint64_t *bad,
                         each_fn each, void *ctx)
{
    tamis_event_parser *p = tamis_event_parser_new(fmt, NULL, NULL);
    tamis_error err = {0};
    tamis_event ev;
    const char *line;
    size_t n, pos = 0;
    bool header = fmt == TAMIS_FORMAT_CSV;

    *good = *bad = 0;
    while (next_line(out->events, out->events_len, &pos, &line, &n)) {
        if (header) {
            assert_int_equal(tamis_event_parser_header(p, line, n, &err), TAMIS_OK);
            header = false;
            continue;
        }
        if (tamis_event_parse(p, line, n, &ev, &err) == TAMIS_OK) {
            (*good)++;
            if (each)
                each(ctx, &ev, line, n);
        } else {
            (*bad)++;
        }
    }
    tamis_event_parser_free(p);
}

static uint64_t count_lines(const char *buf, size_t len)
{
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\n';
    return n;
}

/* "e123" -> 123, 0 when absent. */
static uint64_t event_id(const tamis_event *ev)
{
    tamis_str id = ev->text[TAMIS_FIELD_ID];
    uint64_t v = 0;
    for (uint32_t i = 1; i < id.len; i++)
        v = v * 10 + (uint64_t)(id.ptr[i] - '0');
    return v;
}

/* "u0001234" -> 1233 (index), UINT32_MAX when absent. */
static uint32_t user_index(const tamis_event *ev)
{
    tamis_str u = ev->text[TAMIS_FIELD_USER];
    uint32_t v = 0;
    if (!u.len)
        return UINT32_MAX;
    for (uint32_t i = 1; i < u.len; i++)
        v = v * 10 + (uint32_t)(u.ptr[i] - '0');
    return v - 1;
}

/* ------------------------------------------------------------------ determinism */

static void test_same_seed_same_bytes(void **state)
{
    tamis_gen_options o;
    output a, b;
    (void)state;

    base_options(&o, 1500, 30000, 30);
    o.bad_lines = 9;
    generate(&o, &a);
    generate(&o, &b);
    assert_int_equal(a.contacts_len, b.contacts_len);
    assert_int_equal(a.events_len, b.events_len);
    assert_memory_equal(a.contacts, b.contacts, a.contacts_len);
    assert_memory_equal(a.events, b.events, a.events_len);
    release(&a);
    release(&b);

    o.format = TAMIS_FORMAT_NDJSON;
    generate(&o, &a);
    generate(&o, &b);
    assert_int_equal(a.events_len, b.events_len);
    assert_memory_equal(a.events, b.events, a.events_len);
    release(&a);
    release(&b);
}

static void test_other_seed_other_bytes(void **state)
{
    tamis_gen_options o;
    output a, b;
    (void)state;

    base_options(&o, 1500, 30000, 30);
    generate(&o, &a);
    o.seed = 43;
    generate(&o, &b);
    assert_true(a.contacts_len != b.contacts_len ||
                memcmp(a.contacts, b.contacts, a.contacts_len) != 0);
    assert_true(a.events_len != b.events_len || memcmp(a.events, b.events, a.events_len) != 0);
    release(&a);
    release(&b);
}

/* ------------------------------------------------------------------ exact counts */

static void check_counts(uint64_t users, uint64_t events, uint32_t days, uint64_t bad,
                         tamis_format fmt)
{
    tamis_gen_options o;
    output out;
    uint64_t good, rejected;

    base_options(&o, users, events, days);
    o.bad_lines = bad;
    o.format = fmt;
    generate(&o, &out);
    assert_int_equal(out.stats.events, events);
    assert_int_equal(out.stats.bad_lines, bad);
    assert_int_equal(out.stats.contacts, users);
    assert_int_equal(count_lines(out.events, out.events_len),
                     events + bad + (fmt == TAMIS_FORMAT_CSV ? 1 : 0));
    assert_int_equal(count_lines(out.contacts, out.contacts_len), users + 1);
    parse_events(&out, fmt, &good, &rejected, NULL, NULL);
    if (good != events || rejected != bad)
        print_error("users %llu events %llu bad %llu: parsed %llu good, %llu rejected\n",
                    (unsigned long long)users, (unsigned long long)events,
                    (unsigned long long)bad, (unsigned long long)good,
                    (unsigned long long)rejected);
    assert_int_equal(good, events);
    assert_int_equal(rejected, bad);
    release(&out);
}

static void test_exact_counts(void **state)
{
    (void)state;
    check_counts(3000, 60000, 60, 0, TAMIS_FORMAT_CSV);
    check_counts(3000, 60000, 60, 25, TAMIS_FORMAT_CSV);
    check_counts(3000, 60000, 60, 25, TAMIS_FORMAT_NDJSON);
    check_counts(600, 5000, 7, 7, TAMIS_FORMAT_CSV); /* unterminated quote ends the file */
    check_counts(600, 5000, 7, 6, TAMIS_FORMAT_CSV);
    check_counts(1, 1000, 1, 3, TAMIS_FORMAT_CSV);    /* one user, one day */
    check_counts(50, 0, 10, 4, TAMIS_FORMAT_CSV);     /* no good lines at all */
    check_counts(50, 1, 10, 0, TAMIS_FORMAT_NDJSON);
    check_counts(2000, 500, 3, 100, TAMIS_FORMAT_CSV); /* more bad than good */
}

/* ------------------------------------------------------------------ line shapes */

typedef struct shape_ctx {
    int64_t start_ms, end_ms;
    uint64_t lines, outside, no_key, platform_keyed, with_id, dups, max_id;
} shape_ctx;

static void check_shape(void *vctx, const tamis_event *ev, const char *line, size_t n)
{
    shape_ctx *c = vctx;
    uint64_t id = event_id(ev);

    c->lines++;
    assert_int_equal(csv_field_count(line, n), TAMIS_FIELD__COUNT);
    if (ev->ts_ms < c->start_ms || ev->ts_ms >= c->end_ms)
        c->outside++;
    if (!ev->text[TAMIS_FIELD_USER].len) {
        c->platform_keyed++;
        if (!ev->text[TAMIS_FIELD_PLATFORM].len || !ev->text[TAMIS_FIELD_PLATFORM_ID].len)
            c->no_key++;
    }
    if (id) {
        c->with_id++;
        if (id <= c->max_id)
            c->dups++; /* ids are written in increasing order: a repeat is a duplicate */
        else
            c->max_id = id;
    }
    if (ev->kind == TAMIS_KIND_PURCHASE)
        assert_true(ev->has_value && ev->value > 0);
    if (ev->kind == TAMIS_KIND_FAILED)
        assert_true(ev->text[TAMIS_FIELD_REASON].len > 0);
    if (ev->kind == TAMIS_KIND_PROFILE_UPDATE)
        assert_true(ev->text[TAMIS_FIELD_FIELD].len > 0);
}

static void test_event_lines(void **state)
{
    tamis_gen_options o;
    output out;
    shape_ctx c = {0};
    uint64_t good, bad;
    const char *line = NULL;
    size_t n = 0, pos = 0;
    char want[256] = "";
    size_t wl = 0;
    (void)state;

    base_options(&o, 3000, 60000, 45);
    generate(&o, &out);
    /* The header is the field list of event.h, in order. */
    for (int f = 0; f < TAMIS_FIELD__COUNT; f++)
        wl += (size_t)snprintf(want + wl, sizeof want - wl, "%s%s", f ? "," : "",
                               tamis_field_name((tamis_field)f));
    assert_true(next_line(out.events, out.events_len, &pos, &line, &n));
    assert_int_equal(n, strlen(want));
    assert_memory_equal(line, want, n);

    c.end_ms = o.end_ms;
    c.start_ms = o.end_ms - (int64_t)o.days * 86400000;
    parse_events(&out, TAMIS_FORMAT_CSV, &good, &bad, check_shape, &c);
    assert_int_equal(good, 60000);
    assert_int_equal(bad, 0);
    assert_int_equal(c.outside, 0);
    assert_int_equal(c.no_key, 0);
    /* ~10% keyed by platform id only, ~70% with an id, ~0.5% exact duplicates */
    assert_in_range(c.platform_keyed * 1000 / good, 50, 200);
    assert_in_range(c.with_id * 1000 / good, 600, 800);
    assert_in_range(c.dups * 10000 / good, 20, 100);
    assert_int_equal(c.dups, out.stats.duplicates);
    assert_int_equal(c.platform_keyed, out.stats.platform_keyed);
    release(&out);
}

/* NDJSON and CSV carry the same events, line for line. */
typedef struct pair_ctx {
    int64_t *ts;
    uint8_t *kind;
    uint64_t i;
} pair_ctx;

static void record_event(void *vctx, const tamis_event *ev, const char *line, size_t n)
{
    pair_ctx *c = vctx;
    (void)line;
    (void)n;
    c->ts[c->i] = ev->ts_ms;
    c->kind[c->i++] = ev->kind;
}

static void test_ndjson_matches_csv(void **state)
{
    tamis_gen_options o;
    output a, b;
    pair_ctx ca = {0}, cb = {0};
    uint64_t good, bad;
    (void)state;

    base_options(&o, 800, 12000, 20);
    generate(&o, &a);
    o.format = TAMIS_FORMAT_NDJSON;
    generate(&o, &b);
    ca.ts = tamis_malloc(12000 * sizeof *ca.ts);
    ca.kind = tamis_malloc(12000);
    cb.ts = tamis_malloc(12000 * sizeof *cb.ts);
    cb.kind = tamis_malloc(12000);
    parse_events(&a, TAMIS_FORMAT_CSV, &good, &bad, record_event, &ca);
    assert_int_equal(good, 12000);
    parse_events(&b, TAMIS_FORMAT_NDJSON, &good, &bad, record_event, &cb);
    assert_int_equal(good, 12000);
    assert_memory_equal(ca.ts, cb.ts, 12000 * sizeof *ca.ts);
    assert_memory_equal(ca.kind, cb.kind, 12000);
    tamis_free(ca.ts);
    tamis_free(ca.kind);
    tamis_free(cb.ts);
    tamis_free(cb.kind);
    release(&a);
    release(&b);
}

/* ------------------------------------------------------------------ contacts */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_contact_rows(void **state)
{
    enum { USERS = 3000 };
    tamis_gen_options o;
    output out;
    tamis_contacts_parser *p = tamis_contacts_parser_new();
    tamis_contact_row *row = tamis_malloc(sizeof *row);
    tamis_error err = {0};
    char **ids = tamis_malloc(USERS * 8 * sizeof *ids), tz[TAMIS_TZ_NAME_MAX];
    size_t n_ids = 0, n = 0, pos = 0;
    uint64_t rows = 0, phones = 0, valid = 0, tzs = 0;
    const char *line = NULL;
    (void)state;

    base_options(&o, USERS, 1000, 30);
    generate(&o, &out);
    assert_true(next_line(out.contacts, out.contacts_len, &pos, &line, &n));
    assert_int_equal(tamis_contacts_parser_header(p, line, n, &err), TAMIS_OK);
    while (next_line(out.contacts, out.contacts_len, &pos, &line, &n)) {
        char key[16], region[3] = "";
        int rc = tamis_contacts_parse(p, line, n, row, &err);
        if (rc)
            print_error("contacts row %llu: %s\n", (unsigned long long)rows + 1, err.msg);
        assert_int_equal(rc, TAMIS_OK);
        snprintf(key, sizeof key, "u%07llu", (unsigned long long)rows + 1);
        assert_true(str_is(row->user, key)); /* keys are u0000001.. in order */
        rows++;
        for (size_t i = 0; i < row->n_ids; i++) {
            char *s = tamis_malloc(row->ids[i].key.len + row->ids[i].value.len + 2);
            memcpy(s, row->ids[i].key.ptr, row->ids[i].key.len);
            s[row->ids[i].key.len] = ':';
            memcpy(s + row->ids[i].key.len + 1, row->ids[i].value.ptr, row->ids[i].value.len);
            s[row->ids[i].key.len + 1 + row->ids[i].value.len] = '\0';
            ids[n_ids++] = s;
        }
        if (row->country.len == 2)
            memcpy(region, row->country.ptr, 2);
        if (row->phone.len) {
            tamis_phone ph;
            phones++;
            if (tamis_phone_parse(row->phone.ptr, row->phone.len, region, &ph, NULL) == TAMIS_OK &&
                ph.valid)
                valid++;
        }
        if (row->tz.len) {
            tzs++;
            if (tamis_tz_normalize(row->tz.ptr, row->tz.len, tz, &err) != TAMIS_OK)
                print_error("tz '%.*s': %s\n", (int)row->tz.len, row->tz.ptr, err.msg);
            assert_int_equal(tamis_tz_normalize(row->tz.ptr, row->tz.len, tz, NULL), TAMIS_OK);
        }
    }
    assert_int_equal(rows, USERS);
    /* Most phones are valid for libphonenumber; a few are junk on purpose. */
    assert_in_range(phones * 100 / rows, 85, 98);
    assert_in_range(valid * 100 / phones, 85, 97);
    assert_in_range(tzs * 100 / rows, 80, 95);
    /* No two users share a platform id. */
    qsort(ids, n_ids, sizeof *ids, cmp_str);
    for (size_t i = 1; i < n_ids; i++)
        assert_true(strcmp(ids[i - 1], ids[i]) != 0);
    assert_true(n_ids > rows); /* users on 1-3 platforms */
    for (size_t i = 0; i < n_ids; i++)
        tamis_free(ids[i]);
    tamis_free(ids);
    tamis_free(row);
    tamis_contacts_parser_free(p);
    release(&out);
}

/* ------------------------------------------------------------------ shapes of activity */

typedef struct activity_ctx {
    uint32_t users;
    int64_t start_ms;
    uint32_t days;
    uint32_t *count;       /* events per user (user-keyed lines) */
    uint32_t *early, *late; /* organic events in the first / last third */
    uint64_t by_kind[TAMIS_KIND__COUNT];
    uint64_t campaign_kind[TAMIS_KIND__COUNT];
    uint64_t max_id, total;
} activity_ctx;

static void count_activity(void *vctx, const tamis_event *ev, const char *line, size_t n)
{
    activity_ctx *c = vctx;
    uint32_t u = user_index(ev);
    uint64_t id = event_id(ev);
    int64_t day = (ev->ts_ms - c->start_ms) / 86400000;
    (void)line;
    (void)n;

    if (id && id <= c->max_id)
        return; /* a duplicate line: counted once */
    if (id)
        c->max_id = id;
    c->total++;
    c->by_kind[ev->kind]++;
    if (ev->text[TAMIS_FIELD_CAMPAIGN].len)
        c->campaign_kind[ev->kind]++;
    if (u == UINT32_MAX)
        return;
    assert_true(u < c->users);
    c->count[u]++;
    if (tamis_kind_table[ev->kind].activity && !ev->text[TAMIS_FIELD_CAMPAIGN].len) {
        if (day < c->days / 3)
            c->early[u]++;
        else if (day >= c->days - c->days / 3)
            c->late[u]++;
    }
}

static int cmp_desc(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void test_activity_shapes(void **state)
{
    enum { USERS = 5000, EVENTS = 150000, DAYS = 90 };
    tamis_gen_options o;
    output out;
    activity_ctx c = {0};
    uint64_t good, bad, top = 0, all = 0, cooled = 0, warmed = 0;
    (void)state;

    base_options(&o, USERS, EVENTS, DAYS);
    generate(&o, &out);
    c.users = USERS;
    c.days = DAYS;
    c.start_ms = o.end_ms - (int64_t)DAYS * 86400000;
    c.count = tamis_calloc(USERS, sizeof *c.count);
    c.early = tamis_calloc(USERS, sizeof *c.early);
    c.late = tamis_calloc(USERS, sizeof *c.late);
    parse_events(&out, TAMIS_FORMAT_CSV, &good, &bad, count_activity, &c);
    assert_int_equal(good, EVENTS);

    /* Cooling and warming users exist: busy early and silent late, or the reverse. */
    for (uint32_t u = 0; u < USERS; u++) {
        cooled += c.early[u] >= 10 && c.late[u] == 0;
        warmed += c.late[u] >= 10 && c.early[u] == 0;
    }
    assert_true(cooled >= USERS / 200);
    assert_true(warmed >= USERS / 200);

    /* Heavy tail: the top 10% of users hold at least half of the events. */
    qsort(c.count, USERS, sizeof *c.count, cmp_desc);
    for (uint32_t u = 0; u < USERS; u++) {
        all += c.count[u];
        if (u < USERS / 10)
            top += c.count[u];
    }
    if (top * 2 < all)
        print_error("top 10%% of users hold %llu of %llu events\n", (unsigned long long)top,
                    (unsigned long long)all);
    assert_true(top * 2 >= all);
    assert_true(c.count[0] * 25 < all); /* but no single user dominates */

    /* Kind shares: online is the bulk, deep actions are many, purchases rare. */
    for (int k = 0; k < TAMIS_KIND__COUNT; k++)
        if (k != TAMIS_KIND_ONLINE)
            assert_true(c.by_kind[TAMIS_KIND_ONLINE] > c.by_kind[k]);
    assert_in_range(c.by_kind[TAMIS_KIND_ONLINE] * 100 / c.total, 25, 55);
    assert_in_range(c.by_kind[TAMIS_KIND_MESSAGE_SENT] * 100 / c.total, 8, 30);
    assert_in_range((c.by_kind[TAMIS_KIND_VIEW] + c.by_kind[TAMIS_KIND_CONVERSATION_OPEN]) * 100 /
                        c.total, 10, 35);
    assert_in_range(c.by_kind[TAMIS_KIND_PURCHASE] * 10000 / c.total, 5, 300);
    assert_true(c.by_kind[TAMIS_KIND_OPT_IN] > c.by_kind[TAMIS_KIND_OPT_OUT]);
    assert_true(c.by_kind[TAMIS_KIND_OPT_OUT] > 0 && c.by_kind[TAMIS_KIND_BLOCK] > 0);
    for (int k = 0; k < TAMIS_KIND__COUNT; k++)
        assert_true(c.by_kind[k] > 0); /* every kind of kinds.h occurs */

    /* Campaign causality: one outcome per send, reads only of delivered messages. */
    assert_true(c.campaign_kind[TAMIS_KIND_OUTBOUND_SENT] > 0);
    assert_true(c.campaign_kind[TAMIS_KIND_DELIVERED] + c.campaign_kind[TAMIS_KIND_FAILED] <=
                c.campaign_kind[TAMIS_KIND_OUTBOUND_SENT]);
    assert_true(c.campaign_kind[TAMIS_KIND_FAILED] > 0);
    assert_true(c.campaign_kind[TAMIS_KIND_READ] <= c.campaign_kind[TAMIS_KIND_DELIVERED]);
    assert_true(c.campaign_kind[TAMIS_KIND_CLICK] + c.campaign_kind[TAMIS_KIND_REPLY] <=
                c.campaign_kind[TAMIS_KIND_READ]);

    tamis_free(c.count);
    tamis_free(c.early);
    tamis_free(c.late);
    release(&out);
}

/* Failed messages get no response: no read/click/reply for a (user, campaign) whose
 * message failed. Receipts keyed by platform id are skipped (no user to match). */
typedef struct fail_ctx {
    char **failed;
    size_t n_failed;
    char **responses;
    size_t n_responses;
} fail_ctx;

static void collect_failures(void *vctx, const tamis_event *ev, const char *line, size_t n)
{
    fail_ctx *c = vctx;
    tamis_str u = ev->text[TAMIS_FIELD_USER], camp = ev->text[TAMIS_FIELD_CAMPAIGN];
    char buf[64], *s;
    bool failed = ev->kind == TAMIS_KIND_FAILED;
    bool response = ev->kind == TAMIS_KIND_READ || ev->kind == TAMIS_KIND_CLICK ||
                    ev->kind == TAMIS_KIND_REPLY;
    (void)line;
    (void)n;

    if (!u.len || !camp.len || !(failed || response))
        return;
    snprintf(buf, sizeof buf, "%.*s/%.*s", (int)u.len, u.ptr, (int)camp.len, camp.ptr);
    s = tamis_strdup(buf);
    if (failed)
        c->failed[c->n_failed++] = s;
    else
        c->responses[c->n_responses++] = s;
}

static void test_failed_get_no_response(void **state)
{
    tamis_gen_options o;
    output out;
    fail_ctx c = {0};
    uint64_t good, bad;
    (void)state;

    base_options(&o, 4000, 100000, 60);
    generate(&o, &out);
    c.failed = tamis_malloc(100000 * sizeof *c.failed);
    c.responses = tamis_malloc(100000 * sizeof *c.responses);
    parse_events(&out, TAMIS_FORMAT_CSV, &good, &bad, collect_failures, &c);
    assert_true(c.n_failed > 10 && c.n_responses > 10);
    qsort(c.failed, c.n_failed, sizeof *c.failed, cmp_str);
    for (size_t i = 0; i < c.n_responses; i++)
        assert_null(bsearch(&c.responses[i], c.failed, c.n_failed, sizeof *c.failed, cmp_str));
    for (size_t i = 0; i < c.n_failed; i++)
        tamis_free(c.failed[i]);
    for (size_t i = 0; i < c.n_responses; i++)
        tamis_free(c.responses[i]);
    tamis_free(c.failed);
    tamis_free(c.responses);
    release(&out);
}

/* ------------------------------------------------------------------ device farms */

typedef struct device_ctx {
    char **pairs; /* "device user" */
    size_t n;
} device_ctx;

static void collect_devices(void *vctx, const tamis_event *ev, const char *line, size_t n)
{
    device_ctx *c = vctx;
    tamis_str d = ev->text[TAMIS_FIELD_DEVICE], u = ev->text[TAMIS_FIELD_USER];
    char buf[64];
    (void)line;
    (void)n;
    if (!d.len || !u.len)
        return;
    snprintf(buf, sizeof buf, "%.*s %.*s", (int)d.len, d.ptr, (int)u.len, u.ptr);
    c->pairs[c->n++] = tamis_strdup(buf);
}

static void test_device_farms(void **state)
{
    tamis_gen_options o;
    output out;
    device_ctx c = {0};
    uint64_t good, bad;
    size_t max_accounts = 0, run = 0, shared = 0;
    (void)state;

    base_options(&o, 20000, 200000, 60);
    generate(&o, &out);
    assert_true(out.stats.farms >= 1);
    c.pairs = tamis_malloc(200000 * sizeof *c.pairs);
    parse_events(&out, TAMIS_FORMAT_CSV, &good, &bad, collect_devices, &c);
    qsort(c.pairs, c.n, sizeof *c.pairs, cmp_str);
    /* distinct accounts per device: count distinct pairs sharing the device prefix */
    for (size_t i = 0; i < c.n; i++) {
        bool same_pair = i && !strcmp(c.pairs[i], c.pairs[i - 1]);
        bool same_device = i && !strncmp(c.pairs[i], c.pairs[i - 1], 13);
        if (same_pair)
            continue;
        run = same_device ? run + 1 : 1;
        if (run > max_accounts)
            max_accounts = run;
        if (run == 3)
            shared++;
    }
    assert_in_range(max_accounts, 20, 200);
    assert_in_range(shared, 1, out.stats.farms); /* only farms share devices */
    for (size_t i = 0; i < c.n; i++)
        tamis_free(c.pairs[i]);
    tamis_free(c.pairs);
    release(&out);
}

/* ------------------------------------------------------------------ errors */

static void test_bad_options(void **state)
{
    tamis_gen_options o;
    tamis_error err = {0};
    (void)state;

    base_options(&o, 0, 10, 10);
    assert_int_equal(tamis_gen_write(&o, NULL, NULL, NULL, &err), TAMIS_EUSAGE);
    assert_non_null(strstr(err.msg, "--users"));
    base_options(&o, 10, 10, 0);
    assert_int_equal(tamis_gen_write(&o, NULL, NULL, NULL, &err), TAMIS_EUSAGE);
    base_options(&o, 10, 10, TAMIS_GEN_MAX_DAYS + 1);
    assert_int_equal(tamis_gen_write(&o, NULL, NULL, NULL, &err), TAMIS_EUSAGE);
    base_options(&o, 10, 10, 10);
    o.format = TAMIS_FORMAT_AUTO;
    assert_int_equal(tamis_gen_write(&o, NULL, NULL, NULL, &err), TAMIS_EUSAGE);
    base_options(&o, 10, 10, 10);
    o.end_ms = 5 * 86400000LL; /* window would start before 1970 */
    assert_int_equal(tamis_gen_write(&o, NULL, NULL, NULL, &err), TAMIS_EUSAGE);
    /* NULL files: simulated, nothing written, counts still exact */
    base_options(&o, 10, 100, 10);
    {
        tamis_gen_stats st;
        assert_int_equal(tamis_gen_write(&o, NULL, NULL, &st, &err), TAMIS_OK);
        assert_int_equal(st.events, 100);
    }
}

static void test_write_failure(void **state)
{
    tamis_gen_options o;
    tamis_error err = {0};
    FILE *full = fopen("/dev/full", "w");
    (void)state;

    if (!full)
        skip();
    base_options(&o, 2000, 50000, 10);
    assert_int_equal(tamis_gen_write(&o, NULL, full, NULL, &err), TAMIS_EIO);
    assert_non_null(strstr(err.msg, "events"));
    fclose(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_other_seed_other_bytes),
        cmocka_unit_test(test_exact_counts),
        cmocka_unit_test(test_event_lines),
        cmocka_unit_test(test_ndjson_matches_csv),
        cmocka_unit_test(test_contact_rows),
        cmocka_unit_test(test_activity_shapes),
        cmocka_unit_test(test_failed_get_no_response),
        cmocka_unit_test(test_device_farms),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_write_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
