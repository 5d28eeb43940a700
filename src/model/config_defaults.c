/* config_defaults.c — the shipped model configuration and the tables behind it (see
 * include/tamis/model_config.h and docs/CONFIG.md).
 *
 * Holds the names of dimensions, tiers and trends (from the X-macros of the header),
 * the one table of configuration keys that the loader (config.c) and the printer
 * (config_print.c) both walk, the compiled-in defaults that tamis_model_config_new
 * fills in, and the lookups the scorer calls per user (binary search over the sorted
 * platform and country tables). Every table here is static const: no global state. */
#include <stdlib.h>
#include <string.h>

#include "model/config_int.h"
#include "tamis/alloc.h"
#include "tamis/user_state.h"

/* ------------------------------------------------------------------------------------
 * Names
 * ---------------------------------------------------------------------------------- */

#define NAME_ROW(id, name) name,
static const char *const subscore_names[TAMIS_SUB__COUNT] = {TAMIS_SUBSCORES(NAME_ROW)};
static const char *const tier_names[TAMIS_TIER__COUNT] = {TAMIS_TIERS(NAME_ROW)};
#undef NAME_ROW
static const char *const trend_names[TAMIS_TREND__COUNT] = {"warming", "stable", "cooling"};

static const char *const section_names[CFG_SEC__COUNT] = {
    [CFG_SEC_NONE] = "",
    [CFG_SEC_SCORE] = "score",
    [CFG_SEC_TIERS] = "tiers",
    [CFG_SEC_TREND] = "trend",
    [CFG_SEC_CADENCE] = "cadence",
    [CFG_SEC_RISK] = "risk",
    [CFG_SEC_REACHABILITY] = "reachability",
    [CFG_SEC_DEFAULTS] = "defaults",
    [CFG_SEC_PLATFORM] = "platform",
    [CFG_SEC_COUNTRY] = "country",
};

const char *tamis_subscore_name(int sub)
{
    return sub >= 0 && sub < TAMIS_SUB__COUNT ? subscore_names[sub] : "?";
}

const char *tamis_tier_name(int tier)
{
    return tier >= 0 && tier < TAMIS_TIER__COUNT ? tier_names[tier] : "?";
}

const char *tamis_trend_name(int trend)
{
    return trend >= 0 && trend < TAMIS_TREND__COUNT ? trend_names[trend] : "?";
}

static int index_of(const char *const *names, int n, const char *name, size_t len)
{
    if (!name)
        return -1;
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return i;
    return -1;
}

int tamis_tier_from_name(const char *name, size_t len)
{
    return index_of(tier_names, TAMIS_TIER__COUNT, name, len);
}

int tamis_subscore_from_name(const char *name, size_t len)
{
    return index_of(subscore_names, TAMIS_SUB__COUNT, name, len);
}

const char *cfg_section_name(cfg_section s)
{
    return s < CFG_SEC__COUNT ? section_names[s] : "?";
}

/* ------------------------------------------------------------------------------------
 * The key table: what each section holds, its type and its range
 * ---------------------------------------------------------------------------------- */

/* One row per line: clang-format cannot lay out X-macro rows, so it is kept off. */
/* clang-format off */
#define CFG_AT(member) offsetof(tamis_model_config, member)
#define PLATFORM_AT(member) offsetof(tamis_platform_rules, member)
#define COUNTRY_AT(member) offsetof(tamis_country_rules, member)
#define CFG_MAX_COUNT 1000000 /* counts of events or accounts: beyond is a typo */

#define NUMBER_ROW(sec, key, kind, member, lo, hi) \
    {.section = (sec), .name = (key), .type = (kind), .offset = (member), .min = (lo), .max = (hi)},
#define LIST_ROW(sec, key, member, count, items, items_name) \
    {.section = (sec), .name = (key), .type = CFG_NAMES, .offset = (member), .aux = (count), \
     .cap = (items), .cap_name = (items_name)},
