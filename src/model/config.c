/* config.c — reading the model configuration from INI text (see
 * include/tamis/model_config.h; every key, its default and meaning in docs/CONFIG.md).
 *
 * The file format:
 *
 *   # a comment; ';' also starts one, and " ;" ends a value with a comment
 *   [score]             weight.DIM, risk_penalty, unreachable_cap
 *   [tiers] [trend] [cadence] [risk] [reachability] [defaults]
 *   [platform.NAME]     observes, weight.DIM       NAME: [a-z0-9_.-]{1,32}, folded to lower case
 *   [country.CC]        channels, send_hour, tz, weight.DIM     CC: ISO 3166-1 alpha-2, any case
 *
 * Lines are "key = value" (inih also takes "key: value"); keys are lower case. Lists are
 * comma-separated, spaces around items ignored; a list may go on over the following
 * lines that start with a space or tab, each adding items. An empty value clears a list,
 * unsets a platform or country weight, and resets a country's send_hour or tz to the
 * fallback ([defaults], ICU's zone of the country). A key given again replaces its
 * value; a section named again, or one the defaults already hold (a country, a
 * platform), merges key by key. `observes = all` stands for every dimension. Numbers
 * are strict decimals, [+-]?digits(.digits)?(e[+-]?digits)?, '.' whatever the locale;
 * whole numbers where the key counts something.
 *
 * How: inih splits each line into section, key and value. It reads lines through
 * read_line below rather than from the file, so that we know the number of the line it
 * works on (every message is "PATH:LINE: ..."), refuse lines longer than inih's line
 * buffer instead of seeing them cut in two, see section headers (an unknown section
 * with no keys is still an error) and tell an indented continuation line from a new
 * key. The handler applies each value through the key table of config_int.h. The first
 * error stops the parse. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "model/config_int.h"
#include "tamis/alloc.h"

#define CFG_MAX_FILE_BYTES (1024 * 1024) /* a configuration file; ours prints to ~10 KB */
#define CFG_QUOTE_BYTES 40               /* of a value shown in a message */
#define CFG_NUMBER_TEXT_MAX 64           /* characters of one number */
#define CFG_SUGGEST_MAX_DISTANCE 2       /* edit distance of a did-you-mean */
#define CFG_COMPARE_MAX 48               /* longer names get no did-you-mean */
#define CFG_SECTION_TEXT_MAX 64          /* "platform.NAME" as shown in messages */

typedef struct cfg_ctx {
    tamis_model_config *c;
    const char *path;
    tamis_error *err;
    const char *pos, *end; /* text not yet handed to inih */
    unsigned lineno;       /* of the line inih works on */
    bool failed;
    bool have_key;     /* a key was read in this section: indented lines continue it */
    bool continuation; /* the current line continues the key above */
    cfg_section sec;
    char item[TAMIS_CFG_NAME_MAX];       /* platform name or country code of sec */
    char sec_text[CFG_SECTION_TEXT_MAX]; /* "score", "country.VN" */
} cfg_ctx;

