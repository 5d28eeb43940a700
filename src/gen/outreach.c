/* outreach.c — the non-organic events of the simulation: consent one-offs (opt_in,
 * opt_out, block), the clockwork of device farms, and outbound campaigns with their
 * delayed follow-ups (delivered or failed, then read, click, reply, purchase).
 *
 * simulate.c calls gen_outreach_slice at the start of each 15-minute slice and
 * gen_outreach_drain at its end. Memory stays O(users): one-offs are bucketed by slice
 * once (a counting sort over a per-user hash, so they are drawn twice rather than
 * stored twice), campaign targets are per-platform lists walked through an affine
 * permutation, and follow-ups wait in a min-heap that holds only messages in flight.
 * Failed messages never get a response; opted-out users are not sent to again. */
#include <math.h>
#include <string.h>

#include "gen/sim.h"
#include "tamis/alloc.h"

enum { H_ONEOFF = 31, H_CAMPAIGNS = 32, H_FARM_JITTER = 33 };

#define OPTIN_PPM 720000      /* users with an opt_in */
#define OPTOUT_PPM 30000      /* of those, later opting out */
#define BLOCK_PPM 6000        /* users blocking the business account */
#define CAMPAIGN_SHARE 0.035  /* outbound sends, as a share of all lines */
#define FARM_SHARE 0.015      /* farm ticks, as a share of all lines */
#define CAMPAIGN_MIN_SENDS 20
#define RATE_LIMITED_PPM 30000
#define WA_COLD_TARGET_PCT 12 /* WhatsApp sends to numbers with no known WhatsApp id */
#define FARM_STAGGER_MS 3000  /* accounts of a farm act 3 s apart, every period */

/* ------------------------------------------------------------------ one-offs */

static uint32_t oneoffs_of(const gen_sim *s, uint32_t u, uint32_t scale_ppm, gen_oneoff out[3])
{
    const gen_pop *p = s->pop;
    const gen_user *x = &p->users[u];
    gen_rng r = {gen_hash(p->seed, u, H_ONEOFF)};
    uint32_t window_s = s->days * 86400u, n = 0, sec;

    if (x->farm) {
        const gen_farm *f = &p->farms[x->farm - 1];
        int64_t at = f->created_ms - s->start_ms + (int64_t)(u - f->first_user) * 40000;
        sec = (uint32_t)(at / 1000) + gen_below(&r, 5);
        if (at >= 0 && sec < window_s)
            out[n++] = (gen_oneoff){u, sec, TAMIS_KIND_OPT_IN};
        return n;
    }
    if (gen_below(&r, 1000000) < (uint64_t)OPTIN_PPM * scale_ppm / 1000000) {
        if (x->lifecycle == GEN_LIFE_WARM)
            sec = x->life_day * 86400u + gen_below(&r, 86400);
        else if (gen_below(&r, 100) < 75)
            sec = gen_below(&r, window_s / 10 + 1);
        else
            sec = gen_below(&r, window_s);
        if (sec >= window_s)
            sec = window_s - 1;
        out[n++] = (gen_oneoff){u, sec, TAMIS_KIND_OPT_IN};
        if (gen_below(&r, 1000000) < OPTOUT_PPM && sec + 1 < window_s)
            out[n++] = (gen_oneoff){u, sec + 1 + gen_below(&r, window_s - sec - 1), TAMIS_KIND_OPT_OUT};
    }
    if (x->platforms && gen_below(&r, 1000000) < (uint64_t)BLOCK_PPM * scale_ppm / 1000000)
        out[n++] = (gen_oneoff){u, window_s * 3 / 10 + gen_below(&r, window_s * 7 / 10), TAMIS_KIND_BLOCK};
    return n;
}

