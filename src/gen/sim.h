/* sim.h — state of one event simulation, shared by simulate.c (the time loop and
 * organic activity) and outreach.c (one-off consent events, device farms, outbound
 * campaigns and their delayed receipts). Private to src/gen.
 *
 * Time is cut into 15-minute slices. In each slice the simulation writes, in this
 * order: the one-off events that fall in it, the farm ticks, the campaign sends, then
 * as many organic events as the volume curve asks for, then the delayed follow-ups
 * (delivered, read, click, ...) that came due. Lines are therefore sorted by slice,
 * with at most one slice of disorder inside. */
#ifndef TAMIS_GEN_SIM_H
#define TAMIS_GEN_SIM_H

#include "gen/gen_int.h"

#define GEN_SLICE_MS (15 * 60 * 1000)
#define GEN_SLICES_PER_DAY 96
#define GEN_MAX_PENDING (1u << 26) /* delayed follow-ups waiting at once */
#define GEN_KIND_TABLE 4096        /* resolution of a persona's kind mix */

enum { GEN_US_OPTED_OUT = 1, GEN_US_BLOCKED = 2 }; /* gen_sim.ustate bits */

/* A follow-up due at ts_ms (min-heap on ts_ms). */
typedef struct gen_pending {
    int64_t ts_ms;
    uint32_t user;
    uint16_t campaign; /* index into camps */
    uint8_t kind;
    uint8_t reason;    /* for FAILED */
} gen_pending;

typedef struct gen_campaign {
    int64_t start_ms;
    int64_t duration_ms;
    uint32_t sends;      /* messages to send, to distinct targets */
    uint32_t next;       /* next send index */
    uint32_t list_start; /* targets[list_start .. list_start + list_len) */
    uint32_t list_len;
    uint32_t step;       /* target i = list[(step * i + offset) % list_len]: a permutation */
    uint32_t offset;
    uint8_t platform;
    uint8_t ctype;
} gen_campaign;

typedef struct gen_oneoff {
    uint32_t user;
    uint32_t sec;  /* seconds since the window's start */
    uint8_t kind;
} gen_oneoff;

/* One position of a class's alias table, packed so that drawing a user (and checking
 * its lifecycle) touches a single cache line: with a million users, memory latency,
 * not arithmetic, is the cost of an organic event. */
typedef struct gen_slot {
    uint32_t thr;        /* take `user` when rand32 < thr, else `alias_user` */
    uint32_t user;
    uint32_t alias_user;
    uint16_t life;       /* gen_life_pack of user */
    uint16_t alias_life; /* the same for alias_user */
} gen_slot;

typedef struct gen_sim {
    const tamis_gen_options *o;
    const gen_pop *pop;
    gen_writer *w;
    tamis_gen_stats *stats;
    gen_rng rng;
    int64_t start_ms, end_ms;
    uint32_t days, n_slices;

    /* malformed lines: bad_regular spread evenly, then maybe one unterminated last */
    uint64_t bad_regular, bad_done;
    bool bad_final;
    gen_event last; /* template for malformed lines */

    /* organic activity: per-class alias tables over users, daily class weights */
    float dtab[GEN_CLASSES][GEN_SLICES_PER_DAY];
    double *class_day;     /* (days) x GEN_CLASSES: sum of weight x lifecycle factor */
    uint32_t class_start[GEN_CLASSES + 1];
    gen_slot *slots;       /* users with weight > 0, grouped by class, with aliases */
    uint32_t cls_thr[GEN_CLASSES], cls_to[GEN_CLASSES];
    double cls_total;
    double *cum;           /* cumulative organic volume per slice, n_slices + 1 */
    uint8_t kind_table[GEN_PERSONA__COUNT][GEN_KIND_TABLE];

    /* outreach */
    uint8_t *ustate;       /* GEN_US_* per user */
    gen_pending *heap;
    size_t heap_len, heap_cap;
    gen_campaign *camps;
    uint32_t n_camps;
    uint32_t *targets;
    gen_oneoff *oneoffs;    /* grouped by slice */
    uint32_t *oneoff_start; /* n_slices + 1 */
    int64_t *farm_tick;     /* next tick index per farm */
    uint32_t *farm_member;  /* next member per farm */
} gen_sim;

/* Writes one good line (plus, sometimes, an exact duplicate of an earlier one, and
 * the malformed lines due at this point). Returns false, writing nothing, once the
 * requested number of good lines is reached. */
bool gen_sim_emit(gen_sim *s, const gen_event *e);

/* A fresh event for user u at ts_ms with the per-line choices drawn (ts form, id,
 * country); the caller fills kind, platform, key and the rest. */
void gen_sim_event_init(gen_sim *s, gen_event *e, uint32_t u, int64_t ts_ms);

/* A user's lifecycle in 16 bits: kind << 14 | life_day (days <= 3650 < 2^14). */
static inline uint16_t gen_life_pack(const gen_user *x)
{
    return (uint16_t)(x->lifecycle << 14 | x->life_day);
}

/* Lifecycle factor on day (0..1) of a packed lifecycle: how much of the weight
 * applies. Cold users fade to a trickle after life_day; warm ones ramp up from it. */
float gen_sim_life(uint16_t life, uint32_t day);

/* outreach.c */
void gen_outreach_build(gen_sim *s);
void gen_outreach_free(gen_sim *s);
/* Writes the one-offs, farm ticks and campaign sends of slice `slice`. */
int gen_outreach_slice(gen_sim *s, uint32_t slice, tamis_error *err) TAMIS_WUR;
/* Writes the follow-ups due before until_ms. */
int gen_outreach_drain(gen_sim *s, int64_t until_ms, tamis_error *err) TAMIS_WUR;

#endif
