/* simulate.c — the time loop of the event simulation and the organic activity.
 *
 * Organic events (online, message_sent, view, ...) are drawn slice by slice. How many
 * fall in a slice follows the volume curve: the sum over users of weight x lifecycle
 * factor x diurnal curve, computed per diurnal class so that it costs O(classes) per
 * slice and not O(users). Which user makes one is drawn in two steps: a class, from an
 * alias table over the classes' weights in this slice, then a user of that class from
 * its alias table over weights, with rejection for its lifecycle (cold users fade,
 * warm ones start late). Both draws are O(1), so the cost per event is a handful of
 * random numbers and the formatting. The exact line count: the slices' targets are
 * the rounded cumulative curve, and the last slice is filled up to the count asked.
 * See sim.h for the order of lines inside a slice. */
#include <math.h>
#include <string.h>

#include "gen/sim.h"
#include "tamis/alloc.h"

#define DUP_PER_MILLION 5000      /* 0.5% of lines repeat an earlier line exactly */
#define ID_PER_MILLION 700000     /* 70% of lines carry an id */
#define LIFE_TRIES 32             /* rejection rounds before taking a user anyway */
#define PROGRESS_EVERY 65536      /* lines between progress updates */
#define PICK_BATCH 16             /* users drawn (and prefetched) together */

/* Kind mix per persona, in 1/10000. */
typedef struct kind_weight {
    uint8_t kind;
    uint16_t weight;
} kind_weight;

static const kind_weight persona_mix[GEN_PERSONA__COUNT][12] = {
    [GEN_PERSONA_LURKER] = {{TAMIS_KIND_ONLINE, 6170}, {TAMIS_KIND_VIEW, 1800},
                            {TAMIS_KIND_MESSAGE_SENT, 600}, {TAMIS_KIND_CONVERSATION_OPEN, 500},
                            {TAMIS_KIND_READ, 450}, {TAMIS_KIND_CLICK, 200},
                            {TAMIS_KIND_GROUP_JOIN, 120}, {TAMIS_KIND_GROUP_LEAVE, 50},
                            {TAMIS_KIND_PROFILE_UPDATE, 60}, {TAMIS_KIND_PURCHASE, 20},
                            {TAMIS_KIND_REPLY, 30}},
    [GEN_PERSONA_CHATTER] = {{TAMIS_KIND_ONLINE, 3650}, {TAMIS_KIND_MESSAGE_SENT, 3000},
                             {TAMIS_KIND_CONVERSATION_OPEN, 1400}, {TAMIS_KIND_VIEW, 800},
                             {TAMIS_KIND_READ, 500}, {TAMIS_KIND_REPLY, 200},
                             {TAMIS_KIND_CLICK, 100}, {TAMIS_KIND_GROUP_JOIN, 150},
                             {TAMIS_KIND_GROUP_LEAVE, 50}, {TAMIS_KIND_PROFILE_UPDATE, 120},
                             {TAMIS_KIND_PURCHASE, 30}},
    [GEN_PERSONA_COMMUNITY] = {{TAMIS_KIND_ONLINE, 3170}, {TAMIS_KIND_MESSAGE_SENT, 3000},
                               {TAMIS_KIND_GROUP_JOIN, 500}, {TAMIS_KIND_GROUP_LEAVE, 150},
                               {TAMIS_KIND_CONVERSATION_OPEN, 800}, {TAMIS_KIND_VIEW, 1200},
                               {TAMIS_KIND_READ, 600}, {TAMIS_KIND_REPLY, 200},
                               {TAMIS_KIND_PROFILE_UPDATE, 150}, {TAMIS_KIND_CLICK, 200},
                               {TAMIS_KIND_PURCHASE, 30}},
    [GEN_PERSONA_BUYER] = {{TAMIS_KIND_ONLINE, 3820}, {TAMIS_KIND_VIEW, 2800},
                           {TAMIS_KIND_CLICK, 800}, {TAMIS_KIND_PURCHASE, 250},
                           {TAMIS_KIND_MESSAGE_SENT, 800}, {TAMIS_KIND_CONVERSATION_OPEN, 800},
                           {TAMIS_KIND_READ, 400}, {TAMIS_KIND_REPLY, 100},
                           {TAMIS_KIND_PROFILE_UPDATE, 100}, {TAMIS_KIND_GROUP_JOIN, 100},
                           {TAMIS_KIND_GROUP_LEAVE, 30}},
};