/* Two passes of the same draws: count per slice, then place. */
static void build_oneoffs(gen_sim *s)
{
    const gen_pop *p = s->pop;
    uint32_t *fill, total = 0, scale_ppm = 1000000;
    gen_oneoff tmp[3];

    if (s->o->events < 5 * (uint64_t)p->n_users) /* few events: fewer one-offs */
        scale_ppm = (uint32_t)(s->o->events * 200000 / p->n_users);
    s->oneoff_start = tamis_calloc((size_t)s->n_slices + 1, sizeof *s->oneoff_start);
    for (uint32_t u = 0; u < p->n_users; u++) {
        uint32_t n = oneoffs_of(s, u, scale_ppm, tmp);
        for (uint32_t i = 0; i < n; i++)
            s->oneoff_start[tmp[i].sec / (GEN_SLICE_MS / 1000) + 1]++;
        total += n;
    }
    for (uint32_t i = 0; i < s->n_slices; i++)
        s->oneoff_start[i + 1] += s->oneoff_start[i];
    fill = tamis_malloc((size_t)s->n_slices * sizeof *fill);
    memcpy(fill, s->oneoff_start, (size_t)s->n_slices * sizeof *fill);
    s->oneoffs = tamis_malloc((size_t)(total ? total : 1) * sizeof *s->oneoffs);
    for (uint32_t u = 0; u < p->n_users; u++) {
        uint32_t n = oneoffs_of(s, u, scale_ppm, tmp);
        for (uint32_t i = 0; i < n; i++)
            s->oneoffs[fill[tmp[i].sec / (GEN_SLICE_MS / 1000)]++] = tmp[i];
    }
    tamis_free(fill);
}

static int first_platform(uint8_t set)
{
    for (int i = 0; i < GEN_P_CONTACT_COUNT; i++)
        if (set >> i & 1)
            return i;
    return GEN_P_APP;
}

static void emit_oneoff(gen_sim *s, const gen_oneoff *one)
{
    const gen_user *x = &s->pop->users[one->user];
    gen_event e;

    gen_sim_event_init(s, &e, one->user, s->start_ms + (int64_t)one->sec * 1000 + gen_below(&s->rng, 1000));
    e.kind = one->kind;
    e.platform = (uint8_t)first_platform(x->platforms);
    e.key = e.platform < GEN_P_CONTACT_COUNT && gen_below(&s->rng, 10) < 3 ? GEN_KEY_BOTH : GEN_KEY_USER;
    if (x->farm) {
        e.device = s->pop->farms[x->farm - 1].device;
        e.ts_form = GEN_TS_UNIX_MS;
    }
    if (!gen_sim_emit(s, &e))
        return;
    if (one->kind == TAMIS_KIND_OPT_OUT)
        s->ustate[one->user] |= GEN_US_OPTED_OUT;
    else if (one->kind == TAMIS_KIND_BLOCK)
        s->ustate[one->user] |= GEN_US_BLOCKED;
}

/* ------------------------------------------------------------------ farms */

static int64_t farm_time(const gen_sim *s, uint32_t f, int64_t tick, uint32_t member)
{
    const gen_farm *fm = &s->pop->farms[f];
    uint64_t h = gen_hash(s->pop->seed ^ H_FARM_JITTER, (uint64_t)tick << 8 | f, member);
    return fm->first_tick_ms + tick * fm->period_ms + (int64_t)member * FARM_STAGGER_MS + (int64_t)(h % 400);
}

static void farm_ticks(gen_sim *s, int64_t until_ms)
{
    static const uint8_t cycle[4] = {TAMIS_KIND_ONLINE, TAMIS_KIND_VIEW, TAMIS_KIND_CLICK,
                                     TAMIS_KIND_MESSAGE_SENT};
    const gen_pop *p = s->pop;
    int64_t max_ticks_all = (int64_t)(FARM_SHARE * (double)s->o->events / (p->n_farms ? p->n_farms : 1));

    for (uint32_t f = 0; f < p->n_farms; f++) {
        const gen_farm *fm = &p->farms[f];
        int64_t max_ticks = max_ticks_all / fm->members;
        for (;;) {
            int64_t k = s->farm_tick[f], t;
            uint32_t m = s->farm_member[f];
            gen_event e;
            if (k >= max_ticks)
                break;
            t = farm_time(s, f, k, m);
            if (t >= until_ms || t >= s->end_ms)
                break;
            gen_sim_event_init(s, &e, fm->first_user + m, t);
            e.kind = cycle[(k + m) % 4];
            e.platform = fm->platform;
            e.key = (p->users[fm->first_user + m].platforms && (m & 1)) ? GEN_KEY_PLATFORM : GEN_KEY_USER;
            e.device = fm->device;
            e.ts_form = GEN_TS_UNIX_MS;
            e.with_id = true;
            e.with_country = false;
            gen_sim_emit(s, &e);
            if (++s->farm_member[f] == fm->members) {
                s->farm_member[f] = 0;
                s->farm_tick[f]++;
            }
        }
    }
}

/* ------------------------------------------------------------------ campaigns */

