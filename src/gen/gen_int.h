/* gen_int.h — private declarations shared by the files of src/gen; no other module
 * includes it. The generator is split in these parts:
 *   countries.c   static tables: countries, zones, phone plans, names, platforms, and
 *                 the pure functions that turn a hash into a phone or a platform id;
 *   population.c  the users (O(users) memory) and the contacts CSV;
 *   writer.c      buffered output and the formatting of one event line (CSV/NDJSON),
 *                 malformed lines and exact duplicates;
 *   simulate.c    the time loop and organic activity (sim.h holds its state);
 *   outreach.c    consent one-offs, device farms, campaigns and their receipts;
 *   gen.c         tamis_gen_write: validates options, runs the parts in order.
 * Randomness comes from gen_rng values owned by the caller (no global state) or from
 * gen_hash of (seed, user, purpose) where a value must be recomputable. */
#ifndef TAMIS_GEN_INT_H
#define TAMIS_GEN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tamis/error.h"
#include "tamis/gen.h"

/* ------------------------------------------------------------------ randomness */

/* splitmix64: one 64-bit state, passes BigCrush, a few cycles per number. */
typedef struct gen_rng {
    uint64_t state;
} gen_rng;

static inline uint64_t gen_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static inline uint64_t gen_next(gen_rng *r)
{
    r->state += UINT64_C(0x9e3779b97f4a7c15);
    return gen_mix64(r->state);
}

/* A hash of up to three values, for per-user quantities that must be recomputable
 * (a user's phone is needed both in contacts.csv and for its whatsapp_id). */
static inline uint64_t gen_hash(uint64_t seed, uint64_t a, uint64_t b)
{
    return gen_mix64(seed ^ gen_mix64(a + UINT64_C(0x9e3779b97f4a7c15) * (b + 1)));
}