/* ------------------------------------------------------------------ emitting */

static uint64_t bad_position(const gen_sim *s, uint64_t j)
{
    return (uint64_t)(((double)j + 0.5) * (double)s->o->events / (double)s->bad_regular);
}

/* Malformed lines are spread evenly: the j-th goes after good line bad_position(j). */
static void write_due_bad_lines(gen_sim *s)
{
    while (s->bad_done < s->bad_regular && bad_position(s, s->bad_done) <= s->stats->events) {
        gen_writer_bad(s->w, &s->last, (int)(s->bad_done % GEN_BAD__CYCLE));
        s->bad_done++;
    }
}

static void after_line(gen_sim *s)
{
    write_due_bad_lines(s);
    if (s->o->progress && s->stats->events % PROGRESS_EVERY == 0)
        tamis_progress_update(s->o->progress, s->stats->events, s->stats->events);
}

bool gen_sim_emit(gen_sim *s, const gen_event *e)
{
    uint64_t r;

    if (s->stats->events >= s->o->events)
        return false;
    r = gen_next(&s->rng);
    gen_writer_event(s->w, e, (r & 7) == 0);
    s->last = *e;
    after_line(s);
    if (gen_below_h(r, 1000000u) < DUP_PER_MILLION && s->stats->events < s->o->events &&
        gen_writer_duplicate(s->w, (uint32_t)(r >> 3)))
        after_line(s);
    return true;
}

void gen_sim_event_init(gen_sim *s, gen_event *e, uint32_t u, int64_t ts_ms)
{
    uint64_t r = gen_next(&s->rng);
    uint32_t form = (uint32_t)(r & 1023);

    memset(e, 0, sizeof *e);
    e->ts_ms = ts_ms;
    e->user = u;
    e->value_cents = -1;
    e->platform = GEN_P_NONE;
    e->ctype = e->reason = e->field = GEN_NONE8;
    /* 78% unix seconds, 2% decimal seconds, 12% unix ms, 5% ISO Z, 3% ISO offset */
    e->ts_form = form < 799   ? GEN_TS_UNIX
                 : form < 819 ? GEN_TS_UNIX_FRAC
                 : form < 942 ? GEN_TS_UNIX_MS
                 : form < 993 ? GEN_TS_ISO_Z
                              : GEN_TS_ISO_OFFSET;
    e->with_id = gen_below_h(r, 1000000u) < ID_PER_MILLION;
    e->with_country = ((r >> 10) & 15) < 2; /* 12.5% */
}

float gen_sim_life(uint16_t life, uint32_t day)
{
    uint32_t d = life & 0x3fffu;

    switch (life >> 14) {
    case GEN_LIFE_COLD:
        return day < d ? 1.0f : day < d + 7u ? 0.3f : 0.01f;
    case GEN_LIFE_WARM:
        return day < d ? 0.0f : day < d + 7u ? 0.25f : day < d + 14u ? 0.6f : 1.0f;
    default:
        return 1.0f;
    }
}

/* ------------------------------------------------------------------ tables */

/* Diurnal curve of each class over the 96 UTC quarter-hours: a main peak at the
 * class's hour, its spread, a smaller bump ~9 hours away, and a floor at night. */