static uint32_t gcd32(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Targets per platform: users with an id there; for WhatsApp also a share of the
 * other users of countries where it is used (operators message phone lists; numbers
 * not on WhatsApp fail with not_on_platform or invalid_number). */
static bool is_target(const gen_pop *p, uint32_t u, int pl)
{
    const gen_user *x = &p->users[u];
    if (x->farm)
        return false;
    if (x->platforms >> pl & 1)
        return true;
    return pl == GEN_P_WHATSAPP && gen_countries[x->country].platform_pct[GEN_P_WHATSAPP] > 0 &&
           gen_hash(p->seed, u, H_CAMPAIGNS) % 100 < WA_COLD_TARGET_PCT;
}

static void build_campaigns(gen_sim *s)
{
    const gen_pop *p = s->pop;
    uint32_t start[GEN_P_CONTACT_COUNT], len[GEN_P_CONTACT_COUNT], n = 0;
    uint64_t total_len = 0;
    double budget = CAMPAIGN_SHARE * (double)s->o->events, per;
    int64_t window_ms = s->end_ms - s->start_ms;
    gen_rng r = {gen_hash(p->seed, H_CAMPAIGNS, 0)};

    for (int pl = 0; pl < GEN_P_CONTACT_COUNT; pl++)
        for (uint32_t u = 0; u < p->n_users; u++)
            n += is_target(p, u, pl);
    s->targets = tamis_malloc((size_t)(n ? n : 1) * sizeof *s->targets);
    n = 0;
    for (int pl = 0; pl < GEN_P_CONTACT_COUNT; pl++) {
        start[pl] = n;
        for (uint32_t u = 0; u < p->n_users; u++)
            if (is_target(p, u, pl))
                s->targets[n++] = u;
        len[pl] = n - start[pl];
        total_len += len[pl];
    }

    s->n_camps = s->days * 2 / 5 ? s->days * 2 / 5 : 1;
    if (budget / s->n_camps < CAMPAIGN_MIN_SENDS)
        s->n_camps = (uint32_t)(budget / CAMPAIGN_MIN_SENDS);
    if (s->n_camps > UINT16_MAX)
        s->n_camps = UINT16_MAX;
    if (!total_len)
        s->n_camps = 0;
    s->camps = tamis_calloc(s->n_camps ? s->n_camps : 1, sizeof *s->camps);
    per = s->n_camps ? budget / s->n_camps : 0;
    for (uint32_t k = 0; k < s->n_camps; k++) {
        gen_campaign *c = &s->camps[k];
        uint64_t pick = (uint64_t)(gen_unit(&r) * (double)total_len) % total_len;
        uint32_t ct = gen_below(&r, 100);
        double sends;
        int pl = 0;
        while (pl < GEN_P_CONTACT_COUNT - 1 && pick >= len[pl])
            pick -= len[pl++];
        c->platform = (uint8_t)pl;
        c->ctype = (uint8_t)(ct < 45 ? 0 : ct < 75 ? 1 : 2);
        c->list_start = start[pl];
        c->list_len = len[pl];
        sends = per * (0.6 + 0.8 * gen_unit(&r));
        c->sends = sends > c->list_len ? c->list_len : sends < 1 ? 1 : (uint32_t)sends;
        c->start_ms = s->start_ms + (int64_t)((k + 0.1 + 0.6 * gen_unit(&r)) * (double)window_ms / s->n_camps);
        c->start_ms -= c->start_ms % 60000;
        c->duration_ms = 20 * 60000 + (int64_t)c->sends * 50;
        if (c->duration_ms > 6 * 3600000)
            c->duration_ms = 6 * 3600000;
        if (c->start_ms + c->duration_ms > s->end_ms)
            c->duration_ms = s->end_ms - c->start_ms;
        c->step = c->list_len > 1 ? 1 + gen_below(&r, c->list_len - 1) : 1;
        while (c->list_len > 1 && gcd32(c->step, c->list_len) != 1)
            c->step = c->step % (c->list_len - 1) + 1;
        c->offset = c->list_len ? gen_below(&r, c->list_len) : 0;
    }
    s->stats->campaigns = s->n_camps;
}

/* ------------------------------------------------------------------ follow-ups */

static int push_pending(gen_sim *s, gen_pending item, tamis_error *err)
{
    size_t i;

    if (item.ts_ms >= s->end_ms)
        return TAMIS_OK; /* after the window: never observed */
    if (s->heap_len >= GEN_MAX_PENDING)
        return tamis_error_set(err, TAMIS_ELIMIT, "gen: more than %u messages in flight",
                               GEN_MAX_PENDING);
    if (s->heap_len == s->heap_cap)
        s->heap = tamis_grow(s->heap, sizeof *s->heap, &s->heap_cap, s->heap_len + 1);
    i = s->heap_len++;
    while (i > 0 && s->heap[(i - 1) / 2].ts_ms > item.ts_ms) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = item;
    return TAMIS_OK;
}

static gen_pending pop_pending(gen_sim *s)
{
    gen_pending top = s->heap[0], last = s->heap[--s->heap_len];
    size_t i = 0, n = s->heap_len;

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && s->heap[c + 1].ts_ms < s->heap[c].ts_ms)
            c++;
        if (s->heap[c].ts_ms >= last.ts_ms)
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (n)
        s->heap[i] = last;
    return top;
}