/* ------------------------------------------------------------------------------------
 * Small helpers: characters, messages, suggestions
 * ---------------------------------------------------------------------------------- */

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static char ascii_lower(char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

/* s[0..n) for a message: at most CFG_QUOTE_BYTES, control bytes as '?', "..." if cut. */
static const char *quote(char out[CFG_QUOTE_BYTES + 4], const char *s, size_t n)
{
    size_t k = n < CFG_QUOTE_BYTES ? n : CFG_QUOTE_BYTES;
    for (size_t i = 0; i < k; i++)
        out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    memcpy(out + k, n > k ? "..." : "", n > k ? 4 : 1);
    return out;
}

static void fail(cfg_ctx *x, const char *fmt, ...) TAMIS_PRINTF(2, 3);

/* Records the first error as "PATH:LINE: message"; later ones are dropped. */
static void fail(cfg_ctx *x, const char *fmt, ...)
{
    char msg[TAMIS_ERROR_MSG_MAX];
    va_list ap;

    if (x->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tamis_error_set(x->err, TAMIS_EINPUT, "%s:%u: %s", x->path, x->lineno, msg);
    x->failed = true;
}

/* Levenshtein distance; SIZE_MAX for names too long to be worth comparing. */
static size_t edit_distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b), row[CFG_COMPARE_MAX + 1];

    if (la > CFG_COMPARE_MAX || lb > CFG_COMPARE_MAX)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Whether `have` is close enough to `known` to suggest it: at most two edits, and
 * fewer than half of known's letters (no "tz" for every two-letter typo). */
static bool close_to(const char *have, size_t n, const char *known)
{
    size_t d = edit_distance(have, n, known);
    return d <= CFG_SUGGEST_MAX_DISTANCE && 2 * d < strlen(known);
}

/* ------------------------------------------------------------------------------------
 * Sections
 * ---------------------------------------------------------------------------------- */

/* Platform and reason names: [a-z0-9_.-]{1,32} after folding to lower case. */
static bool name_normalize(const char *s, size_t n, char out[TAMIS_CFG_NAME_MAX])
{
    if (n == 0 || n >= TAMIS_CFG_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = ascii_lower(s[i]);
        if (!((ch >= 'a' && ch <= 'z') || is_digit(ch) || ch == '_' || ch == '.' || ch == '-'))
            return false;
        out[i] = ch;
    }
    out[n] = '\0';
    return true;
}

static void enter_platform(cfg_ctx *x, const char *s, size_t n)
{
    char q[CFG_QUOTE_BYTES + 4];

    if (!name_normalize(s, n, x->item)) {
        fail(x, "[%s]: platform name '%s' is not [a-z0-9_.-], 1 to %d bytes", x->sec_text, quote(q, s, n),
             TAMIS_CFG_NAME_MAX - 1);
        return;
    }
    snprintf(x->sec_text, sizeof x->sec_text, "platform.%s", x->item);
    if (!cfg_platform_add(x->c, x->item)) {
        fail(x, "[%s]: more than %d [platform.*] sections (cap TAMIS_CFG_MAX_PLATFORMS)", x->sec_text,
             TAMIS_CFG_MAX_PLATFORMS);
        return;
    }
    x->sec = CFG_SEC_PLATFORM;
}

static void enter_country(cfg_ctx *x, const char *s, size_t n)
{
    tamis_error e = {0};
    char code[3];

    if (tamis_country_normalize(s, n, code, &e) != TAMIS_OK) {
        fail(x, "[%s]: %s", x->sec_text, e.msg);
        return;
    }
    memcpy(x->item, code, 3);
    snprintf(x->sec_text, sizeof x->sec_text, "country.%s", code);
    if (!cfg_country_add(x->c, code)) {
        fail(x, "[%s]: more than %d [country.*] sections (cap TAMIS_CFG_MAX_COUNTRIES)", x->sec_text,
             TAMIS_CFG_MAX_COUNTRIES);
        return;
    }
    x->sec = CFG_SEC_COUNTRY;
}

static void unknown_section(cfg_ctx *x, const char *s, size_t n)
{
    const char *dot = memchr(s, '.', n);
    size_t head = dot ? (size_t)(dot - s) : n;

    for (cfg_section k = CFG_SEC_SCORE; k <= CFG_SEC_DEFAULTS; k++)
        if (close_to(s, n, cfg_section_name(k))) {
            fail(x, "unknown section [%s] (did you mean [%s]?)", x->sec_text, cfg_section_name(k));
            return;
        }
    for (cfg_section k = CFG_SEC_PLATFORM; k <= CFG_SEC_COUNTRY; k++)
        if (close_to(s, head, cfg_section_name(k))) {
            fail(x, "unknown section [%s] (did you mean [%s%.*s]?)", x->sec_text, cfg_section_name(k),
                 dot ? (int)(n - head) : 0, dot ? dot : "");
            return;
        }
    fail(x,
         "unknown section [%s] (known: score, tiers, trend, cadence, risk, reachability, defaults, "
         "platform.NAME, country.CC)",
         x->sec_text);
}

/* A "[...]" line: s[0..n) is what lies between the brackets. */
static void enter_section(cfg_ctx *x, const char *s, size_t n)
{
    char q[CFG_QUOTE_BYTES + 4];

    trim(&s, &n);
    x->sec = CFG_SEC_NONE;
    x->have_key = false;
    snprintf(x->sec_text, sizeof x->sec_text, "%s", quote(q, s, n));
    for (cfg_section k = CFG_SEC_SCORE; k <= CFG_SEC_DEFAULTS; k++) {
        const char *name = cfg_section_name(k);
        if (strlen(name) == n && memcmp(s, name, n) == 0) {
            x->sec = k;
            return;
        }
    }
    if (n >= 9 && memcmp(s, "platform.", 9) == 0)
        enter_platform(x, s + 9, n - 9);
    else if (n >= 8 && memcmp(s, "country.", 8) == 0)
        enter_country(x, s + 8, n - 8);
    else
        unknown_section(x, s, n);
}

/* ------------------------------------------------------------------------------------
 * Lines: what inih will make of each one
 * ---------------------------------------------------------------------------------- */

/* inih's find_chars_or_comment: the first char of `chars`, or a ';' that follows
 * whitespace (an inline comment), or the end. */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
    bool was_space = false;
    while (*s && !(chars && strchr(chars, *s)) && !(was_space && *s == ';')) {
        was_space = is_space(*s);
        s++;
    }
    return s;
}

