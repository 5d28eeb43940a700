/* writer.c — buffered output and the formatting of event lines.
 *
 * simulate.c decides what happens (a gen_event); this file decides how it is written:
 * CSV or NDJSON, the timestamp form, the user key or platform id, the optional
 * columns, and the deliberately broken lines of --bad-lines. It also keeps a few
 * recent lines so that exact duplicates can be written later, and counts what it
 * wrote into tamis_gen_stats. Numbers are formatted by hand: snprintf would cost more
 * than everything else per line. */
#include <string.h>

#include "gen/gen_int.h"
#include "tamis/event.h"
#include "tamis/alloc.h"

const char *const gen_campaign_types[3] = {"promo", "newsletter", "reminder"};
const char *const gen_fail_reasons[4] = {"invalid_number", "not_on_platform", "blocked",
                                         "rate_limited"};
const char *const gen_profile_fields[3] = {"avatar", "nickname", "status"};

/* ------------------------------------------------------------------ gen_out */

void gen_out_init(gen_out *o, FILE *f)
{
    memset(o, 0, sizeof *o);
    o->f = f;
    o->buf = tamis_malloc(GEN_OUT_BUF);
}

static void out_flush(gen_out *o)
{
    if (o->len && o->f && !o->failed && fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->failed = true;
    o->bytes += o->len;
    o->len = 0;
}

void gen_out_reserve(gen_out *o)
{
    if (GEN_OUT_BUF - o->len < GEN_LINE_MAX)
        out_flush(o);
}

int gen_out_finish(gen_out *o, const char *what, tamis_error *err)
{
    out_flush(o);
    if (o->f && !o->failed && fflush(o->f) != 0)
        o->failed = true;
    if (o->failed)
        return tamis_error_set(err, TAMIS_EIO, "writing %s failed", what);
    return TAMIS_OK;
}

void gen_out_free(gen_out *o)
{
    tamis_free(o->buf);
    o->buf = NULL;
}

static void put_str(gen_out *o, const char *s)
{
    gen_out_mem(o, s, strlen(s));
}

/* ------------------------------------------------------------------ fields */

static void put_iso(gen_out *o, int64_t ts_ms, int offset_min, bool zulu)
{
    int64_t local_s = ts_ms / 1000 + (zulu ? 0 : offset_min * 60), y;
    int64_t days = local_s / 86400, sod = local_s % 86400;
    unsigned m, d;
    int off = offset_min < 0 ? -offset_min : offset_min;

    tamis_civil_from_days(days, &y, &m, &d);
    gen_out_u64w(o, (uint64_t)y, 4);
    gen_out_char(o, '-');
    gen_out_u64w(o, m, 2);
    gen_out_char(o, '-');
    gen_out_u64w(o, d, 2);
    gen_out_char(o, 'T');
    gen_out_u64w(o, (uint64_t)(sod / 3600), 2);
    gen_out_char(o, ':');
    gen_out_u64w(o, (uint64_t)(sod / 60 % 60), 2);
    gen_out_char(o, ':');
    gen_out_u64w(o, (uint64_t)(sod % 60), 2);
    if (ts_ms % 7 == 0) {
        gen_out_char(o, '.');
        gen_out_u64w(o, (uint64_t)(ts_ms % 1000), 3);
    }
    if (zulu) {
        gen_out_char(o, 'Z');
        return;
    }
    gen_out_char(o, offset_min < 0 ? '-' : '+');
    gen_out_u64w(o, (uint64_t)(off / 60), 2);
    gen_out_char(o, ':');
    gen_out_u64w(o, (uint64_t)(off % 60), 2);
}

/* The ts value; ISO forms are strings in NDJSON, the unix forms numbers. */
static void put_ts(gen_writer *w, const gen_event *e, bool json)
{
    gen_out *o = &w->out;
    uint64_t ms = (uint64_t)e->ts_ms;

    switch (e->ts_form) {
    case GEN_TS_UNIX_FRAC:
        gen_out_u64(o, ms / 1000);
        gen_out_char(o, '.');
        gen_out_u64w(o, ms % 1000, 3);
        break;
    case GEN_TS_UNIX_MS:
        gen_out_u64(o, ms);
        break;
    case GEN_TS_ISO_Z:
    case GEN_TS_ISO_OFFSET:
        if (json)
            gen_out_char(o, '"');
        put_iso(o, e->ts_ms, w->pop->users[e->user].offset_min, e->ts_form == GEN_TS_ISO_Z);
        if (json)
            gen_out_char(o, '"');
        break;
    default:
        gen_out_u64(o, ms / 1000);
        break;
    }
}

static void put_user_key(gen_writer *w, uint32_t u)
{
    gen_out_char(&w->out, 'u');
    gen_out_u64w(&w->out, (uint64_t)u + 1, w->pop->key_width);
}

static void put_platform_id(gen_writer *w, const gen_event *e)
{
    char id[GEN_PID_MAX];
    size_t n;

    if (e->key == GEN_KEY_UNKNOWN)
        n = gen_platform_id(e->platform, e->unknown_key, id);
    else if (e->platform == GEN_P_WHATSAPP)
        n = gen_pop_whatsapp_id(w->pop, e->user, id);
    else
        n = gen_platform_id(e->platform, gen_scramble32(e->user, w->pop->scramble_key), id);
    gen_out_mem(&w->out, id, n);
}

static void put_value(gen_out *o, int64_t cents)
{
    gen_out_u64(o, (uint64_t)cents / 100);
    if (cents % 100) {
        gen_out_char(o, '.');
        gen_out_u64w(o, (uint64_t)cents % 100, 2);
    }
}

static void put_device(gen_out *o, uint64_t device)
{
    static const char hex[] = "0123456789abcdef";
    gen_out_char(o, 'd');
    for (int i = 11; i >= 0; i--)
        gen_out_char(o, hex[(device >> (4 * i)) & 15]);
}

/* ------------------------------------------------------------------ CSV */

static void csv_event(gen_writer *w, const gen_event *e, uint64_t id)
{
    gen_out *o = &w->out;
    bool has_user = e->key == GEN_KEY_USER || e->key == GEN_KEY_BOTH;
    bool has_pid = e->key != GEN_KEY_USER;

    put_ts(w, e, false);
    gen_out_char(o, ',');
    if (has_user)
        put_user_key(w, e->user);
    gen_out_char(o, ',');
    if (e->platform != GEN_P_NONE)
        gen_out_mem(o, gen_platform_names[e->platform], w->platform_len[e->platform]);
    gen_out_char(o, ',');
    if (has_pid)
        put_platform_id(w, e);
    gen_out_char(o, ',');
    gen_out_mem(o, tamis_kind_name(e->kind), w->kind_len[e->kind]);
    gen_out_char(o, ',');
    if (e->value_cents >= 0)
        put_value(o, e->value_cents);
    gen_out_char(o, ',');
    if (e->group) {
        gen_out_char(o, 'g');
        gen_out_u64(o, e->group);
    }
    gen_out_char(o, ',');
    if (e->campaign) {
        gen_out_char(o, 'c');
        gen_out_u64w(o, e->campaign, 4);
    }
    gen_out_char(o, ',');
    if (e->ctype != GEN_NONE8)
        put_str(o, gen_campaign_types[e->ctype]);
    gen_out_char(o, ',');
    if (e->device)
        put_device(o, e->device);
    gen_out_char(o, ',');
    if (e->with_country)
        put_str(o, gen_countries[w->pop->users[e->user].country].code);
    gen_out_char(o, ',');
    if (e->field != GEN_NONE8)
        put_str(o, gen_profile_fields[e->field]);
    gen_out_char(o, ',');
    if (e->reason != GEN_NONE8)
        put_str(o, gen_fail_reasons[e->reason]);
    gen_out_char(o, ',');
    if (id) {
        gen_out_char(o, 'e');
        gen_out_u64(o, id);
    }
    gen_out_char(o, '\n');
}

/* ------------------------------------------------------------------ NDJSON */

static void json_key(gen_out *o, const char *key)
{
    gen_out_mem(o, ",\"", 2);
    put_str(o, key);
    gen_out_mem(o, "\":\"", 3);
}

static void json_str(gen_out *o, const char *key, const char *value)
{
    json_key(o, key);
    put_str(o, value);
    gen_out_char(o, '"');
}

static void json_event(gen_writer *w, const gen_event *e, uint64_t id)
{
    gen_out *o = &w->out;

    gen_out_mem(o, "{\"ts\":", 6);
    put_ts(w, e, true);
    if (e->key == GEN_KEY_USER || e->key == GEN_KEY_BOTH) {
        json_key(o, "user");
        put_user_key(w, e->user);
        gen_out_char(o, '"');
    }
    if (e->platform != GEN_P_NONE)
        json_str(o, "platform", gen_platform_names[e->platform]);
    if (e->key != GEN_KEY_USER) {
        json_key(o, "platform_id");
        put_platform_id(w, e);
        gen_out_char(o, '"');
    }
    json_str(o, "kind", tamis_kind_name(e->kind));
    if (e->value_cents >= 0) {
        gen_out_mem(o, ",\"value\":", 9);
        put_value(o, e->value_cents);
    }
    if (e->group) {
        json_key(o, "group");
        gen_out_char(o, 'g');
        gen_out_u64(o, e->group);
        gen_out_char(o, '"');
    }
    if (e->campaign) {
        json_key(o, "campaign");
        gen_out_char(o, 'c');
        gen_out_u64w(o, e->campaign, 4);
        gen_out_char(o, '"');
    }
    if (e->ctype != GEN_NONE8)
        json_str(o, "campaign_type", gen_campaign_types[e->ctype]);
    if (e->device) {
        json_key(o, "device");
        put_device(o, e->device);
        gen_out_char(o, '"');
    }
    if (e->with_country)
        json_str(o, "country", gen_countries[w->pop->users[e->user].country].code);
    if (e->field != GEN_NONE8)
        json_str(o, "field", gen_profile_fields[e->field]);
    if (e->reason != GEN_NONE8)
        json_str(o, "reason", gen_fail_reasons[e->reason]);
    if (id) {
        json_key(o, "id");
        gen_out_char(o, 'e');
        gen_out_u64(o, id);
        gen_out_char(o, '"');
    }
    gen_out_mem(o, "}\n", 2);
}

/* ------------------------------------------------------------------ good lines */

void gen_writer_init(gen_writer *w, FILE *f, const gen_pop *pop, tamis_format fmt,
                     tamis_gen_stats *stats)
{
    memset(w, 0, sizeof *w);
    gen_out_init(&w->out, f);
    w->pop = pop;
    w->format = fmt;
    w->next_id = 1;
    w->stats = stats;
    for (int k = 0; k < TAMIS_KIND__COUNT; k++)
        w->kind_len[k] = (uint8_t)strlen(tamis_kind_name(k));
    for (int pl = 0; pl < GEN_P__COUNT; pl++)
        w->platform_len[pl] = (uint8_t)strlen(gen_platform_names[pl]);
}

void gen_writer_header(gen_writer *w)
{
    if (w->format != TAMIS_FORMAT_CSV)
        return;
    gen_out_reserve(&w->out);
    for (int f = 0; f < TAMIS_FIELD__COUNT; f++) {
        if (f)
            gen_out_char(&w->out, ',');
        put_str(&w->out, tamis_field_name((tamis_field)f));
    }
    gen_out_char(&w->out, '\n');
}

static void count_line(tamis_gen_stats *s, uint8_t kind, uint8_t key, bool with_id)
{
    s->events++;
    s->by_kind[kind]++;
    s->with_id += with_id;
    s->platform_keyed += key == GEN_KEY_PLATFORM || key == GEN_KEY_UNKNOWN;
    s->unknown_ids += key == GEN_KEY_UNKNOWN;
}

void gen_writer_event(gen_writer *w, const gen_event *e, bool keep_for_dup)
{
    size_t start, len;
    uint64_t id = e->with_id ? w->next_id++ : 0;

    gen_out_reserve(&w->out);
    start = w->out.len;
    if (w->format == TAMIS_FORMAT_NDJSON)
        json_event(w, e, id);
    else
        csv_event(w, e, id);
    count_line(w->stats, e->kind, e->key, id != 0);

    len = w->out.len - start;
    if (keep_for_dup && id && len <= GEN_DUP_LINE_MAX) {
        uint32_t slot = w->dup_filled++ % GEN_DUP_SLOTS;
        memcpy(w->dup_line[slot], w->out.buf + start, len);
        w->dup_len[slot] = (uint16_t)len;
        w->dup_kind[slot] = e->kind;
        w->dup_key[slot] = e->key;
    }
}

bool gen_writer_duplicate(gen_writer *w, uint32_t pick)
{
    uint32_t slot, filled = w->dup_filled < GEN_DUP_SLOTS ? w->dup_filled : GEN_DUP_SLOTS;

    if (!filled)
        return false;
    slot = pick % filled;
    gen_out_reserve(&w->out);
    gen_out_mem(&w->out, w->dup_line[slot], w->dup_len[slot]);
    count_line(w->stats, w->dup_kind[slot], w->dup_key[slot], true);
    w->stats->duplicates++;
    return true;
}

/* ------------------------------------------------------------------ bad lines */

/* Rewrites the line that starts at `start` (a good line just formatted) into the
 * requested breakage. Each breakage is one the parsers of event.h must reject. */
static void break_line(gen_writer *w, size_t start, int breakage)
{
    gen_out *o = &w->out;
    bool json = w->format == TAMIS_FORMAT_NDJSON;

    switch (breakage) {
    case GEN_BAD_FIELD_COUNT:
        /* CSV: drop the (empty) id column; NDJSON: cut the closing brace. */
        o->len -= 2;
        gen_out_char(o, '\n');
        break;
    case GEN_BAD_UNTERMINATED:
        /* Only ever the last line: an opening quote that nothing closes. */
        o->len = start;
        put_str(o, json ? "{\"ts\":1700000000,\"user\":\"u" : "1700000000,\"u");
        put_str(o, json ? "0000001,\"kind\":\"online\"}\n" : "0000001,app,,online,,,,,,,,,\n");
        break;
    default:
        break;
    }
}

void gen_writer_bad(gen_writer *w, const gen_event *e, int breakage)
{
    static const char *const bad_ts[] = {"yesterday", "2026-10-01 12:00:00", "17x9345600"};
    static const char *const bad_value[] = {"\"12,50\"", "abc", "--5"};
    static const char *const bad_value_json[] = {"\"12,50\"", "\"abc\"", "\"--5\""};
    gen_out *o = &w->out;
    gen_event b = *e;
    bool json = w->format == TAMIS_FORMAT_NDJSON;
    uint64_t variant = w->stats->bad_lines / GEN_BAD__CYCLE; /* rounds of the cycle */
    size_t start;

    b.with_id = false;
    b.key = GEN_KEY_USER;
    b.platform = GEN_P_APP;
    b.kind = TAMIS_KIND_ONLINE;
    b.value_cents = -1;
    gen_out_reserve(o);
    start = o->len;
    switch (breakage) {
    case GEN_BAD_TS:
        put_str(o, json ? "{\"ts\":\"" : "");
        put_str(o, bad_ts[variant % 3]);
        put_str(o, json ? "\",\"user\":\"" : ",");
        put_user_key(w, b.user);
        put_str(o, json ? "\",\"kind\":\"online\"}\n" : ",app,,online,,,,,,,,,\n");
        break;
    case GEN_BAD_KIND:
        b.kind = TAMIS_KIND__COUNT; /* written as "teleport" below */
        put_str(o, json ? "{\"ts\":" : "");
        put_ts(w, &b, json);
        put_str(o, json ? ",\"user\":\"" : ",");
        put_user_key(w, b.user);
        put_str(o, json ? "\",\"kind\":\"teleport\"}\n" : ",app,,teleport,,,,,,,,,\n");
        break;
    case GEN_BAD_VALUE:
        put_str(o, json ? "{\"ts\":" : "");
        put_ts(w, &b, json);
        put_str(o, json ? ",\"user\":\"" : ",");
        put_user_key(w, b.user);
        put_str(o, json ? "\",\"kind\":\"purchase\",\"value\":" : ",web,,purchase,");
        put_str(o, json ? bad_value_json[variant % 3] : bad_value[variant % 3]);
        put_str(o, json ? "}\n" : ",,,,,,,,\n");
        break;
    case GEN_BAD_NO_KEY:
        put_str(o, json ? "{\"ts\":" : "");
        put_ts(w, &b, json);
        put_str(o, json ? ",\"platform\":\"telegram\",\"kind\":\"message_sent\"}\n"
                        : ",,telegram,,message_sent,,,,,,,,,\n");
        break;
    case GEN_BAD_LONG_FIELD:
        put_str(o, json ? "{\"ts\":" : "");
        put_ts(w, &b, json);
        put_str(o, json ? ",\"user\":\"" : ",");
        put_user_key(w, b.user);
        put_str(o, json ? "\",\"kind\":\"group_join\",\"group\":\"g" : ",telegram,,group_join,,g");
        for (int i = 0; i < 1100; i++)
            gen_out_char(o, 'x');
        put_str(o, json ? "\"}\n" : ",,,,,,,\n");
        break;
    default: /* field count, unterminated: start from a good line */
        if (json)
            json_event(w, &b, 0);
        else
            csv_event(w, &b, 0);
        break_line(w, start, breakage);
        break;
    }
    w->stats->bad_lines++;
}