/* Uniform in [0, n) for n < 2^32 (Lemire's multiply-shift; bias < 2^-32). */
static inline uint32_t gen_below(gen_rng *r, uint32_t n)
{
    return (uint32_t)(((gen_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline uint32_t gen_below_h(uint64_t h, uint32_t n)
{
    return (uint32_t)(((h >> 32) * (uint64_t)n) >> 32);
}

/* Uniform double in [0, 1). */
static inline double gen_unit(gen_rng *r)
{
    return (double)(gen_next(r) >> 11) * 0x1.0p-53;
}

/* True with probability per_million / 1e6. */
static inline bool gen_chance(gen_rng *r, uint32_t per_million)
{
    return gen_below(r, 1000000u) < per_million;
}

/* A bijection of 32-bit values keyed by seed: unique platform ids per user index. */
static inline uint32_t gen_scramble32(uint32_t x, uint32_t key)
{
    x ^= key;
    x *= 0x9e3779b1u;
    x ^= x >> 16;
    x *= 0x85ebca6bu;
    x ^= x >> 13;
    x *= 0xc2b2ae35u;
    x ^= x >> 16;
    return x;
}

/* ------------------------------------------------------------------ static tables */

/* Platforms. The first GEN_P_CONTACT_COUNT have a `<name>_id` column in contacts.csv,
 * in this order; app and web are the operator's own channels (events only). */
enum {
    GEN_P_TELEGRAM,
    GEN_P_LINE,
    GEN_P_WHATSAPP,
    GEN_P_ZALO,
    GEN_P_MESSENGER,
    GEN_P_VIBER,
    GEN_P_WECHAT,
    GEN_P_QQ,
    GEN_P_CONTACT_COUNT,
    GEN_P_APP = GEN_P_CONTACT_COUNT,
    GEN_P_WEB,
    GEN_P__COUNT,
    GEN_P_NONE = 255
};

extern const char *const gen_platform_names[GEN_P__COUNT];

typedef struct gen_list {
    const char *const *v;
    uint32_t n;
} gen_list;

typedef struct gen_zone {
    const char *name;      /* IANA name */
    int16_t offset_min;    /* standard offset; the generator ignores DST */
    uint16_t weight;       /* share within the country */
    gen_list areas;        /* NANP area codes of the zone (US/CA), else empty */
    gen_list cities;
} gen_zone;

typedef struct gen_country {
    char code[3];
    uint16_t weight;          /* share of users, per 10000 */
    const char *cc;           /* country calling code, digits */
    const char *trunk;        /* national trunk prefix ("0", "8", "") */
    const char *national_fmt; /* grouped national form; 'N' = next NSN digit */
    const char *intl_fmt;     /* grouped international form */
    uint8_t nsn_len;          /* digits of the national significant number */
    uint8_t min_next;         /* smallest digit allowed right after the prefix */
    gen_list prefixes;        /* mobile prefixes of the NSN (empty for NANP) */
    const gen_zone *zones;
    uint8_t n_zones;
    uint8_t platform_pct[GEN_P_CONTACT_COUNT]; /* % of users with an id there */
    bool family_first;        /* "Nguyễn Văn An", "佐藤 花子" */
    gen_list given;           /* alternating male, female */
    gen_list family;
} gen_country;

extern const gen_country gen_countries[];
extern const uint32_t gen_n_countries;

#define GEN_NSN_MAX 16   /* digits of a national significant number, with margin */
#define GEN_PHONE_MAX 40 /* a formatted phone, with margin */
#define GEN_PID_MAX 40   /* a formatted platform id */

/* Phone styles as written in contacts.csv. */
enum { GEN_PHONE_E164, GEN_PHONE_INTL_GROUPED, GEN_PHONE_NATIONAL, GEN_PHONE_NATIONAL_GROUPED };

/* Writes the nsn_len digits of a valid mobile number of country c / zone z drawn from
 * h, NUL-terminated; returns the length. */
size_t gen_phone_nsn(const gen_country *c, const gen_zone *z, uint64_t h, char out[GEN_NSN_MAX]);

/* Formats nsn in one of the styles above; returns the length (< GEN_PHONE_MAX). */
size_t gen_phone_format(const gen_country *c, const char *nsn, int style, char out[GEN_PHONE_MAX]);

/* A malformed phone drawn from h (too short, letters, wrong prefix). */
size_t gen_phone_invalid(const gen_country *c, uint64_t h, char out[GEN_PHONE_MAX]);

/* The id of user key `scrambled` (a gen_scramble32 of its index) on a platform other
 * than WhatsApp, unique per platform and key. Returns the length. */
size_t gen_platform_id(int platform, uint32_t scrambled, char out[GEN_PID_MAX]);

/* ------------------------------------------------------------------ output */

#define GEN_OUT_BUF (1u << 20)   /* bytes buffered before an fwrite */
#define GEN_LINE_MAX 4096        /* longest line we ever format (bad lines included) */

typedef struct gen_out {
    FILE *f;        /* may be NULL: output discarded, lengths still counted */
    char *buf;
    size_t len;
    uint64_t bytes; /* total bytes written so far */
    bool failed;    /* a write failed; later writes are skipped */
} gen_out;

void gen_out_init(gen_out *o, FILE *f);
/* Writes the buffer out when fewer than GEN_LINE_MAX bytes are free. */
void gen_out_reserve(gen_out *o);
/* Writes everything out and fflush()es. TAMIS_EIO on failure. */
int gen_out_finish(gen_out *o, const char *what, tamis_error *err) TAMIS_WUR;
void gen_out_free(gen_out *o);

static inline void gen_out_mem(gen_out *o, const void *s, size_t n)
{
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static inline void gen_out_char(gen_out *o, char c)
{
    o->buf[o->len++] = c;
}

/* Decimal digits of v into out (no NUL); returns the count. */
static inline size_t gen_fmt_u64(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static inline void gen_out_u64(gen_out *o, uint64_t v)
{
    o->len += gen_fmt_u64(o->buf + o->len, v);
}

/* Zero-padded to width digits. */
static inline void gen_out_u64w(gen_out *o, uint64_t v, int width)
{
    char *p = o->buf + o->len;
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    o->len += (size_t)width;
}

/* ------------------------------------------------------------------ population */

/* Lifecycles: most users keep their level; some go cold, some warm up. */
enum { GEN_LIFE_STEADY, GEN_LIFE_COLD, GEN_LIFE_WARM };
/* Personas set the mix of kinds of a user's organic activity. */
enum { GEN_PERSONA_LURKER, GEN_PERSONA_CHATTER, GEN_PERSONA_COMMUNITY, GEN_PERSONA_BUYER,
       GEN_PERSONA__COUNT };

/* Diurnal classes: the UTC half-hour of the user's peak (48) x spread (3). */
#define GEN_SPREADS 3
#define GEN_CLASSES (48 * GEN_SPREADS)

enum {
    GEN_U_FARM = 1u << 0,      /* account on a shared device */
    GEN_U_ZOMBIE = 1u << 1,    /* registered on its platforms but undeliverable */
    GEN_U_PHONE_BAD = 1u << 2, /* phone blank or invalid */
    GEN_U_ASLEEP = 1u << 3     /* registered, no organic activity at all */
};

typedef struct gen_user {
    float weight;        /* organic activity weight (0 for asleep and farm accounts) */
    uint32_t phone_src;  /* user whose phone this one has (itself but for duplicates) */
    uint16_t life_day;   /* cold: first day of the taper; warm: first active day */
    int16_t offset_min;  /* UTC offset of the zone (or of the tz written) */
    uint16_t farm;       /* farm index + 1, or 0 */
    uint8_t country;
    uint8_t zone;
    uint8_t platforms;   /* bit set over the contact platforms */
    uint8_t lifecycle;
    uint8_t persona;
    uint8_t dclass;      /* diurnal class */
    uint8_t respond;     /* how readily it reads outbound messages, 0..255 */
    uint8_t flags;
} gen_user;

typedef struct gen_farm {
    uint32_t first_user; /* accounts first_user .. first_user + members - 1 */
    uint32_t members;
    int64_t created_ms;  /* first account created; the others every ~40 s after */
    int64_t first_tick_ms;
    int64_t period_ms;   /* machine-regular: every account acts once per period */
    uint64_t device;
    uint8_t platform;
} gen_farm;

typedef struct gen_pop {
    uint64_t seed;
    uint32_t n_users;
    int key_width;       /* digits after 'u' in user keys */
    gen_user *users;
    uint32_t n_farms;
    gen_farm *farms;
    uint32_t n_groups;   /* community groups g1..gN */
    uint32_t scramble_key;
} gen_pop;

/* Draws the population (users, farms) for the options; farm timing needs the window. */
void gen_pop_build(gen_pop *p, const tamis_gen_options *o);
void gen_pop_free(gen_pop *p);

/* Writes contacts.csv (header and one row per user) to out. */
void gen_pop_write_contacts(const gen_pop *p, gen_out *out);
/* truth.csv: see tamis_gen_write_truth. */
void gen_pop_write_truth(const gen_pop *p, const tamis_gen_options *o, gen_out *out);

/* WhatsApp id (country code and NSN digits) of user u; 0 if it has none. */
size_t gen_pop_whatsapp_id(const gen_pop *p, uint32_t u, char out[GEN_PID_MAX]);

/* Device token of user u's k-th device (k 0 or 1). */
static inline uint64_t gen_pop_device(const gen_pop *p, uint32_t u, uint32_t k)
{
    return gen_hash(p->seed, u, 0xde51ce00u + k) & UINT64_C(0xffffffffffff);
}

/* ------------------------------------------------------------------ events */

enum { GEN_TS_UNIX, GEN_TS_UNIX_FRAC, GEN_TS_UNIX_MS, GEN_TS_ISO_Z, GEN_TS_ISO_OFFSET };
/* How an event names its user. */
enum { GEN_KEY_USER, GEN_KEY_BOTH, GEN_KEY_PLATFORM, GEN_KEY_UNKNOWN };

extern const char *const gen_campaign_types[3];
extern const char *const gen_fail_reasons[4];
extern const char *const gen_profile_fields[3];
enum { GEN_REASON_INVALID_NUMBER, GEN_REASON_NOT_ON_PLATFORM, GEN_REASON_BLOCKED,
       GEN_REASON_RATE_LIMITED };

#define GEN_NONE8 255

/* One event before formatting. Zero values of the optional fields mean absent. */
typedef struct gen_event {
    int64_t ts_ms;
    uint32_t user;
    uint32_t group;       /* g<group>, 0 none */
    uint32_t campaign;    /* c<campaign>, 0 none */
    uint32_t unknown_key; /* GEN_KEY_UNKNOWN: scrambled key of a nonexistent user */
    uint64_t device;      /* d<12 hex>, 0 none */
    int64_t value_cents;  /* < 0 none */
    uint8_t kind;
    uint8_t platform;     /* GEN_P_NONE for none */
    uint8_t key;
    uint8_t ts_form;
    uint8_t ctype;        /* GEN_NONE8 or index in gen_campaign_types */
    uint8_t reason;       /* GEN_NONE8 or index in gen_fail_reasons */
    uint8_t field;        /* GEN_NONE8 or index in gen_profile_fields */
    bool with_country;
    bool with_id;
} gen_event;

/* Breakages of malformed lines, cycled; UNTERMINATED only ever ends the file. */
enum { GEN_BAD_FIELD_COUNT, GEN_BAD_TS, GEN_BAD_KIND, GEN_BAD_VALUE, GEN_BAD_NO_KEY,
       GEN_BAD_LONG_FIELD, GEN_BAD__CYCLE, GEN_BAD_UNTERMINATED = GEN_BAD__CYCLE };

#define GEN_DUP_SLOTS 32
#define GEN_DUP_LINE_MAX 512

/* Formats events into an output: the CSV/NDJSON choice, ids, duplicates, stats. */
typedef struct gen_writer {
    gen_out out;
    const gen_pop *pop;
    tamis_format format;
    uint64_t next_id;                 /* e<next_id> for the next event with an id */
    uint8_t kind_len[TAMIS_KIND__COUNT]; /* strlen of names, to spare strlen per line */
    uint8_t platform_len[GEN_P__COUNT];
    uint32_t dup_filled;
    uint16_t dup_len[GEN_DUP_SLOTS];
    uint8_t dup_kind[GEN_DUP_SLOTS];
    uint8_t dup_key[GEN_DUP_SLOTS];
    char dup_line[GEN_DUP_SLOTS][GEN_DUP_LINE_MAX];
    tamis_gen_stats *stats;
} gen_writer;

void gen_writer_init(gen_writer *w, FILE *f, const gen_pop *pop, tamis_format fmt,
                     tamis_gen_stats *stats);
void gen_writer_header(gen_writer *w);
/* Appends one well-formed line. When keep_for_dup, a copy is kept so that a later
 * gen_writer_duplicate can repeat it exactly. */
void gen_writer_event(gen_writer *w, const gen_event *e, bool keep_for_dup);
/* Repeats a kept line (pick chooses which); false if none is kept yet. */
bool gen_writer_duplicate(gen_writer *w, uint32_t pick);
/* Appends a malformed line of the given breakage, shaped like e. */
void gen_writer_bad(gen_writer *w, const gen_event *e, int breakage);

/* Runs the simulation and writes every event line through w. */
int gen_simulate(const tamis_gen_options *o, const gen_pop *pop, gen_writer *w,
                 tamis_error *err) TAMIS_WUR;

#endif