/* Classifies a line the way inih's ini_parse_stream does, in the same order: comment
 * or blank, continuation of the previous key (indented, after a key), section header,
 * key line. */
static void classify_line(cfg_ctx *x, const char *line)
{
    const char *start = line, *end;
    char q[CFG_QUOTE_BYTES + 4];

    if (x->lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
        start += 3; /* UTF-8 byte order mark, which inih skips too */
    while (is_space(*start))
        start++;
    x->continuation = false;
    if (*start == '\0' || *start == ';' || *start == '#')
        return;
    if (x->have_key && start > line) {
        x->continuation = true;
    } else if (*start == '[') {
        end = find_chars_or_comment(start + 1, "]");
        if (*end != ']')
            fail(x, "section header '%s' lacks its ']'", quote(q, start, strcspn(start, "\r\n")));
        else
            enter_section(x, start + 1, (size_t)(end - start - 1));
    } else {
        end = find_chars_or_comment(start, "=:");
        if (*end != '=' && *end != ':')
            fail(x, "expected 'key = value', a [section] or a comment, not '%s'",
                 quote(q, start, strcspn(start, "\r\n")));
        x->have_key = true;
    }
}

/* inih's line reader: one line of the text per call, with its newline. */
static char *read_line(char *str, int num, void *stream)
{
    cfg_ctx *x = stream;
    const char *nl;
    size_t len;

    if (x->failed || x->pos >= x->end)
        return NULL;
    nl = memchr(x->pos, '\n', (size_t)(x->end - x->pos));
    len = nl ? (size_t)(nl - x->pos) + 1 : (size_t)(x->end - x->pos);
    x->lineno++;
    if (num < 3 || len > (size_t)num - 1) {
        fail(x, "line longer than %d bytes (inih's line buffer); continue a long list on indented lines", num - 2);
        return NULL;
    }
    memcpy(str, x->pos, len);
    str[len] = '\0';
    x->pos += len;
    classify_line(x, str);
    return x->failed ? NULL : str;
}

/* ------------------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------------------- */

const char *cfg_parse_double(const char *s, double *out)
{
    char buf[CFG_NUMBER_TEXT_MAX + 16];
    const char *dp = localeconv()->decimal_point;
    size_t i = 0, n = 0, dp_len = (dp && *dp) ? strlen(dp) : 0;
    char *end;
    double v;

    if (s[i] == '+' || s[i] == '-')
        i++;
    if (!is_digit(s[i]))
        return "not a number";
    while (is_digit(s[i]))
        i++;
    if (s[i] == '.' && !is_digit(s[++i]))
        return "not a number";
    while (is_digit(s[i]))
        i++;
    if (s[i] == 'e' || s[i] == 'E') {
        i++;
        if (s[i] == '+' || s[i] == '-')
            i++;
        if (!is_digit(s[i]))
            return "not a number";
        while (is_digit(s[i]))
            i++;
    }
    if (s[i])
        return "not a number";
    if (i > CFG_NUMBER_TEXT_MAX || dp_len > 8)
        return "too long for a number";
    /* strtod wants the locale's decimal point; the file always has '.' */
    for (size_t k = 0; k < i; k++) {
        if (s[k] == '.' && dp_len) {
            memcpy(buf + n, dp, dp_len);
            n += dp_len;
        } else {
            buf[n++] = s[k];
        }
    }
    buf[n] = '\0';
    v = strtod(buf, &end);
    if (end != buf + n)
        return "not a number";
    if (!isfinite(v))
        return "out of range";
    *out = v;
    return NULL;
}

static void fail_key(cfg_ctx *x, const cfg_key *k, const char *fmt, ...) TAMIS_PRINTF(3, 4);

/* An error about key k of the current section: "KEY in [SECTION]: message". */
static void fail_key(cfg_ctx *x, const cfg_key *k, const char *fmt, ...)
{
    char msg[TAMIS_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail(x, "%s in [%s]: %s", k->name, x->sec_text, msg);
}

/* A number for k: CFG_DOUBLE and weights any decimal, the others whole; within
 * [k->min, k->max]. */
static bool parse_number(cfg_ctx *x, const cfg_key *k, const char *value, double *out)
{
    char q[CFG_QUOTE_BYTES + 4], lo[CFG_DOUBLE_TEXT_MAX], hi[CFG_DOUBLE_TEXT_MAX];
    bool whole = k->type == CFG_U32 || k->type == CFG_HOUR || k->type == CFG_HOUR_OPT;
    const char *why = NULL;
    size_t n = strlen(value);

    if (n == 0) {
        fail_key(x, k, "needs a value");
        return false;
    }
    if (whole) {
        if (strspn(value, "0123456789") != n)
            why = "not a whole number";
        else if (n > 12) /* far beyond every range; strtod would still read it */
            why = "out of range";
    }
    if (!why)
        why = cfg_parse_double(value, out);
    if (!why && (*out < k->min || *out > k->max))
        why = "out of range";
    if (why) {
        cfg_format_double(k->min, lo);
        cfg_format_double(k->max, hi);
        fail_key(x, k, "'%s' is %s (want %s%s..%s)", quote(q, value, n), why, whole ? "a whole number " : "", lo, hi);
        return false;
    }
    return true;
}

/* Splits a comma-separated list: each call yields the next item, trimmed. A comma
 * at the end is allowed (the list goes on over an indented line, or just ends). */
static bool next_item(const char **p, const char **item, size_t *len)
{
    const char *comma;
    if (!*p)
        return false;
    comma = strchr(*p, ',');
    *item = *p;
    *len = comma ? (size_t)(comma - *p) : strlen(*p);
    *p = comma ? comma + 1 : NULL;
    if (*p && (*p)[strspn(*p, " \t\r\n\v\f")] == '\0')
        *p = NULL; /* a comma that ends the line: the list may go on below */
    trim(item, len);
    return true;
}

static void apply_names(cfg_ctx *x, const cfg_key *k, char *base, const char *value)
{
    char(*names)[TAMIS_CFG_NAME_MAX] = (char(*)[TAMIS_CFG_NAME_MAX])(void *)(base + k->offset);
    size_t *count = (size_t *)(void *)(base + k->aux), len;
    char q[CFG_QUOTE_BYTES + 4], name[TAMIS_CFG_NAME_MAX];
    const char *p = value, *item;

    if (!x->continuation)
        *count = 0; /* a key given again replaces its list; empty clears it */
    if (!*value)
        return;
    while (next_item(&p, &item, &len)) {
        memset(name, 0, sizeof name); /* copied whole: no stale bytes after the NUL */
        if (len == 0) {
            fail_key(x, k, "empty item in the list (two commas, or a comma first)");
            return;
        }
        if (!name_normalize(item, len, name)) {
            fail_key(x, k, "'%s' is not a name ([a-z0-9_.-], 1 to %d bytes)", quote(q, item, len),
                     TAMIS_CFG_NAME_MAX - 1);
            return;
        }
        for (size_t i = 0; i < *count; i++)
            if (strcmp(names[i], name) == 0) {
                fail_key(x, k, "'%s' is listed twice", name);
                return;
            }
        if (*count == k->cap) {
            fail_key(x, k, "more than %zu items (cap %s)", k->cap, k->cap_name);
            return;
        }
        memcpy(names[(*count)++], name, sizeof name);
    }
}

static void apply_dims(cfg_ctx *x, const cfg_key *k, uint32_t *mask, const char *value)
{
    char q[CFG_QUOTE_BYTES + 4];
    const char *p = value, *item;
    size_t len;

    if (!x->continuation)
        *mask = 0;
    if (!x->continuation && strcmp(value, "all") == 0) {
        *mask = CFG_ALL_DIMS;
        return;
    }
    if (!*value)
        return;
    while (next_item(&p, &item, &len)) {
        int d = tamis_subscore_from_name(item, len);
        if (len == 0) {
            fail_key(x, k, "empty item in the list (two commas, or a comma first)");
            return;
        }
        if (len == 3 && memcmp(item, "all", 3) == 0) {
            fail_key(x, k, "'all' stands alone: it already names every dimension");
            return;
        }
        if (d < 0) {
            fail_key(x, k,
                     "unknown dimension '%s' (known: continuity, depth, profile, interaction, "
                     "rhythm, reachability, risk, or all)",
                     quote(q, item, len));
            return;
        }
        if (*mask & (1u << d)) {
            fail_key(x, k, "'%s' is listed twice", tamis_subscore_name(d));
            return;
        }
        *mask |= 1u << d;
    }
}

static void apply_zone(cfg_ctx *x, const cfg_key *k, char *out, const char *value)
{
    tamis_error e = {0};
    char zone[TAMIS_TZ_NAME_MAX] = {0}; /* copied whole: no stale bytes after the NUL */

    if (!*value) {
        out[0] = '\0';
        return;
    }
    if (tamis_tz_normalize(value, strlen(value), zone, &e) != TAMIS_OK) {
        fail_key(x, k, "%s", e.msg);
        return;
    }
    memcpy(out, zone, TAMIS_TZ_NAME_MAX);
}

/* Stores value into key k of the struct at base (the config, or a platform's or
 * country's rules). */
static void apply(cfg_ctx *x, const cfg_key *k, char *base, const char *value)
{
    char *at = base + k->offset;
    double v;

    if (x->continuation && k->type != CFG_NAMES && k->type != CFG_DIMS) {
        fail_key(x, k,
                 "takes one value, but this indented line continues it (only lists go on "
                 "over indented lines)");
        return;
    }
    switch (k->type) {
    case CFG_DOUBLE:
        if (parse_number(x, k, value, &v))
            *(double *)(void *)at = v;
        break;
    case CFG_U32:
        if (parse_number(x, k, value, &v))
            *(uint32_t *)(void *)at = (uint32_t)v;
        break;
    case CFG_HOUR:
    case CFG_HOUR_OPT:
        if (k->type == CFG_HOUR_OPT && !*value)
            *(int *)(void *)at = -1;
        else if (parse_number(x, k, value, &v))
            *(int *)(void *)at = (int)v;
        break;
    case CFG_WEIGHT_OPT: {
        tamis_weights *w = (tamis_weights *)(void *)at;
        if (!*value) {
            w->w[k->aux] = 0;
            w->set[k->aux] = false;
        } else if (parse_number(x, k, value, &v)) {
            w->w[k->aux] = v;
            w->set[k->aux] = true;
        }
        break;
    }
    case CFG_NAMES: apply_names(x, k, base, value); break;
    case CFG_DIMS: apply_dims(x, k, (uint32_t *)(void *)at, value); break;
    case CFG_ZONE_OPT: apply_zone(x, k, at, value); break;
    }
}

static const cfg_key *find_key(cfg_section sec, const char *name)
{
    for (size_t i = 0; i < cfg_n_keys; i++)
        if (cfg_keys[i].section == sec && strcmp(cfg_keys[i].name, name) == 0)
            return &cfg_keys[i];
    return NULL;
}

/* "unknown key", with the key it was probably meant to be, or the section it belongs in. */
static void unknown_key(cfg_ctx *x, const char *name)
{
    char q[CFG_QUOTE_BYTES + 4];
    size_t n = strlen(name), best_d = SIZE_MAX;
    const char *best = NULL;

    quote(q, name, n);
    for (size_t i = 0; i < cfg_n_keys; i++) {
        size_t d = edit_distance(name, n, cfg_keys[i].name);
        if (cfg_keys[i].section == x->sec && d < best_d && close_to(name, n, cfg_keys[i].name)) {
            best_d = d;
            best = cfg_keys[i].name;
        }
    }
    if (best) {
        fail(x, "unknown key '%s' in [%s] (did you mean '%s'?)", q, x->sec_text, best);
        return;
    }
    for (size_t i = 0; i < cfg_n_keys; i++) {
        cfg_section s = cfg_keys[i].section;
        if (strcmp(cfg_keys[i].name, name) == 0) {
            fail(x, "unknown key '%s' in [%s] (it belongs in [%s%s])", q, x->sec_text, cfg_section_name(s),
                 s == CFG_SEC_PLATFORM  ? ".NAME"
                 : s == CFG_SEC_COUNTRY ? ".CC"
                                        : "");
            return;
        }
    }
    fail(x, "unknown key '%s' in [%s]", q, x->sec_text);
}

/* inih's handler: nonzero to go on. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
    cfg_ctx *x = user;
    const cfg_key *k;
    char *base = (char *)x->c;
    char q[CFG_QUOTE_BYTES + 4];

    (void)section; /* classify_line saw the header and set x->sec */
    if (x->failed)
        return 0;
    if (x->sec == CFG_SEC_NONE) {
        fail(x, "key '%s' comes before any [section]", quote(q, name, strlen(name)));
        return 0;
    }
    if (!(k = find_key(x->sec, name))) {
        unknown_key(x, name);
        return 0;
    }
    if (x->sec == CFG_SEC_PLATFORM)
        base = (char *)cfg_platform_add(x->c, x->item); /* exists: made at its header */
    else if (x->sec == CFG_SEC_COUNTRY)
        base = (char *)cfg_country_add(x->c, x->item);
    apply(x, k, base, value);
    return !x->failed;
}

/* ------------------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------------------- */

/* Whole-file rules that no single key can check. */
static int check_config(const tamis_model_config *c, const char *path, tamis_error *err)
{
    double sum = 0;
    for (int s = 0; s < TAMIS_SUB__COUNT; s++)
        if (s != TAMIS_SUB_RISK)
            sum += c->weights.w[s];
    if (sum <= 0)
        return tamis_error_set(err, TAMIS_EINPUT,
                               "%s: every weight in [score] but weight.risk is 0: the score would be "
                               "undefined; make one positive",
                               path);
    return TAMIS_OK;
}

static int parse_text(tamis_model_config *c, const char *text, size_t len, const char *path, tamis_error *err)
{
    cfg_ctx x = {.c = c, .path = path ? path : "<string>", .err = err, .pos = text, .end = text + len};
    const char *nul = memchr(text, '\0', len);
    int line;

    if (nul) {
        for (const char *p = text; p <= nul; p++)
            x.lineno += p == text || p[-1] == '\n';
        fail(&x, "NUL byte: not a text file");
        return TAMIS_EINPUT;
    }
    line = ini_parse_stream(read_line, &x, on_key, &x);
    if (x.failed)
        return TAMIS_EINPUT;
    if (line != 0) { /* inih saw an error that read_line did not foresee */
        x.lineno = line > 0 ? (unsigned)line : x.lineno;
        fail(&x, "syntax error");
        return TAMIS_EINPUT;
    }
    return check_config(c, x.path, err);
}

int tamis_model_config_load_string(tamis_model_config *c, const char *text, const char *path, tamis_error *err)
{
    return parse_text(c, text, strlen(text), path, err);
}

int tamis_model_config_load(tamis_model_config *c, const char *path, tamis_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;
    int rc;

    if (!f)
        return tamis_error_set(err, TAMIS_EIO, "cannot open %s: %s", path, strerror(errno));
    buf = tamis_malloc(CFG_MAX_FILE_BYTES + 1);
    n = fread(buf, 1, CFG_MAX_FILE_BYTES + 1, f);
    if (ferror(f)) {
        rc = tamis_error_set(err, TAMIS_EIO, "cannot read %s: %s", path, strerror(errno));
        goto done;
    }
    if (n > CFG_MAX_FILE_BYTES) {
        rc = tamis_error_set(err, TAMIS_EINPUT, "%s: larger than %d bytes (cap CFG_MAX_FILE_BYTES)", path,
                             CFG_MAX_FILE_BYTES);
        goto done;
    }
    buf[n] = '\0';
    rc = parse_text(c, buf, n, path, err);
done:
    fclose(f);
    tamis_free(buf);
    return rc;
}
