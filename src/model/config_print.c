/* config_print.c — the model configuration written back as INI, and its hash (see
 * include/tamis/model_config.h).
 *
 * `tamis config` prints with tamis_model_config_print; scores store
 * tamis_model_config_hash, which is XXH3-64 of the same text, so any change that
 * shows in the printed file changes the hash and nothing else does. The output walks
 * the key table of config_int.h in order: every section, every key, platforms and
 * countries sorted, empty values written out (an empty value clears a list or unsets
 * an override), so that loading the text over the shipped defaults gives back an
 * equal configuration whatever the defaults hold. Doubles take their shortest
 * round-trip-exact form. Long lists go on over indented lines, which the loader reads
 * as continuations: no line comes near inih's line buffer. */
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#include "model/config_int.h"
#include "tamis/alloc.h"

#define CFG_PRINT_WIDTH 100      /* a list line is wrapped before this column */
#define CFG_CONTINUATION "    "  /* indent of a list's continuation lines */
#define CFG_MAX_DOUBLE_DIGITS 17 /* %.17g is exact for every double */
#define CFG_WHOLE_MAX 1e15       /* whole numbers below are printed without exponent */

/* Where the text goes: a FILE, or a growing buffer (for the hash). */
typedef struct sink {
    FILE *f;
    char *buf;
    size_t len, cap;
} sink;

static void put(sink *o, const char *fmt, ...) TAMIS_PRINTF(2, 3);

static void put(sink *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    if (o->f) {
        vfprintf(o->f, fmt, ap);
    } else {
        va_list again;
        va_copy(again, ap);
        n = vsnprintf(NULL, 0, fmt, again);
        va_end(again);
        if (n > 0) {
            o->buf = tamis_grow(o->buf, 1, &o->cap, o->len + (size_t)n + 1);
            vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
            o->len += (size_t)n;
        }
    }
    va_end(ap);
}

/* ------------------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------------------- */

/* Replaces the locale's decimal point, if it is not '.', by '.'. */
static void to_dot(char *s)
{
    const char *dp = localeconv()->decimal_point;
    size_t dp_len = dp ? strlen(dp) : 0;
    char *at;

    if (dp_len == 0 || strcmp(dp, ".") == 0 || !(at = strstr(s, dp)))
        return;
    *at = '.';
    memmove(at + 1, at + dp_len, strlen(at + dp_len) + 1);
}

void cfg_format_double(double v, char out[CFG_DOUBLE_TEXT_MAX])
{
    /* whole numbers as such: "30", not the shorter "3e+01" */
    if (v == floor(v) && fabs(v) < CFG_WHOLE_MAX) {
        snprintf(out, CFG_DOUBLE_TEXT_MAX, "%.0f", v);
        return;
    }
    for (int digits = 1; digits <= CFG_MAX_DOUBLE_DIGITS; digits++) {
        double back;
        snprintf(out, CFG_DOUBLE_TEXT_MAX, "%.*g", digits, v);
        to_dot(out);
        if (!cfg_parse_double(out, &back) && back == v)
            return;
    }
}

/* "key = a, b, c" wrapped before CFG_PRINT_WIDTH; "key =" for an empty list. */
static void put_list(sink *o, const char *key, const char *const *items, size_t n)
{
    size_t col = strlen(key) + 2;

    put(o, "%s =", key);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(items[i]);
        if (i == 0) {
            put(o, " %s", items[i]);
            col += 1 + len;
        } else if (col + 2 + len > CFG_PRINT_WIDTH) {
            put(o, "\n" CFG_CONTINUATION "%s", items[i]);
            col = strlen(CFG_CONTINUATION) + len;
        } else {
            put(o, ", %s", items[i]);
            col += 2 + len;
        }
    }
    put(o, "\n");
}

static void put_names(sink *o, const cfg_key *k, const char *base)
{
    const char(*names)[TAMIS_CFG_NAME_MAX] = (const char(*)[TAMIS_CFG_NAME_MAX])(const void *)(base + k->offset);
    size_t n = *(const size_t *)(const void *)(base + k->aux);
    const char *items[TAMIS_CFG_MAX_SOFT_REASONS > TAMIS_CFG_MAX_CHANNELS ? TAMIS_CFG_MAX_SOFT_REASONS
                                                                          : TAMIS_CFG_MAX_CHANNELS];

    if (n > k->cap || n > sizeof items / sizeof items[0])
        n = k->cap < sizeof items / sizeof items[0] ? k->cap : sizeof items / sizeof items[0];
    for (size_t i = 0; i < n; i++)
        items[i] = names[i];
    put_list(o, k->name, items, n);
}