static void build_diurnal(gen_sim *s)
{
    static const double sigma_h[GEN_SPREADS] = {1.25, 2.0, 3.25};

    for (int c = 0; c < GEN_CLASSES; c++) {
        double peak_h = (c / GEN_SPREADS) * 0.5 + 0.25, sg = sigma_h[c % GEN_SPREADS];
        for (int q = 0; q < GEN_SLICES_PER_DAY; q++) {
            double d = fabs(q * 0.25 + 0.125 - peak_h);
            if (d > 12)
                d = 24 - d;
            s->dtab[c][q] = (float)(0.03 + exp(-0.5 * (d / sg) * (d / sg)) +
                                    0.25 * exp(-0.5 * ((d - 9) / 2.5) * ((d - 9) / 2.5)));
        }
    }
}

static void add_range(double *cd, uint32_t days, uint32_t from, uint32_t c, double w)
{
    if (from < days)
        cd[(size_t)from * GEN_CLASSES + c] += w;
}

/* Per day and class: the sum of weight x lifecycle factor, via difference arrays. */
static void build_class_days(gen_sim *s)
{
    const gen_pop *p = s->pop;
    uint32_t days = s->days;
    double *cd = tamis_calloc((size_t)days * GEN_CLASSES, sizeof *cd);

    for (uint32_t u = 0; u < p->n_users; u++) {
        const gen_user *x = &p->users[u];
        double w = x->weight;
        uint32_t c = x->dclass, d = x->life_day;
        if (w <= 0)
            continue;
        if (x->lifecycle == GEN_LIFE_COLD) {
            add_range(cd, days, 0, c, w);
            add_range(cd, days, d, c, (0.3 - 1.0) * w);
            add_range(cd, days, d + 7, c, (0.01 - 0.3) * w);
        } else if (x->lifecycle == GEN_LIFE_WARM) {
            add_range(cd, days, d, c, 0.25 * w);
            add_range(cd, days, d + 7, c, (0.6 - 0.25) * w);
            add_range(cd, days, d + 14, c, (1.0 - 0.6) * w);
        } else {
            add_range(cd, days, 0, c, w);
        }
    }
    for (uint32_t d = 1; d < days; d++)
        for (uint32_t c = 0; c < GEN_CLASSES; c++)
            cd[(size_t)d * GEN_CLASSES + c] += cd[(size_t)(d - 1) * GEN_CLASSES + c];
    for (size_t i = 0; i < (size_t)days * GEN_CLASSES; i++)
        if (cd[i] < 1e-9)
            cd[i] = 0; /* rounding residue of users that faded out entirely */
    s->class_day = cd;
}

/* Vose's alias method over w[0..n): thr/to are written for positions base..base+n. */
static void build_alias(const double *w, uint32_t n, uint32_t base, uint32_t *thr, uint32_t *to,
                        uint32_t *small, uint32_t *large, double *q)
{
    double total = 0;
    uint32_t ns = 0, nl = 0;

    for (uint32_t i = 0; i < n; i++)
        total += w[i];
    for (uint32_t i = 0; i < n; i++) {
        q[i] = total > 0 ? w[i] * n / total : 1.0;
        if (q[i] < 1.0)
            small[ns++] = i;
        else
            large[nl++] = i;
    }
    while (ns && nl) {
        uint32_t a = small[--ns], b = large[--nl];
        thr[base + a] = (uint32_t)(q[a] * 4294967296.0);
        to[base + a] = base + b;
        q[b] = q[b] + q[a] - 1.0;
        if (q[b] < 1.0)
            small[ns++] = b;
        else
            large[nl++] = b;
    }
    while (nl) {
        uint32_t b = large[--nl];
        thr[base + b] = UINT32_MAX;
        to[base + b] = base + b;
    }
    while (ns) { /* only by rounding: q was ~1 */
        uint32_t a = small[--ns];
        thr[base + a] = UINT32_MAX;
        to[base + a] = base + a;
    }
}