#define BASE_WEIGHT_ROW(id, dim) \
    NUMBER_ROW(CFG_SEC_SCORE, "weight." dim, CFG_DOUBLE, CFG_AT(weights.w[TAMIS_SUB_##id]), 0, CFG_WEIGHT_MAX)
#define CADENCE_ROW(id, tier) \
    NUMBER_ROW(CFG_SEC_CADENCE, tier, CFG_U32, CFG_AT(cadence_days[TAMIS_TIER_##id]), 0, CFG_CADENCE_MAX_DAYS)
#define PLATFORM_WEIGHT_ROW(id, dim) \
    {.section = CFG_SEC_PLATFORM, .name = "weight." dim, .type = CFG_WEIGHT_OPT, \
     .offset = PLATFORM_AT(weights), .aux = TAMIS_SUB_##id, .min = 0, .max = CFG_WEIGHT_MAX},
#define COUNTRY_WEIGHT_ROW(id, dim) \
    {.section = CFG_SEC_COUNTRY, .name = "weight." dim, .type = CFG_WEIGHT_OPT, \
     .offset = COUNTRY_AT(weights), .aux = TAMIS_SUB_##id, .min = 0, .max = CFG_WEIGHT_MAX},

const cfg_key cfg_keys[] = {
    TAMIS_SUBSCORES(BASE_WEIGHT_ROW)
    NUMBER_ROW(CFG_SEC_SCORE, "risk_penalty", CFG_DOUBLE, CFG_AT(risk_penalty), 0, 1)
    NUMBER_ROW(CFG_SEC_SCORE, "unreachable_cap", CFG_DOUBLE, CFG_AT(unreachable_cap), 0, 100)

    /* only the newest TAMIS_FAILURES_PER_PLATFORM failures of a platform are stored */
    NUMBER_ROW(CFG_SEC_TIERS, "unreachable_failures", CFG_U32, CFG_AT(unreachable_failures),
               1, TAMIS_FAILURES_PER_PLATFORM)
    NUMBER_ROW(CFG_SEC_TIERS, "risky_min_risk", CFG_U32, CFG_AT(risky_min_risk), 1, 100)
    NUMBER_ROW(CFG_SEC_TIERS, "daily_active_days_7", CFG_U32, CFG_AT(daily_active_days_7), 1, 7)
    NUMBER_ROW(CFG_SEC_TIERS, "high_interaction_rate", CFG_DOUBLE, CFG_AT(high_interaction_rate), 0, 1)
    NUMBER_ROW(CFG_SEC_TIERS, "high_interaction_min_outbound", CFG_U32, CFG_AT(high_interaction_min_outbound),
               1, CFG_MAX_COUNT)
    NUMBER_ROW(CFG_SEC_TIERS, "high_interaction_deep_30", CFG_U32, CFG_AT(high_interaction_deep_30), 1, CFG_MAX_COUNT)

    NUMBER_ROW(CFG_SEC_TREND, "delta", CFG_DOUBLE, CFG_AT(trend_delta), 0, 1)

    TAMIS_TIERS(CADENCE_ROW)

    NUMBER_ROW(CFG_SEC_RISK, "device_accounts", CFG_U32, CFG_AT(device_accounts), 2, CFG_MAX_COUNT)
    NUMBER_ROW(CFG_SEC_RISK, "burst_minutes", CFG_U32, CFG_AT(burst_minutes), 1, 7 * 24 * 60)
    /* n stored activity timestamps give n - 1 gaps; a coefficient of variation needs two */
    NUMBER_ROW(CFG_SEC_RISK, "regular_min_gaps", CFG_U32, CFG_AT(regular_min_gaps), 2, TAMIS_RECENT_ACTIVITY - 1)
    NUMBER_ROW(CFG_SEC_RISK, "regular_max_cv", CFG_DOUBLE, CFG_AT(regular_max_cv), 0, 1)

    LIST_ROW(CFG_SEC_REACHABILITY, "soft_reasons", CFG_AT(soft_reasons), CFG_AT(n_soft_reasons),
             TAMIS_CFG_MAX_SOFT_REASONS, "TAMIS_CFG_MAX_SOFT_REASONS")

    NUMBER_ROW(CFG_SEC_DEFAULTS, "send_hour", CFG_HOUR, CFG_AT(default_send_hour), 0, 23)
    LIST_ROW(CFG_SEC_DEFAULTS, "channels", CFG_AT(default_channels), CFG_AT(n_default_channels),
             TAMIS_CFG_MAX_CHANNELS, "TAMIS_CFG_MAX_CHANNELS")

    {.section = CFG_SEC_PLATFORM, .name = "observes", .type = CFG_DIMS, .offset = PLATFORM_AT(observes)},
    TAMIS_SUBSCORES(PLATFORM_WEIGHT_ROW)

    LIST_ROW(CFG_SEC_COUNTRY, "channels", COUNTRY_AT(channels), COUNTRY_AT(n_channels),
             TAMIS_CFG_MAX_CHANNELS, "TAMIS_CFG_MAX_CHANNELS")
    NUMBER_ROW(CFG_SEC_COUNTRY, "send_hour", CFG_HOUR_OPT, COUNTRY_AT(send_hour), 0, 23)
    {.section = CFG_SEC_COUNTRY, .name = "tz", .type = CFG_ZONE_OPT, .offset = COUNTRY_AT(tz)},
    TAMIS_SUBSCORES(COUNTRY_WEIGHT_ROW)
};
/* clang-format on */
const size_t cfg_n_keys = sizeof cfg_keys / sizeof cfg_keys[0];

/* ------------------------------------------------------------------------------------
 * Shipped defaults (documented in docs/CONFIG.md; `tamis config --defaults`)
 * ---------------------------------------------------------------------------------- */

#define DEFAULT_MAX_CHANNELS 3

typedef struct country_default {
    const char code[3];
    const char *channels[DEFAULT_MAX_CHANNELS]; /* NULL-terminated when shorter */
    int send_hour;
    const char *tz;
} country_default;

/* Sorted by code. Zones are checked against ICU by tests/unit/test_config.c, not here:
 * an older ICU missing one must not stop tamis from starting. */
static const country_default default_countries[] = {
    {"AE", {"telegram", "whatsapp"}, 21, "Asia/Dubai"},
    {"BH", {"telegram", "whatsapp"}, 21, "Asia/Bahrain"},
    {"BR", {"whatsapp", "telegram"}, 20, "America/Sao_Paulo"},
    {"BY", {"telegram", "viber"}, 20, "Europe/Minsk"},
    {"CA", {"whatsapp", "messenger"}, 19, "America/Toronto"},
    {"CN", {"wechat", "qq"}, 20, "Asia/Shanghai"},
    {"DE", {"whatsapp", "telegram"}, 19, "Europe/Berlin"},
    {"GB", {"whatsapp", "telegram"}, 19, "Europe/London"},
    {"ID", {"whatsapp", "telegram"}, 19, "Asia/Jakarta"},
    {"IN", {"whatsapp", "telegram"}, 20, "Asia/Kolkata"},
    {"IR", {"telegram", "whatsapp"}, 21, "Asia/Tehran"},
    {"JP", {"line"}, 21, "Asia/Tokyo"},
    {"KR", {"line", "kakaotalk"}, 21, "Asia/Seoul"},
    {"KW", {"telegram", "whatsapp"}, 21, "Asia/Kuwait"},
    {"MX", {"whatsapp", "messenger"}, 20, "America/Mexico_City"},
    {"MY", {"whatsapp", "telegram"}, 20, "Asia/Kuala_Lumpur"},
    {"OM", {"telegram", "whatsapp"}, 21, "Asia/Muscat"},
    {"PH", {"messenger", "viber"}, 20, "Asia/Manila"},
    {"PL", {"messenger", "whatsapp"}, 19, "Europe/Warsaw"},
    {"QA", {"telegram", "whatsapp"}, 21, "Asia/Qatar"},
    {"RU", {"telegram", "viber"}, 20, "Europe/Moscow"},
    {"SA", {"telegram", "whatsapp"}, 21, "Asia/Riyadh"},
    {"TH", {"line", "messenger"}, 20, "Asia/Bangkok"},
    {"TW", {"line"}, 21, "Asia/Taipei"},
    {"UA", {"telegram", "viber"}, 20, "Europe/Kyiv"},
    {"US", {"whatsapp", "messenger"}, 19, "America/New_York"},
    {"VN", {"zalo", "messenger"}, 20, "Asia/Ho_Chi_Minh"},
};

static const char *const default_soft_reasons[] = {
    "rate_limited", "throttled", "timeout", "temporary_failure", "service_unavailable",
};

static const char *const default_channels[] = {"whatsapp", "telegram", "messenger"};

static void copy_name(char dst[TAMIS_CFG_NAME_MAX], const char *src)
{
    size_t n = strlen(src);
    if (n >= TAMIS_CFG_NAME_MAX)
        abort(); /* a default longer than a name: our bug */
    memcpy(dst, src, n + 1);
}

static void set_weight(tamis_weights *w, int sub, double value)
{
    w->w[sub] = value;
    w->set[sub] = true;
}

static void default_score_and_tiers(tamis_model_config *c)
{
    static const double base[TAMIS_SUB__COUNT] = {
        [TAMIS_SUB_CONTINUITY] = 30,  [TAMIS_SUB_DEPTH] = 20,  [TAMIS_SUB_PROFILE] = 10,
        [TAMIS_SUB_INTERACTION] = 20, [TAMIS_SUB_RHYTHM] = 10, [TAMIS_SUB_REACHABILITY] = 10,
        [TAMIS_SUB_RISK] = 0,
    };
    static const uint32_t cadence[TAMIS_TIER__COUNT] = {
        [TAMIS_TIER_UNREACHABLE] = 0,      [TAMIS_TIER_RISKY] = 0,      [TAMIS_TIER_DAILY_ACTIVE] = 1,
        [TAMIS_TIER_HIGH_INTERACTION] = 1, [TAMIS_TIER_OCCASIONAL] = 3, [TAMIS_TIER_SILENT] = 7,
        [TAMIS_TIER_DORMANT] = 30,
    };
    for (int s = 0; s < TAMIS_SUB__COUNT; s++)
        set_weight(&c->weights, s, base[s]);
    c->risk_penalty = 0.5;
    c->unreachable_cap = 10;
    c->unreachable_failures = 3;
    c->risky_min_risk = 60;
    c->daily_active_days_7 = 5;
    c->high_interaction_rate = 0.3;
    c->high_interaction_min_outbound = 2;
    c->high_interaction_deep_30 = 30;
    c->trend_delta = 0.15;
    memcpy(c->cadence_days, cadence, sizeof cadence);
    c->device_accounts = 3;
    c->burst_minutes = 10;
    c->regular_min_gaps = 10;
    c->regular_max_cv = 0.1;
}

static void default_lists(tamis_model_config *c)
{
    for (size_t i = 0; i < sizeof default_soft_reasons / sizeof default_soft_reasons[0]; i++)
        copy_name(c->soft_reasons[c->n_soft_reasons++], default_soft_reasons[i]);
    c->default_send_hour = 19;
    for (size_t i = 0; i < sizeof default_channels / sizeof default_channels[0]; i++)
        copy_name(c->default_channels[c->n_default_channels++], default_channels[i]);
}

/* WhatsApp's Business API shows no profile changes, and its receipts make interaction
 * well measured; LINE shows profile changes well. */
static void default_platforms(tamis_model_config *c)
{
    tamis_platform_rules *p;

    if (!cfg_platform_add(c, "line") || !cfg_platform_add(c, "telegram") || !cfg_platform_add(c, "whatsapp"))
        abort();
    p = cfg_platform_add(c, "line");
    set_weight(&p->weights, TAMIS_SUB_PROFILE, 15);
    p = cfg_platform_add(c, "whatsapp");
    p->observes = CFG_ALL_DIMS & ~(1u << TAMIS_SUB_PROFILE);
    set_weight(&p->weights, TAMIS_SUB_INTERACTION, 25);
}

static void default_countries_fill(tamis_model_config *c)
{
    for (size_t i = 0; i < sizeof default_countries / sizeof default_countries[0]; i++) {
        const country_default *d = &default_countries[i];
        tamis_country_rules *r = cfg_country_add(c, d->code);
        size_t tz_len = strlen(d->tz);
        if (!r || tz_len >= sizeof r->tz)
            abort();
        for (size_t k = 0; k < DEFAULT_MAX_CHANNELS && d->channels[k]; k++)
            copy_name(r->channels[r->n_channels++], d->channels[k]);
        r->send_hour = d->send_hour;
        memcpy(r->tz, d->tz, tz_len + 1);
    }
}

tamis_model_config *tamis_model_config_new(void)
{
    tamis_model_config *c = tamis_calloc(1, sizeof *c);
    default_score_and_tiers(c);
    default_lists(c);
    default_platforms(c);
    default_countries_fill(c);
    return c;
}

void tamis_model_config_free(tamis_model_config *c)
{
    tamis_free(c);
}

/* ------------------------------------------------------------------------------------
 * Sorted tables: insertion and lookup
 * ---------------------------------------------------------------------------------- */

/* Index of the first platform whose name is >= name. */
static size_t platform_lower_bound(const tamis_model_config *c, const char *name)
{
    size_t lo = 0, hi = c->n_platforms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->platforms[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t country_lower_bound(const tamis_model_config *c, const char *code)
{
    size_t lo = 0, hi = c->n_countries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->countries[mid].code, code) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

tamis_platform_rules *cfg_platform_add(tamis_model_config *c, const char *name)
{
    size_t i = platform_lower_bound(c, name), n = strlen(name);
    tamis_platform_rules *p;

    if (i < c->n_platforms && strcmp(c->platforms[i].name, name) == 0)
        return &c->platforms[i];
    if (c->n_platforms == TAMIS_CFG_MAX_PLATFORMS || n == 0 || n >= TAMIS_CFG_NAME_MAX)
        return NULL;
    memmove(&c->platforms[i + 1], &c->platforms[i], (c->n_platforms - i) * sizeof c->platforms[0]);
    c->n_platforms++;
    p = &c->platforms[i];
    memset(p, 0, sizeof *p);
    memcpy(p->name, name, n + 1);
    p->observes = CFG_ALL_DIMS; /* a platform without rules can show every dimension */
    return p;
}

tamis_country_rules *cfg_country_add(tamis_model_config *c, const char code[3])
{
    size_t i = country_lower_bound(c, code);
    tamis_country_rules *r;

    if (i < c->n_countries && strcmp(c->countries[i].code, code) == 0)
        return &c->countries[i];
    if (c->n_countries == TAMIS_CFG_MAX_COUNTRIES || strlen(code) != 2)
        return NULL;
    memmove(&c->countries[i + 1], &c->countries[i], (c->n_countries - i) * sizeof c->countries[0]);
    c->n_countries++;
    r = &c->countries[i];
    memset(r, 0, sizeof *r);
    memcpy(r->code, code, 3);
    r->send_hour = -1; /* use [defaults] */
    return r;
}

const tamis_country_rules *tamis_model_config_country(const tamis_model_config *c, const char *code)
{
    size_t i;
    if (!c || !code)
        return NULL;
    i = country_lower_bound(c, code);
    return i < c->n_countries && strcmp(c->countries[i].code, code) == 0 ? &c->countries[i] : NULL;
}

const tamis_platform_rules *tamis_model_config_platform(const tamis_model_config *c, const char *name)
{
    size_t i;
    if (!c || !name)
        return NULL;
    i = platform_lower_bound(c, name);
    return i < c->n_platforms && strcmp(c->platforms[i].name, name) == 0 ? &c->platforms[i] : NULL;
}

/* Whether reason equals the lower-case name, ASCII case folded (strcasecmp would
 * follow the locale). */
static bool reason_eq(const char *name, const char *reason)
{
    for (;; name++, reason++) {
        char r = (*reason >= 'A' && *reason <= 'Z') ? (char)(*reason - 'A' + 'a') : *reason;
        if (*name != r)
            return false;
        if (!*name)
            return true;
    }
}

/* Reasons are stored lower case; events may spell them in any case. */
bool tamis_model_config_soft_reason(const tamis_model_config *c, const char *reason)
{
    if (!c || !reason || !*reason)
        return false;
    for (size_t i = 0; i < c->n_soft_reasons; i++)
        if (reason_eq(c->soft_reasons[i], reason))
            return true;
    return false;
}
