/* population.c — the simulated users and the contacts CSV.
 *
 * gen_pop_build draws every user's attributes (country, zone, platforms, activity
 * weight, lifecycle, persona, diurnal peak, responsiveness) and places the device
 * farms; simulate.c reads them to generate events and gen_pop_write_contacts writes
 * contacts.csv. Each user is drawn from its own hash of (seed, index), so a user's
 * attributes do not depend on the others: the only cross-user links are duplicated
 * phones (copied from an earlier user) and farms (contiguous blocks of accounts).
 * Memory: one 24-byte gen_user per user. */
#include <math.h>
#include <string.h>

#include "gen/gen_int.h"
#include "tamis/alloc.h"
#include "tamis/event.h"

/* Purposes mixed into gen_hash, so that independent draws use independent hashes. */
enum { H_ATTR = 1, H_PHONE, H_CONTACT, H_FARM, H_FARM_PHONE };

#define PARETO_ALPHA 1.1     /* activity weight ~ Pareto(alpha), the heavy tail */
#define WEIGHT_CAP_MAX 3000.0 /* no single user dwarfs the rest: the cap is users / 10 */
#define WEIGHT_CAP_MIN 20.0   /* within these bounds (~2% of events at most) */
#define FARM_USERS_PER 15000 /* one farm per this many users (at least one from 500) */
#define FARM_MAX 200
#define FARM_SIGNUP_GAP_MS 40000 /* farm accounts are created ~40 s apart */

static const char *const tag_vocab[] = {
    "vip", "newsletter", "b2b", "b2c", "wholesale", "retail", "reseller", "lead",
    "beta", "referral", "event_2026", "churn_risk", "loyalty", "support", "partner",
};
#define N_TAGS (sizeof tag_vocab / sizeof tag_vocab[0])

/* Local hour of the daily peak, weighted: evenings first, then lunch and mornings. */
static const uint8_t peak_hour_weight[24] = {3, 2, 1, 0, 0, 0, 1, 3, 5, 6, 4, 4,
                                             8, 6, 3, 3, 3, 4, 5, 7, 11, 12, 9, 5};