static void build_user_alias(gen_sim *s)
{
    const gen_pop *p = s->pop;
    uint32_t count[GEN_CLASSES] = {0}, fill[GEN_CLASSES], n = 0, biggest = 0;
    uint32_t *small, *large, *users, *thr, *to;
    double *w, *q;

    for (uint32_t u = 0; u < p->n_users; u++)
        if (p->users[u].weight > 0)
            count[p->users[u].dclass]++;
    for (int c = 0; c < GEN_CLASSES; c++) {
        s->class_start[c] = n;
        fill[c] = n;
        n += count[c];
        if (count[c] > biggest)
            biggest = count[c];
    }
    s->class_start[GEN_CLASSES] = n;
    users = tamis_malloc((size_t)(n ? n : 1) * sizeof *users);
    thr = tamis_malloc((size_t)(n ? n : 1) * sizeof *thr);
    to = tamis_malloc((size_t)(n ? n : 1) * sizeof *to);
    for (uint32_t u = 0; u < p->n_users; u++)
        if (p->users[u].weight > 0)
            users[fill[p->users[u].dclass]++] = u;

    small = tamis_malloc((size_t)(biggest + 1) * sizeof *small);
    large = tamis_malloc((size_t)(biggest + 1) * sizeof *large);
    w = tamis_malloc((size_t)(biggest + 1) * sizeof *w);
    q = tamis_malloc((size_t)(biggest + 1) * sizeof *q);
    for (int c = 0; c < GEN_CLASSES; c++) {
        uint32_t b = s->class_start[c];
        for (uint32_t i = 0; i < count[c]; i++)
            w[i] = p->users[users[b + i]].weight;
        build_alias(w, count[c], b, thr, to, small, large, q);
    }
    s->slots = tamis_malloc((size_t)(n ? n : 1) * sizeof *s->slots);
    for (uint32_t i = 0; i < n; i++) {
        gen_slot *slot = &s->slots[i];
        slot->thr = thr[i];
        slot->user = users[i];
        slot->alias_user = users[to[i]];
        slot->life = gen_life_pack(&p->users[users[i]]);
        slot->alias_life = gen_life_pack(&p->users[users[to[i]]]);
    }
    tamis_free(small);
    tamis_free(large);
    tamis_free(w);
    tamis_free(q);
    tamis_free(users);
    tamis_free(thr);
    tamis_free(to);
}

static uint32_t utc_quarter(int64_t ms)
{
    return (uint32_t)((ms / GEN_SLICE_MS) % GEN_SLICES_PER_DAY);
}

static double week_factor(int64_t ms)
{
    int64_t dow = (ms / 86400000 + 4) % 7; /* 1970-01-01 was a Thursday; 0 = Sunday */
    return dow == 0 || dow == 6 ? 0.88 : 1.0;
}

static double class_weight(const gen_sim *s, uint32_t slice, int c)
{
    int64_t s0 = s->start_ms + (int64_t)slice * GEN_SLICE_MS;
    uint32_t day = slice / GEN_SLICES_PER_DAY;
    return s->class_day[(size_t)day * GEN_CLASSES + c] * s->dtab[c][utc_quarter(s0)];
}

/* Cumulative organic volume over the slices, for the per-slice line targets. */
static void build_volume(gen_sim *s)
{
    s->cum = tamis_malloc(((size_t)s->n_slices + 1) * sizeof *s->cum);
    s->cum[0] = 0;
    for (uint32_t i = 0; i < s->n_slices; i++) {
        double v = 0;
        for (int c = 0; c < GEN_CLASSES; c++)
            v += class_weight(s, i, c);
        s->cum[i + 1] = s->cum[i] + v * week_factor(s->start_ms + (int64_t)i * GEN_SLICE_MS);
    }
    if (s->cum[s->n_slices] <= 0) /* nobody active at all: spread evenly */
        for (uint32_t i = 0; i <= s->n_slices; i++)
            s->cum[i] = i;
}