static void put_dims(sink *o, const cfg_key *k, uint32_t mask)
{
    const char *items[TAMIS_SUB__COUNT];
    size_t n = 0;

    if ((mask & CFG_ALL_DIMS) == CFG_ALL_DIMS) {
        put(o, "%s = all\n", k->name);
        return;
    }
    for (int d = 0; d < TAMIS_SUB__COUNT; d++)
        if (mask & (1u << d))
            items[n++] = tamis_subscore_name(d);
    put_list(o, k->name, items, n);
}

/* One key of the struct at base (the config, or a platform's or country's rules). */
static void put_key(sink *o, const cfg_key *k, const char *base)
{
    const char *at = base + k->offset;
    char num[CFG_DOUBLE_TEXT_MAX];

    switch (k->type) {
    case CFG_DOUBLE:
        cfg_format_double(*(const double *)(const void *)at, num);
        put(o, "%s = %s\n", k->name, num);
        break;
    case CFG_U32: put(o, "%s = %u\n", k->name, (unsigned)*(const uint32_t *)(const void *)at); break;
    case CFG_HOUR:
    case CFG_HOUR_OPT: {
        int hour = *(const int *)(const void *)at;
        if (hour < 0)
            put(o, "%s =\n", k->name);
        else
            put(o, "%s = %d\n", k->name, hour);
        break;
    }
    case CFG_WEIGHT_OPT: {
        const tamis_weights *w = (const tamis_weights *)(const void *)at;
        if (!w->set[k->aux]) {
            put(o, "%s =\n", k->name);
            break;
        }
        cfg_format_double(w->w[k->aux], num);
        put(o, "%s = %s\n", k->name, num);
        break;
    }
    case CFG_NAMES: put_names(o, k, base); break;
    case CFG_DIMS: put_dims(o, k, *(const uint32_t *)(const void *)at); break;
    case CFG_ZONE_OPT:
        if (*at)
            put(o, "%s = %.*s\n", k->name, TAMIS_TZ_NAME_MAX - 1, at);
        else
            put(o, "%s =\n", k->name);
        break;
    }
}

static void put_section_keys(sink *o, cfg_section sec, const char *base)
{
    for (size_t i = 0; i < cfg_n_keys; i++)
        if (cfg_keys[i].section == sec)
            put_key(o, &cfg_keys[i], base);
}

/* ------------------------------------------------------------------------------------
 * Whole configuration
 * ---------------------------------------------------------------------------------- */

static void put_config(sink *o, const tamis_model_config *c)
{
    put(o, "# tamis model configuration — effective values; see docs/CONFIG.md\n"
           "# An empty value clears a list, or unsets a platform or country override.\n");
    for (cfg_section s = CFG_SEC_SCORE; s <= CFG_SEC_DEFAULTS; s++) {
        put(o, "\n[%s]\n", cfg_section_name(s));
        put_section_keys(o, s, (const char *)c);
    }
    for (size_t i = 0; i < c->n_platforms && i < TAMIS_CFG_MAX_PLATFORMS; i++) {
        put(o, "\n[platform.%.*s]\n", TAMIS_CFG_NAME_MAX - 1, c->platforms[i].name);
        put_section_keys(o, CFG_SEC_PLATFORM, (const char *)&c->platforms[i]);
    }
    for (size_t i = 0; i < c->n_countries && i < TAMIS_CFG_MAX_COUNTRIES; i++) {
        put(o, "\n[country.%.2s]\n", c->countries[i].code);
        put_section_keys(o, CFG_SEC_COUNTRY, (const char *)&c->countries[i]);
    }
}

void tamis_model_config_print(const tamis_model_config *c, FILE *out)
{
    sink o = {.f = out};
    put_config(&o, c);
}

uint64_t tamis_model_config_hash(const tamis_model_config *c)
{
    sink o = {0};
    uint64_t h;

    put_config(&o, c);
    h = XXH3_64bits(o.buf, o.len);
    tamis_free(o.buf);
    return h;
}