static uint32_t pick_weighted_u8(gen_rng *r, const uint8_t *w, uint32_t n)
{
    uint32_t total = 0, x;
    for (uint32_t i = 0; i < n; i++)
        total += w[i];
    x = gen_below(r, total);
    for (uint32_t i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

static uint32_t pick_country(gen_rng *r)
{
    uint32_t total = 0, x;
    for (uint32_t i = 0; i < gen_n_countries; i++)
        total += gen_countries[i].weight;
    x = gen_below(r, total);
    for (uint32_t i = 0; i < gen_n_countries; i++) {
        if (x < gen_countries[i].weight)
            return i;
        x -= gen_countries[i].weight;
    }
    return 0;
}

static uint32_t pick_zone(gen_rng *r, const gen_country *c)
{
    uint32_t total = 0, x;
    for (uint32_t i = 0; i < c->n_zones; i++)
        total += c->zones[i].weight;
    x = gen_below(r, total);
    for (uint32_t i = 0; i < c->n_zones; i++) {
        if (x < c->zones[i].weight)
            return i;
        x -= c->zones[i].weight;
    }
    return 0;
}

static uint32_t country_index(const char *code)
{
    for (uint32_t i = 0; i < gen_n_countries; i++)
        if (!strcmp(gen_countries[i].code, code))
            return i;
    return 0;
}

/* ------------------------------------------------------------------ building */

static void set_diurnal(gen_user *x, gen_rng *r)
{
    int peak_min = (int)pick_weighted_u8(r, peak_hour_weight, 24) * 60 + (int)gen_below(r, 60);
    int utc_min = ((peak_min - x->offset_min) % 1440 + 1440) % 1440;
    uint32_t spread = gen_below(r, 100);
    spread = spread < 30 ? 0 : spread < 75 ? 1 : 2;
    x->dclass = (uint8_t)((uint32_t)(utc_min / 30) * GEN_SPREADS + spread);
}

static void draw_user(gen_pop *p, const tamis_gen_options *o, uint32_t u)
{
    gen_user *x = &p->users[u];
    gen_rng r = {gen_hash(p->seed, u, H_ATTR)};
    const gen_country *c;
    uint32_t roll;

    memset(x, 0, sizeof *x);
    x->phone_src = u;
    x->country = (uint8_t)pick_country(&r);
    roll = gen_below(&r, 1000);
    if (roll < 15 && u > 0) { /* shares the phone of a recent user: same country, zone */
        uint32_t v = u - 1 - gen_below(&r, u < 200 ? u : 200);
        if (!(p->users[v].flags & GEN_U_PHONE_BAD) && !p->users[v].farm) {
            x->phone_src = v;
            x->country = p->users[v].country;
        }
    } else if (roll < 15 + 140) {
        x->flags |= GEN_U_PHONE_BAD; /* blank or invalid */
    }
    c = &gen_countries[x->country];
    x->zone = x->phone_src != u ? p->users[x->phone_src].zone : (uint8_t)pick_zone(&r, c);
    x->offset_min = c->zones[x->zone].offset_min;

    for (int pl = 0; pl < GEN_P_CONTACT_COUNT; pl++) {
        if (gen_below(&r, 100) >= c->platform_pct[pl])
            continue;
        if (pl == GEN_P_WHATSAPP && ((x->flags & GEN_U_PHONE_BAD) || x->phone_src != u))
            continue; /* a WhatsApp id is a phone: needs a valid one of its own */
        x->platforms |= (uint8_t)(1u << pl);
    }
    if (x->platforms && gen_chance(&r, 40000))
        x->flags |= GEN_U_ZOMBIE;

    if (gen_chance(&r, 100000)) {
        x->flags |= GEN_U_ASLEEP;
        x->weight = 0.0f;
        x->respond = (uint8_t)gen_below(&r, 40);
    } else {
        /* The quantile comes from a golden-ratio sequence rather than a random draw:
         * equidistributed for any number of users, so the tail has the same shape for
         * 2000 users as for a million, whatever the seed. */
        double q = fmod((double)u * 0.6180339887498949 + (double)(p->seed >> 11) * 0x1.0p-53, 1.0);
        double w = pow(1.0 - q, -1.0 / PARETO_ALPHA), cap = p->n_users / 10.0;
        cap = cap < WEIGHT_CAP_MIN ? WEIGHT_CAP_MIN : cap > WEIGHT_CAP_MAX ? WEIGHT_CAP_MAX : cap;
        x->weight = (float)(w > cap ? cap : w);
        x->respond = (uint8_t)(40 + gen_below(&r, 120) + (x->weight > 3.0f ? 60 : 0));
    }
    roll = gen_below(&r, 100);
    x->lifecycle = roll < 70 ? GEN_LIFE_STEADY : roll < 85 ? GEN_LIFE_COLD : GEN_LIFE_WARM;
    if (x->lifecycle == GEN_LIFE_COLD)
        x->life_day = (uint16_t)(o->days / 4 + gen_below(&r, o->days / 2 + 1));
    else if (x->lifecycle == GEN_LIFE_WARM)
        x->life_day = (uint16_t)(o->days * 15 / 100 + gen_below(&r, o->days * 65 / 100 + 1));
    roll = gen_below(&r, 100);
    x->persona = roll < 35 ? GEN_PERSONA_LURKER
                 : roll < 70 ? GEN_PERSONA_CHATTER
                 : roll < 85 ? GEN_PERSONA_COMMUNITY
                             : GEN_PERSONA_BUYER;
    set_diurnal(x, &r);
}

/* Farms: contiguous blocks of 20..200 accounts in one country, on one platform and one
 * device, signed up ~40 s apart, then acting like clockwork. Their event budget is
 * about 1.5% of all events, which sets the period. */
static void place_farms(gen_pop *p, const tamis_gen_options *o)
{
    static const char *const farm_countries[] = {"RU", "ID", "VN", "IN", "BR", "PH"};
    int64_t start_ms = o->end_ms - (int64_t)o->days * 86400000;
    int64_t window_ms = (int64_t)o->days * 86400000;
    uint32_t region;

    p->n_farms = p->n_users < 500 ? 0 : p->n_users / FARM_USERS_PER;
    if (p->n_users >= 500 && p->n_farms == 0)
        p->n_farms = 1;
    if (p->n_farms > FARM_MAX)
        p->n_farms = FARM_MAX;
    if (!p->n_farms)
        return;
    p->farms = tamis_calloc(p->n_farms, sizeof *p->farms);
    region = p->n_users / p->n_farms;
    for (uint32_t f = 0; f < p->n_farms; f++) {
        gen_farm *fm = &p->farms[f];
        gen_rng r = {gen_hash(p->seed, f, H_FARM)};
        uint32_t cidx = country_index(farm_countries[gen_below(&r, 6)]);
        const gen_country *c = &gen_countries[cidx];
        uint32_t cap = region / 4 < 200 ? region / 4 : 200;
        double budget, duration_ms, period_ms, min_period_ms;

        fm->members = cap < 20 ? cap : 20 + gen_below(&r, cap - 20 + 1);
        fm->first_user = f * region + gen_below(&r, region - fm->members + 1);
        fm->platform = c->platform_pct[GEN_P_TELEGRAM] >= 50 ? GEN_P_TELEGRAM
                       : c->platform_pct[GEN_P_ZALO] >= 50   ? GEN_P_ZALO
                       : c->platform_pct[GEN_P_MESSENGER] >= 80 ? GEN_P_MESSENGER
                                                                 : GEN_P_WHATSAPP;
        fm->device = gen_hash(p->seed, f, H_FARM + 100) & UINT64_C(0xffffffffffff);
        fm->created_ms = start_ms + (int64_t)(gen_unit(&r) * 0.7 * (double)window_ms);
        fm->first_tick_ms = fm->created_ms + (int64_t)fm->members * FARM_SIGNUP_GAP_MS + 60000;
        budget = 0.015 * (double)o->events / p->n_farms;
        duration_ms = (double)(o->end_ms - fm->first_tick_ms);
        period_ms = budget > 0 ? fm->members * duration_ms / budget : 2 * 86400000.0;
        min_period_ms = 300000.0 + fm->members * 3000.0;
        if (period_ms < min_period_ms)
            period_ms = min_period_ms;
        if (period_ms > 2 * 86400000.0)
            period_ms = 2 * 86400000.0;
        fm->period_ms = (int64_t)period_ms / 1000 * 1000; /* whole seconds: clockwork */
        for (uint32_t i = 0; i < fm->members; i++) {
            gen_user *x = &p->users[fm->first_user + i];
            x->farm = (uint16_t)(f + 1);
            x->flags = (uint8_t)(GEN_U_FARM | (gen_below(&r, 10) < 3 ? GEN_U_PHONE_BAD : 0));
            x->weight = 0.0f;
            x->respond = 0;
            x->phone_src = fm->first_user + i;
            x->country = (uint8_t)cidx;
            x->zone = 0;
            x->offset_min = c->zones[0].offset_min;
            x->platforms = (uint8_t)(1u << fm->platform);
            if (fm->platform == GEN_P_WHATSAPP && (x->flags & GEN_U_PHONE_BAD))
                x->platforms = 0;
        }
    }
}

void gen_pop_build(gen_pop *p, const tamis_gen_options *o)
{
    uint64_t digits = 1;

    memset(p, 0, sizeof *p);
    p->seed = gen_mix64(o->seed ^ UINT64_C(0x7a3c5e1d2b4f6a8c));
    p->n_users = (uint32_t)o->users;
    for (uint64_t v = o->users; v >= 10; v /= 10)
        digits++;
    p->key_width = digits < 7 ? 7 : (int)digits;
    p->scramble_key = (uint32_t)(p->seed >> 17);
    p->n_groups = p->n_users / 40 < 5 ? 5 : p->n_users / 40;
    p->users = tamis_malloc((size_t)p->n_users * sizeof *p->users);
    for (uint32_t u = 0; u < p->n_users; u++)
        draw_user(p, o, u);
    place_farms(p, o);
}

void gen_pop_free(gen_pop *p)
{
    tamis_free(p->users);
    tamis_free(p->farms);
    memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------------ phones */

/* The NSN of user u's phone (shared numbers come from phone_src; farm accounts get
 * consecutive numbers, a classic sign of bought virtual numbers). */
static size_t user_nsn(const gen_pop *p, uint32_t u, char out[GEN_NSN_MAX])
{
    const gen_user *x = &p->users[u];
    const gen_country *c = &gen_countries[x->country];
    size_t n;

    if (x->farm) {
        const gen_farm *fm = &p->farms[x->farm - 1];
        uint32_t seq = (uint32_t)(gen_hash(p->seed, x->farm, H_FARM_PHONE) % 700) + (u - fm->first_user);
        n = gen_phone_nsn(c, &c->zones[0], gen_hash(p->seed, x->farm, H_FARM_PHONE), out);
        out[n - 3] = (char)('0' + seq / 100 % 10);
        out[n - 2] = (char)('0' + seq / 10 % 10);
        out[n - 1] = (char)('0' + seq % 10);
        return n;
    }
    return gen_phone_nsn(c, &c->zones[x->zone], gen_hash(p->seed, x->phone_src, H_PHONE), out);
}

size_t gen_pop_whatsapp_id(const gen_pop *p, uint32_t u, char out[GEN_PID_MAX])
{
    const gen_country *c = &gen_countries[p->users[u].country];
    size_t cl = strlen(c->cc);

    if (!(p->users[u].platforms & (1u << GEN_P_WHATSAPP)))
        return 0;
    memcpy(out, c->cc, cl);
    return cl + user_nsn(p, u, out + cl);
}

/* ------------------------------------------------------------------ contacts.csv */

static void put_str(gen_out *o, const char *s)
{
    gen_out_mem(o, s, strlen(s));
}

/* A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break. */
static void put_csv_field(gen_out *o, const char *s, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            quote = true;
    if (!quote) {
        gen_out_mem(o, s, n);
        return;
    }
    gen_out_char(o, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            gen_out_char(o, '"');
        gen_out_char(o, s[i]);
    }
    gen_out_char(o, '"');
}

/* Writes the phone column; returns true when it is in an international form (or
 * blank), i.e. when it can be read without the country column. */
static bool put_phone(const gen_pop *p, gen_out *o, uint32_t u, gen_rng *r)
{
    const gen_user *x = &p->users[u];
    const gen_country *c = &gen_countries[x->country];
    char nsn[GEN_NSN_MAX], ph[GEN_PHONE_MAX];
    uint32_t style = gen_below(r, 100);
    size_t n;

    if (x->flags & GEN_U_PHONE_BAD) {
        if (x->farm || gen_below(r, 100) < 55)
            return true; /* blank */
        n = gen_phone_invalid(c, gen_next(r), ph);
    } else {
        user_nsn(p, u, nsn);
        n = gen_phone_format(c, nsn,
                             style < 35   ? GEN_PHONE_E164
                             : style < 55 ? GEN_PHONE_INTL_GROUPED
                             : style < 85 ? GEN_PHONE_NATIONAL
                                          : GEN_PHONE_NATIONAL_GROUPED,
                             ph);
    }
    put_csv_field(o, ph, n);
    return ph[0] == '+';
}

/* Time zone column: mostly the IANA name, sometimes a fixed offset, sometimes blank. */
static void put_tz(gen_out *o, const gen_user *x, gen_rng *r)
{
    uint32_t roll = gen_below(r, 100);
    int off = x->offset_min < 0 ? -x->offset_min : x->offset_min;

    if (roll < 80) {
        put_str(o, gen_countries[x->country].zones[x->zone].name);
    } else if (roll < 88) {
        gen_out_char(o, x->offset_min < 0 ? '-' : '+');
        gen_out_u64w(o, (uint64_t)(off / 60), 2);
        gen_out_char(o, ':');
        gen_out_u64w(o, (uint64_t)(off % 60), 2);
    }
}

static void put_name(gen_out *o, const gen_country *c, gen_rng *r, uint32_t *gender)
{
    char buf[256];
    size_t n = 0;
    uint32_t gi = gen_below(r, c->given.n), roll = gen_below(r, 1000);
    const char *given = c->given.v[gi], *family = c->family.v[gen_below(r, c->family.n)];
    bool no_space = !strcmp(c->code, "CN") || !strcmp(c->code, "TW");
    size_t gl = strlen(given), fl = strlen(family);

    *gender = gi % 2;
    if (roll < 20)
        return; /* blank */
    if (roll < 50 && !c->family_first) { /* "Family, Given": needs quoting */
        memcpy(buf, family, fl);
        memcpy(buf + fl, ", ", 2);
        memcpy(buf + fl + 2, given, gl);
        n = fl + 2 + gl;
    } else if (c->family_first) {
        memcpy(buf, family, fl);
        n = fl;
        if (!no_space)
            buf[n++] = ' ';
        memcpy(buf + n, given, gl);
        n += gl;
    } else {
        memcpy(buf, given, gl);
        n = gl;
        if (roll < 60) { /* a nickname in quotes */
            static const char *const nick[] = {" \"Kiki\"", " \"Boss\"", " \"Bo\"", " \"JJ\""};
            const char *k = nick[roll % 4];
            memcpy(buf + n, k, strlen(k));
            n += strlen(k);
        }
        buf[n++] = ' ';
        memcpy(buf + n, family, fl);
        n += fl;
    }
    put_csv_field(o, buf, n);
}

static void put_tags(gen_out *o, gen_rng *r)
{
    uint32_t roll = gen_below(r, 100), count = roll < 40 ? 0 : roll < 75 ? 1 : roll < 93 ? 2 : 3;
    uint32_t first = gen_below(r, N_TAGS), step = 1 + gen_below(r, N_TAGS - 1);
    bool spaced = gen_below(r, 10) == 0;

    for (uint32_t i = 0; i < count; i++) {
        if (i)
            put_str(o, spaced ? "; " : ";");
        put_str(o, tag_vocab[(first + i * step) % N_TAGS]);
    }
}

void gen_pop_write_contacts(const gen_pop *p, gen_out *o)
{
    char id[GEN_PID_MAX];

    gen_out_reserve(o);
    put_str(o, "user,phone,country,tz,name,tags");
    for (int pl = 0; pl < GEN_P_CONTACT_COUNT; pl++) {
        gen_out_char(o, ',');
        put_str(o, gen_platform_names[pl]);
        put_str(o, "_id");
    }
    put_str(o, ",gender,city\n");

    for (uint32_t u = 0; u < p->n_users; u++) {
        const gen_user *x = &p->users[u];
        const gen_country *c = &gen_countries[x->country];
        const gen_zone *z = &c->zones[x->zone];
        gen_rng r = {gen_hash(p->seed, u, H_CONTACT)};
        uint32_t gender = 0;
        bool intl;

        gen_out_reserve(o);
        gen_out_char(o, 'u');
        gen_out_u64w(o, (uint64_t)u + 1, p->key_width);
        gen_out_char(o, ',');
        intl = put_phone(p, o, u, &r);
        gen_out_char(o, ',');
        if (!intl || gen_below(&r, 100) < 90) /* a national number needs its country */
            put_str(o, c->code);
        gen_out_char(o, ',');
        put_tz(o, x, &r);
        gen_out_char(o, ',');
        put_name(o, c, &r, &gender);
        gen_out_char(o, ',');
        put_tags(o, &r);
        for (int pl = 0; pl < GEN_P_CONTACT_COUNT; pl++) {
            gen_out_char(o, ',');
            if (!(x->platforms & (1u << pl)))
                continue;
            if (pl == GEN_P_WHATSAPP)
                gen_out_mem(o, id, gen_pop_whatsapp_id(p, u, id));
            else
                gen_out_mem(o, id, gen_platform_id(pl, gen_scramble32(u, p->scramble_key), id));
        }
        gen_out_char(o, ',');
        if (gen_below(&r, 100) < 85)
            gen_out_char(o, gender ? 'f' : 'm');
        gen_out_char(o, ',');
        if (gen_below(&r, 100) < 85)
            put_str(o, z->cities.v[gen_below(&r, z->cities.n)]);
        gen_out_char(o, '\n');
    }
}

/* ------------------------------------------------------------------ truth.csv */

void gen_pop_write_truth(const gen_pop *p, const tamis_gen_options *o, gen_out *out)
{
    static const char *const names[] = {[GEN_LIFE_STEADY] = "steady", [GEN_LIFE_COLD] = "cooling",
                                        [GEN_LIFE_WARM] = "warming"};
    uint32_t first_day = (uint32_t)((o->end_ms - (int64_t)o->days * 86400000) / 86400000);

    gen_out_reserve(out);
    put_str(out, "user,lifecycle,change,asleep,farm\n");
    for (uint32_t u = 0; u < p->n_users; u++) {
        const gen_user *x = &p->users[u];
        gen_out_reserve(out);
        gen_out_char(out, 'u');
        gen_out_u64w(out, (uint64_t)u + 1, p->key_width);
        gen_out_char(out, ',');
        put_str(out, names[x->lifecycle]);
        gen_out_char(out, ',');
        if (x->lifecycle != GEN_LIFE_STEADY) {
            char date[32];
            tamis_format_utc_date(first_day + x->life_day, date);
            put_str(out, date);
        }
        put_str(out, x->flags & GEN_U_ASLEEP ? ",1" : ",0");
        put_str(out, x->farm ? ",1\n" : ",0\n");
    }
}