static void build_kind_tables(gen_sim *s)
{
    for (int p = 0; p < GEN_PERSONA__COUNT; p++) {
        uint32_t total = 0, acc = 0, k = 0;
        for (int i = 0; i < 12 && persona_mix[p][i].weight; i++)
            total += persona_mix[p][i].weight;
        for (uint32_t slot = 0; slot < GEN_KIND_TABLE; slot++) {
            uint64_t want = ((uint64_t)slot * 2 + 1) * total / (2 * GEN_KIND_TABLE);
            while (acc + persona_mix[p][k].weight <= want && persona_mix[p][k + 1].weight)
                acc += persona_mix[p][k++].weight;
            s->kind_table[p][slot] = persona_mix[p][k].kind;
        }
    }
}

/* ------------------------------------------------------------------ organic events */

static int random_platform_of(gen_rng *r, uint8_t set)
{
    int n = 0, pick;
    for (int i = 0; i < GEN_P_CONTACT_COUNT; i++)
        n += (set >> i) & 1;
    if (!n)
        return GEN_P_NONE;
    pick = (int)gen_below(r, (uint32_t)n);
    for (int i = 0; i < GEN_P_CONTACT_COUNT; i++)
        if (((set >> i) & 1) && pick-- == 0)
            return i;
    return GEN_P_NONE;
}

/* A slot position: a class from this slice's class alias, then a position in it. */
static uint32_t draw_slot(gen_sim *s, uint32_t *coin)
{
    uint64_t r = gen_next(&s->rng);
    uint32_t idx = (uint32_t)(((r & 0xffffffffu) * GEN_CLASSES) >> 32), c, b, n;

    c = (uint32_t)(r >> 32) < s->cls_thr[idx] ? idx : s->cls_to[idx];
    b = s->class_start[c];
    n = s->class_start[c + 1] - b;
    r = gen_next(&s->rng);
    *coin = (uint32_t)(r >> 32);
    if (n == 0) /* a weightless class picked through alias rounding */
        return (uint32_t)(((r & 0xffffffffu) * s->class_start[GEN_CLASSES]) >> 32);
    return b + (uint32_t)(((r & 0xffffffffu) * n) >> 32);
}

/* The user of a drawn slot, if its lifecycle accepts it today; else redraws. */
static uint32_t resolve_slot(gen_sim *s, uint32_t pos, uint32_t coin, uint32_t day)
{
    for (int tries = 0;; tries++) {
        const gen_slot *slot = &s->slots[pos];
        bool keep = coin < slot->thr || slot->thr == UINT32_MAX;
        uint32_t u = keep ? slot->user : slot->alias_user;
        float life = gen_sim_life(keep ? slot->life : slot->alias_life, day);
        if (life >= 1.0f || tries + 1 >= LIFE_TRIES || gen_unit(&s->rng) < life)
            return u;
        pos = draw_slot(s, &coin);
    }
}

static int64_t purchase_cents(gen_rng *r)
{
    double u1 = 1.0 - gen_unit(r), u2 = gen_unit(r);
    double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    double dollars = exp(3.2 + 0.9 * z);
    int64_t cents = (int64_t)(dollars * 100);

    if (cents < 99)
        cents = 99;
    if (cents > 9999900)
        cents = 9999900;
    switch (gen_below(r, 4)) {
    case 0: return cents / 100 * 100;       /* whole: 25 */
    case 1: return cents / 100 * 100 + 99;  /* 24.99 */
    default: return cents;
    }
}

/* Who the line names: mostly the user key; on a platform where the user has an id,
 * sometimes only platform + platform_id (what a webhook or a bot sees), rarely both. */
static void choose_key(gen_sim *s, gen_event *e, const gen_user *x)
{
    uint32_t r = gen_below(&s->rng, 1000);

    if (e->platform < GEN_P_CONTACT_COUNT && (x->platforms >> e->platform & 1)) {
        e->key = r < 230 ? GEN_KEY_PLATFORM : r < 280 ? GEN_KEY_BOTH : GEN_KEY_USER;
    } else if (r < 2 && e->kind != TAMIS_KIND_PURCHASE) {
        /* an id no contact row has: a user the operator never imported */
        e->platform = (uint8_t)(r ? GEN_P_TELEGRAM : GEN_P_LINE);
        e->key = GEN_KEY_UNKNOWN;
        e->unknown_key = gen_scramble32(s->pop->n_users + gen_below(&s->rng, 1000),
                                        s->pop->scramble_key);
    } else {
        e->key = GEN_KEY_USER;
    }
}