static int64_t exp_delay_ms(gen_rng *r, double mean_ms)
{
    return 1000 + (int64_t)(-log(1.0 - gen_unit(r)) * mean_ms);
}

/* What follows an event that was just written: its follow-up, if any. */
static int follow_up(gen_sim *s, const gen_pending *ev, tamis_error *err)
{
    static const double read_factor[3] = {0.8, 0.9, 1.1};
    static const double click_p[3] = {0.18, 0.10, 0.06}, reply_p[3] = {0.03, 0.02, 0.12};
    const gen_campaign *c = &s->camps[ev->campaign];
    const gen_user *x = &s->pop->users[ev->user];
    gen_pending next = *ev;
    double roll = gen_unit(&s->rng);
    uint32_t day = (uint32_t)((ev->ts_ms - s->start_ms) / 86400000);

    next.reason = GEN_NONE8;
    switch (ev->kind) {
    case TAMIS_KIND_DELIVERED:
        if (roll >= x->respond / 255.0 * read_factor[c->ctype] * gen_sim_life(gen_life_pack(x), day))
            return TAMIS_OK;
        next.kind = TAMIS_KIND_READ;
        next.ts_ms += exp_delay_ms(&s->rng, gen_below(&s->rng, 10) < 6 ? 600000.0 : 18000000.0);
        break;
    case TAMIS_KIND_READ:
        if (roll < click_p[c->ctype]) {
            next.kind = TAMIS_KIND_CLICK;
            next.ts_ms += 5000 + gen_below(&s->rng, 115000);
        } else if (roll < click_p[c->ctype] + reply_p[c->ctype]) {
            next.kind = TAMIS_KIND_REPLY;
            next.ts_ms += 60000 + gen_below(&s->rng, 1740000);
        } else {
            return TAMIS_OK;
        }
        break;
    case TAMIS_KIND_CLICK:
        if (roll >= 0.06)
            return TAMIS_OK;
        next.kind = TAMIS_KIND_PURCHASE;
        next.ts_ms += 300000 + gen_below(&s->rng, 3300000);
        break;
    default:
        return TAMIS_OK; /* failed, reply, purchase: the end of the chain */
    }
    return push_pending(s, next, err);
}

static void emit_campaign_event(gen_sim *s, const gen_pending *ev)
{
    const gen_campaign *c = &s->camps[ev->campaign];
    const gen_user *x = &s->pop->users[ev->user];
    bool has_id = x->platforms >> c->platform & 1;
    gen_event e;

    gen_sim_event_init(s, &e, ev->user, ev->ts_ms);
    e.kind = ev->kind;
    e.platform = c->platform;
    e.campaign = ev->campaign + 1u;
    e.ctype = c->ctype;
    e.reason = ev->kind == TAMIS_KIND_FAILED ? ev->reason : GEN_NONE8;
    switch (ev->kind) {
    case TAMIS_KIND_OUTBOUND_SENT:
        e.key = has_id && gen_below(&s->rng, 10) < 4 ? GEN_KEY_BOTH : GEN_KEY_USER;
        break;
    case TAMIS_KIND_CLICK:
        e.key = GEN_KEY_USER;
        if (gen_below(&s->rng, 10) < 3)
            e.device = gen_pop_device(s->pop, ev->user, 0);
        break;
    case TAMIS_KIND_PURCHASE:
        e.key = GEN_KEY_USER;
        e.platform = gen_below(&s->rng, 2) ? GEN_P_WEB : GEN_P_APP;
        e.value_cents = 500 + gen_below(&s->rng, 20000);
        break;
    default: /* receipts and replies: webhooks know the platform id */
        e.key = has_id && gen_below(&s->rng, 100) < 45 ? GEN_KEY_PLATFORM : GEN_KEY_USER;
        break;
    }
    gen_sim_emit(s, &e);
}