static void organic_event(gen_sim *s, int64_t s0, uint32_t u)
{
    const gen_user *x = &s->pop->users[u];
    gen_event e;
    uint64_t r;
    uint32_t pr;

    gen_sim_event_init(s, &e, u, s0 + gen_below(&s->rng, GEN_SLICE_MS));
    r = gen_next(&s->rng);
    e.kind = s->kind_table[x->persona][r >> 52];
    pr = gen_below(&s->rng, 100); /* not from r: the platform must not follow the kind */
    switch (e.kind) {
    case TAMIS_KIND_GROUP_JOIN:
    case TAMIS_KIND_GROUP_LEAVE: {
        int pl = random_platform_of(&s->rng, x->platforms & ~(1u << GEN_P_WHATSAPP));
        e.platform = (uint8_t)(pl == GEN_P_NONE ? GEN_P_APP : pl);
        e.group = 1 + (uint32_t)(gen_hash(s->pop->seed, u, 77 + gen_below(&s->rng, 3)) % s->pop->n_groups);
        break;
    }
    case TAMIS_KIND_PURCHASE:
        e.platform = pr < 60 ? GEN_P_APP : GEN_P_WEB;
        e.value_cents = purchase_cents(&s->rng);
        break;
    default: {
        int pl = pr < 35 ? GEN_P_APP : pr < 47 ? GEN_P_WEB : random_platform_of(&s->rng, x->platforms);
        e.platform = (uint8_t)(pl == GEN_P_NONE ? GEN_P_APP : pl);
        if (e.kind == TAMIS_KIND_PROFILE_UPDATE)
            e.field = (uint8_t)gen_below(&s->rng, 3);
        if (e.kind == TAMIS_KIND_MESSAGE_SENT && x->persona == GEN_PERSONA_COMMUNITY &&
            e.platform < GEN_P_CONTACT_COUNT && gen_below(&s->rng, 10) < 4)
            e.group = 1 + (uint32_t)(gen_hash(s->pop->seed, u, 77 + gen_below(&s->rng, 3)) %
                                     s->pop->n_groups);
        break;
    }
    }
    if ((e.platform == GEN_P_APP || e.platform == GEN_P_WEB) ? pr % 3 == 0 : pr % 10 == 0)
        e.device = gen_pop_device(s->pop, u, gen_below(&s->rng, 5) == 0);
    choose_key(s, &e, x);
    gen_sim_emit(s, &e);
}

#if defined(__GNUC__)
#define GEN_PREFETCH(p) __builtin_prefetch(p)
#else
#define GEN_PREFETCH(p) ((void)(p))
#endif

/* n organic events in the slice starting at s0. Users are drawn PICK_BATCH at a time,
 * prefetching their slots and then their gen_user, so that the cache misses of a
 * batch overlap instead of queueing. */
static void organic_batch(gen_sim *s, int64_t s0, uint32_t day, uint32_t n)
{
    uint32_t pos[PICK_BATCH], coin[PICK_BATCH], users[PICK_BATCH];

    if (s->cls_total <= 0) { /* nobody has weight today: anyone */
        for (uint32_t i = 0; i < n; i++)
            organic_event(s, s0, gen_below(&s->rng, s->pop->n_users));
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        pos[i] = draw_slot(s, &coin[i]);
        GEN_PREFETCH(&s->slots[pos[i]]);
    }
    for (uint32_t i = 0; i < n; i++) {
        users[i] = resolve_slot(s, pos[i], coin[i], day);
        GEN_PREFETCH(&s->pop->users[users[i]]);
    }
    for (uint32_t i = 0; i < n; i++)
        organic_event(s, s0, users[i]);
}

/* Class alias for one slice: class weights of that day at that quarter-hour. */
static void slice_classes(gen_sim *s, uint32_t slice, double *w, uint32_t *small, uint32_t *large,
                          double *q)
{
    s->cls_total = 0;
    for (int c = 0; c < GEN_CLASSES; c++) {
        w[c] = class_weight(s, slice, c);
        s->cls_total += w[c];
    }
    build_alias(w, GEN_CLASSES, 0, s->cls_thr, s->cls_to, small, large, q);
}

/* ------------------------------------------------------------------ the loop */

static int run_slices(gen_sim *s, tamis_error *err)
{
    double w[GEN_CLASSES], q[GEN_CLASSES];
    uint32_t small[GEN_CLASSES], large[GEN_CLASSES];
    const double total = s->cum[s->n_slices];
    int rc;

    for (uint32_t i = 0; i < s->n_slices; i++) {
        int64_t s0 = s->start_ms + (int64_t)i * GEN_SLICE_MS;
        uint32_t day = i / GEN_SLICES_PER_DAY;
        uint64_t target = i + 1 == s->n_slices
                              ? s->o->events
                              : (uint64_t)((double)s->o->events * (s->cum[i + 1] / total));

        if ((rc = gen_outreach_slice(s, i, err)) != TAMIS_OK)
            return rc;
        if (s->stats->events < target) {
            slice_classes(s, i, w, small, large, q);
            while (s->stats->events < target) {
                uint64_t left = target - s->stats->events;
                organic_batch(s, s0, day, left < PICK_BATCH ? (uint32_t)left : PICK_BATCH);
            }
        }
        if ((rc = gen_outreach_drain(s, s0 + GEN_SLICE_MS, err)) != TAMIS_OK)
            return rc;
    }
    /* Follow-ups past the window's end are dropped; the count is exact already. */
    return TAMIS_OK;
}

int gen_simulate(const tamis_gen_options *o, const gen_pop *pop, gen_writer *w, tamis_error *err)
{
    gen_sim *s = tamis_calloc(1, sizeof *s);
    int rc;

    s->o = o;
    s->pop = pop;
    s->w = w;
    s->stats = w->stats;
    s->rng.state = gen_hash(pop->seed, 0x51u, 0xe7e47u);
    s->days = o->days;
    s->end_ms = o->end_ms;
    s->start_ms = o->end_ms - (int64_t)o->days * 86400000;
    s->n_slices = o->days * GEN_SLICES_PER_DAY;
    s->bad_final = o->bad_lines > GEN_BAD__CYCLE;
    s->bad_regular = o->bad_lines - (s->bad_final ? 1 : 0);
    gen_sim_event_init(s, &s->last, 0, s->start_ms);
    s->last.kind = TAMIS_KIND_ONLINE;
    s->last.platform = GEN_P_APP;

    build_diurnal(s);
    build_class_days(s);
    build_user_alias(s);
    build_volume(s);
    build_kind_tables(s);
    gen_outreach_build(s);

    write_due_bad_lines(s); /* with no good lines at all, they all go here */
    rc = run_slices(s, err);
    if (rc == TAMIS_OK) {
        while (s->bad_done < s->bad_regular)
            gen_writer_bad(s->w, &s->last, (int)(s->bad_done++ % GEN_BAD__CYCLE));
        if (s->bad_final)
            gen_writer_bad(s->w, &s->last, GEN_BAD_UNTERMINATED);
        if (s->stats->events != o->events)
            rc = tamis_error_set(err, TAMIS_EINTERNAL, "gen: wrote %llu event lines, not %llu",
                                 (unsigned long long)s->stats->events,
                                 (unsigned long long)o->events);
    }
    if (o->progress)
        tamis_progress_update(o->progress, s->stats->events, s->stats->events);

    gen_outreach_free(s);
    tamis_free(s->class_day);
    tamis_free(s->slots);
    tamis_free(s->cum);
    tamis_free(s);
    return rc;
}