/* Sends of every campaign falling before until_ms, with their delivery outcome. */
static int campaign_sends(gen_sim *s, int64_t until_ms, tamis_error *err)
{
    for (uint32_t k = 0; k < s->n_camps; k++) {
        gen_campaign *c = &s->camps[k];
        while (c->next < c->sends) {
            int64_t t = c->start_ms + (int64_t)c->next * c->duration_ms / c->sends;
            uint32_t u = s->targets[c->list_start + (uint32_t)(((uint64_t)c->step * c->next + c->offset) % c->list_len)];
            const gen_user *x = &s->pop->users[u];
            gen_pending ev = {t, u, (uint16_t)k, TAMIS_KIND_OUTBOUND_SENT, GEN_NONE8};
            int rc;
            if (t >= until_ms)
                break;
            c->next++;
            if (s->ustate[u] & GEN_US_OPTED_OUT)
                continue; /* consent honoured: no send at all */
            emit_campaign_event(s, &ev);
            ev.ts_ms = t + 1000 + gen_below(&s->rng, 19000);
            ev.kind = TAMIS_KIND_FAILED;
            if (c->platform == GEN_P_WHATSAPP && !(x->platforms >> GEN_P_WHATSAPP & 1))
                ev.reason = x->flags & GEN_U_PHONE_BAD ? GEN_REASON_INVALID_NUMBER : GEN_REASON_NOT_ON_PLATFORM;
            else if (x->flags & GEN_U_ZOMBIE)
                ev.reason = GEN_REASON_NOT_ON_PLATFORM;
            else if (s->ustate[u] & GEN_US_BLOCKED)
                ev.reason = GEN_REASON_BLOCKED;
            else if (gen_below(&s->rng, 1000000) < RATE_LIMITED_PPM)
                ev.reason = GEN_REASON_RATE_LIMITED;
            else
                ev.kind = TAMIS_KIND_DELIVERED;
            if ((rc = push_pending(s, ev, err)) != TAMIS_OK)
                return rc;
        }
    }
    return TAMIS_OK;
}

/* ------------------------------------------------------------------ interface */

void gen_outreach_build(gen_sim *s)
{
    s->ustate = tamis_calloc(s->pop->n_users, 1);
    s->farm_tick = tamis_calloc(s->pop->n_farms ? s->pop->n_farms : 1, sizeof *s->farm_tick);
    s->farm_member = tamis_calloc(s->pop->n_farms ? s->pop->n_farms : 1, sizeof *s->farm_member);
    s->stats->farms = s->pop->n_farms;
    for (uint32_t f = 0; f < s->pop->n_farms; f++)
        s->stats->farm_accounts += s->pop->farms[f].members;
    build_oneoffs(s);
    build_campaigns(s);
}

void gen_outreach_free(gen_sim *s)
{
    tamis_free(s->ustate);
    tamis_free(s->farm_tick);
    tamis_free(s->farm_member);
    tamis_free(s->oneoffs);
    tamis_free(s->oneoff_start);
    tamis_free(s->targets);
    tamis_free(s->camps);
    tamis_free(s->heap);
}

int gen_outreach_slice(gen_sim *s, uint32_t slice, tamis_error *err)
{
    int64_t until_ms = s->start_ms + (int64_t)(slice + 1) * GEN_SLICE_MS;

    for (uint32_t i = s->oneoff_start[slice]; i < s->oneoff_start[slice + 1]; i++)
        emit_oneoff(s, &s->oneoffs[i]);
    farm_ticks(s, until_ms);
    return campaign_sends(s, until_ms, err);
}

int gen_outreach_drain(gen_sim *s, int64_t until_ms, tamis_error *err)
{
    while (s->heap_len && s->heap[0].ts_ms < until_ms) {
        gen_pending ev = pop_pending(s);
        int rc;
        emit_campaign_event(s, &ev);
        if ((rc = follow_up(s, &ev, err)) != TAMIS_OK)
            return rc;
    }
    return TAMIS_OK;
}
