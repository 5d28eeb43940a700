/* ndjson.c — the NDJSON event format: one flat JSON object per line.
 *
 * First stage of the data flow, next to csv.c: tamis_event_parse() (csv.c) sends NDJSON
 * lines here. This is the measured hot path, so instead of building a DOM (jansson) it
 * walks the line once: it validates the whole line as JSON (RFC 8259: string escapes,
 * UTF-8, number grammar, literals, nesting), borrows string values straight from the
 * line when they hold no escape, decodes them into the parser's scratch when they do,
 * and skips the values of unknown keys (nesting capped at TAMIS_MAX_JSON_DEPTH) without
 * storing anything. Typing rules for known keys are those of include/tamis/event.h. */
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "event/event_int.h"
#include "tamis/alloc.h"
#include "tamis/event.h"
#include "tamis/limits.h"

typedef struct json_cursor {
    const char *s;   /* next byte */
    const char *beg; /* the line, for byte positions in messages */
    const char *end;
    tamis_event_parser *p;
    tamis_error *err;
} json_cursor;

/* ------------------------------------------------------------------------------------
 * Lexical helpers
 * ---------------------------------------------------------------------------------- */

/* String bytes: 0 plain, 1 '"', 2 '\\', 3 control (not allowed raw), 4 non-ASCII. */
#define X4(v) v, v, v, v
#define X16(v) X4(v), X4(v), X4(v), X4(v)
static const uint8_t str_class[256] = {
    X16(3), X16(3),                                /* 0x00-0x1f */
    0, 0, 1, 0, X4(0), X4(0), X4(0),               /* 0x20-0x2f: '"' */
    X16(0), X16(0),                                /* 0x30-0x4f */
    X4(0), X4(0), X4(0), 2, 0, 0, 0,               /* 0x50-0x5f: '\\' */
    X16(0), X16(0),                                /* 0x60-0x7f */
    X16(4), X16(4), X16(4), X16(4), X16(4), X16(4), X16(4), X16(4), /* 0x80-0xff */
};
#undef X16
#undef X4

static inline int peek(const json_cursor *c)
{
    return c->s < c->end ? (unsigned char)*c->s : -1;
}

static inline void skip_ws(json_cursor *c)
{
    while (c->s < c->end && (*c->s == ' ' || *c->s == '\t' || *c->s == '\n' || *c->s == '\r'))
        c->s++;
}

static int syntax(json_cursor *c, const char *what)
{
    if (c->s >= c->end)
        return tamis_error_set(c->err, TAMIS_EINPUT, "bad JSON at end of line: %s", what);
    return tamis_error_set(c->err, TAMIS_EINPUT, "bad JSON at byte %zu: %s",
                           (size_t)(c->s - c->beg) + 1, what);
}

/* Length of the valid UTF-8 sequence at s (s[0] >= 0x80), or 0 if it is not one:
 * rejects overlong forms, encoded surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    size_t n = c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (n == 0 || (size_t)(end - s) < n)
        return 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char ch = (unsigned char)s[i];
        unsigned d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
            d = (ch | 0x20) - 'a' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

static size_t utf8_put(char *w, unsigned cp)
{
    if (cp < 0x80) {
        w[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        w[0] = (char)(0xC0 | (cp >> 6));
        w[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        w[0] = (char)(0xE0 | (cp >> 12));
        w[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        w[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    w[0] = (char)(0xF0 | (cp >> 18));
    w[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    w[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    w[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ------------------------------------------------------------------------------------
 * Strings, numbers, literals
 * ---------------------------------------------------------------------------------- */

/* The first byte at or after q that is not plain string content ('"', '\\', a control
 * byte or a non-ASCII byte), or end. With SSE2, 16 bytes per step while 16 remain: one
 * signed compare catches both control bytes and bytes >= 0x80. */
static inline const char *plain_run_end(const char *q, const char *end)
{
#if defined(__SSE2__)
    const __m128i dq = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    while (end - q >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, dq), _mm_cmpeq_epi8(v, bs)),
                                       _mm_cmplt_epi8(v, sp));
        unsigned m = (unsigned)_mm_movemask_epi8(special);
        if (m)
            return q + __builtin_ctz(m);
        q += 16;
    }
#endif
    while (q < end && str_class[(unsigned char)*q] == 0)
        q++;
    return q;
}

/* Decodes the escape at c->s ('\\') into w; returns bytes written, or -1 (error set).
 * A \uXXXX high surrogate must be followed by a \uXXXX low surrogate; the pair becomes
 * one 4-byte UTF-8 character. A decoded escape is never longer than its source. */
static int decode_escape(json_cursor *c, char *w)
{
    const char *s = c->s;
    if (c->end - s < 2)
        return syntax(c, "unterminated string"), -1;
    static const char simple_from[] = "\"\\/bfnrt", simple_to[] = "\"\\/\b\f\n\r\t";
    const char *hit = s[1] ? strchr(simple_from, s[1]) : NULL;
    if (hit) {
        w[0] = simple_to[hit - simple_from];
        c->s += 2;
        return 1;
    }
    if (s[1] != 'u')
        return syntax(c, "invalid escape in string"), -1;
    unsigned cp, lo;
    if (c->end - s < 6 || hex4(s + 2, &cp) != 0)
        return syntax(c, "bad \\u escape (expected 4 hex digits)"), -1;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return syntax(c, "unpaired low surrogate in \\u escape"), -1;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (c->end - s < 12 || s[6] != '\\' || s[7] != 'u' || hex4(s + 8, &lo) != 0 ||
            lo < 0xDC00 || lo > 0xDFFF)
            return syntax(c, "unpaired high surrogate in \\u escape"), -1;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        c->s += 12;
    } else {
        c->s += 6;
    }
    return (int)utf8_put(w, cp);
}

/* The string at c->s ('"'). Without escapes the content is borrowed from the line; with
 * escapes it is decoded into scratch (kept there when keep is set, else overwritten by
 * the next one). Checks raw control bytes and UTF-8. out->len is the decoded length. */
static int json_string(json_cursor *c, bool keep, tamis_str *out)
{
    const char *start = ++c->s;
    const char *q = start;
    for (;;) {
        q = plain_run_end(q, c->end);
        if (q == c->end) {
            c->s = q;
            return syntax(c, "unterminated string");
        }
        uint8_t cls = str_class[(unsigned char)*q];
        if (cls == 1) {
            out->ptr = start;
            out->len = (uint32_t)(q - start);
            c->s = q + 1;
            return TAMIS_OK;
        }
        if (cls == 2)
            break;
        if (cls == 3) {
            c->s = q;
            return syntax(c, "control character in string (escape it)");
        }
        size_t n = utf8_seq((const unsigned char *)q, (const unsigned char *)c->end);
        if (n == 0) {
            c->s = q;
            return syntax(c, "invalid UTF-8 in string");
        }
        q += n;
    }
    /* Slow path: an escape at q. Copy what precedes it, then decode byte by byte. */
    tamis_event_parser *p = c->p;
    char *w = p->scratch + p->scratch_used;
    size_t n = (size_t)(q - start);
    memcpy(w, start, n);
    c->s = q;
    for (;;) {
        if (c->s == c->end)
            return syntax(c, "unterminated string");
        unsigned char ch = (unsigned char)*c->s;
        uint8_t cls = str_class[ch];
        if (cls == 0) {
            w[n++] = (char)ch;
            c->s++;
        } else if (cls == 1) {
            c->s++;
            break;
        } else if (cls == 2) {
            int k = decode_escape(c, w + n);
            if (k < 0)
                return TAMIS_EINPUT;
            n += (size_t)k;
        } else if (cls == 3) {
            return syntax(c, "control character in string (escape it)");
        } else {
            size_t k = utf8_seq((const unsigned char *)c->s, (const unsigned char *)c->end);
            if (k == 0)
                return syntax(c, "invalid UTF-8 in string");
            memcpy(w + n, c->s, k);
            n += k;
            c->s += k;
        }
    }
    out->ptr = w;
    out->len = (uint32_t)n;
    if (keep)
        p->scratch_used += (uint32_t)n;
    return TAMIS_OK;
}

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

/* A number per the JSON grammar -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?;
 * out is its literal text, borrowed from the line. */
static int json_number(json_cursor *c, tamis_str *out)
{
    const char *start = c->s;
    if (peek(c) == '-')
        c->s++;
    if (peek(c) == '0') {
        c->s++;
        if (is_digit(peek(c)))
            return syntax(c, "leading zero in number");
    } else if (is_digit(peek(c))) {
        while (is_digit(peek(c)))
            c->s++;
    } else {
        return syntax(c, "bad number");
    }
    if (peek(c) == '.') {
        c->s++;
        if (!is_digit(peek(c)))
            return syntax(c, "bad number (no digit after '.')");
        while (is_digit(peek(c)))
            c->s++;
    }
    if (peek(c) == 'e' || peek(c) == 'E') {
        c->s++;
        if (peek(c) == '+' || peek(c) == '-')
            c->s++;
        if (!is_digit(peek(c)))
            return syntax(c, "bad number (no digit in exponent)");
        while (is_digit(peek(c)))
            c->s++;
    }
    out->ptr = start;
    out->len = (uint32_t)(c->s - start);
    return TAMIS_OK;
}

/* true, false or null at c->s. */
static int json_literal(json_cursor *c)
{
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(c->end - c->s) >= n && memcmp(c->s, words[i], n) == 0) {
            c->s += n;
            return TAMIS_OK;
        }
    }
    return syntax(c, "expected a value");
}

/* ------------------------------------------------------------------------------------
 * Values of known and unknown keys
 * ---------------------------------------------------------------------------------- */

static int over_field_cap(json_cursor *c, const char *what, tamis_str name, uint32_t len)
{
    char q[TAMIS_EV_QUOTE_BUF];
    return tamis_error_set(c->err, TAMIS_ELIMIT,
                           "%s '%s' is %u bytes, over the cap TAMIS_MAX_FIELD_BYTES (%d)",
                           what, tamis_ev_quote(q, name.ptr, name.len), len,
                           TAMIS_MAX_FIELD_BYTES);
}

/* Fields that accept a JSON number (kept as its literal text). */
static bool number_allowed(int f)
{
    return f == TAMIS_FIELD_TS || f == TAMIS_FIELD_VALUE || f == TAMIS_FIELD_USER ||
           f == TAMIS_FIELD_PLATFORM_ID || f == TAMIS_FIELD_GROUP ||
           f == TAMIS_FIELD_CAMPAIGN || f == TAMIS_FIELD_ID;
}

static int wrong_type(json_cursor *c, int f, const char *got)
{
    const char *want = (f == TAMIS_FIELD_TS || f == TAMIS_FIELD_VALUE) ? "a number or a string"
                       : number_allowed(f)                           ? "a string or a number"
                                                                     : "a string";
    return tamis_error_set(c->err, TAMIS_EINPUT, "field '%s' must be %s, not %s",
                           tamis_field_name((tamis_field)f), want, got);
}

/* The value of known field f into *out; null and "" leave it absent (len 0). */
static int known_value(json_cursor *c, int f, tamis_str *out)
{
    int ch = peek(c);
    int rc;
    if (ch == '"') {
        rc = json_string(c, true, out);
    } else if (ch == '-' || is_digit(ch)) {
        if (!number_allowed(f))
            return wrong_type(c, f, "a number");
        rc = json_number(c, out);
    } else if (ch == 'n') {
        return json_literal(c); /* only "null" starts with 'n' */
    } else if (ch == 't' || ch == 'f') {
        return wrong_type(c, f, ch == 't' ? "true" : "false");
    } else if (ch == '{' || ch == '[') {
        return wrong_type(c, f, ch == '{' ? "an object" : "an array");
    } else {
        return syntax(c, "expected a value");
    }
    if (rc == TAMIS_OK && out->len > TAMIS_MAX_FIELD_BYTES) {
        const char *n = tamis_field_name((tamis_field)f);
        tamis_str name = {n, (uint32_t)strlen(n)};
        return over_field_cap(c, "field", name, out->len);
    }
    return rc;
}

/* After '{' or ',' inside a skipped object: a key, ':' and the whitespace after it. */
static int nested_key(json_cursor *c, tamis_str owner)
{
    tamis_str key;
    if (peek(c) != '"')
        return syntax(c, "expected a key string");
    int rc = json_string(c, false, &key);
    if (rc != TAMIS_OK)
        return rc;
    if (key.len > TAMIS_MAX_FIELD_BYTES)
        return over_field_cap(c, "a key inside the value of", owner, key.len);
    skip_ws(c);
    if (peek(c) != ':')
        return syntax(c, "expected ':' after a key");
    c->s++;
    skip_ws(c);
    return TAMIS_OK;
}

_Static_assert(TAMIS_MAX_JSON_DEPTH <= 64, "skip_value keeps one bit per level in a uint64_t");

/* Validates and skips the value at c->s of the unknown key owner, without recursion:
 * a bit per level records whether it is an object (1) or an array (0). */
static int skip_value(json_cursor *c, tamis_str owner)
{
    uint64_t is_obj = 0;
    int depth = 0, rc = TAMIS_OK;
    tamis_str s;
    for (;;) {
        int ch = peek(c);
        if (ch == '{' || ch == '[') {
            if (depth == TAMIS_MAX_JSON_DEPTH) {
                char q[TAMIS_EV_QUOTE_BUF];
                return tamis_error_set(c->err, TAMIS_ELIMIT,
                                       "value of '%s' nests deeper than %d levels (cap "
                                       "TAMIS_MAX_JSON_DEPTH)",
                                       tamis_ev_quote(q, owner.ptr, owner.len),
                                       TAMIS_MAX_JSON_DEPTH);
            }
            is_obj = (is_obj & ~(UINT64_C(1) << depth)) | ((uint64_t)(ch == '{') << depth);
            depth++;
            c->s++;
            skip_ws(c);
            if (peek(c) == (ch == '{' ? '}' : ']')) {
                c->s++;
                depth--;
            } else {
                if (ch == '{' && (rc = nested_key(c, owner)) != TAMIS_OK)
                    return rc;
                continue; /* parse the first member's value */
            }
        } else if (ch == '"') {
            if ((rc = json_string(c, false, &s)) != TAMIS_OK)
                return rc;
            if (s.len > TAMIS_MAX_FIELD_BYTES)
                return over_field_cap(c, "a string in the value of", owner, s.len);
        } else if (ch == '-' || is_digit(ch)) {
            if ((rc = json_number(c, &s)) != TAMIS_OK)
                return rc;
        } else if ((rc = json_literal(c)) != TAMIS_OK) {
            return rc;
        }
        /* A value is complete: close containers until a ',' asks for the next one. */
        for (;;) {
            if (depth == 0)
                return TAMIS_OK;
            bool obj = (is_obj >> (depth - 1)) & 1;
            skip_ws(c);
            ch = peek(c);
            if (ch == (obj ? '}' : ']')) {
                c->s++;
                depth--;
                continue;
            }
            if (ch != ',')
                return syntax(c, obj ? "expected ',' or '}'" : "expected ',' or ']'");
            c->s++;
            skip_ws(c);
            if (obj && (rc = nested_key(c, owner)) != TAMIS_OK)
                return rc;
            break;
        }
    }
}

/* ------------------------------------------------------------------------------------
 * Unknown keys: warn once per distinct name, up to TAMIS_EV_MAX_WARNED_KEYS
 * ---------------------------------------------------------------------------------- */

static void warn_unknown(tamis_event_parser *p, tamis_str key)
{
    if (!p->warn || p->warned_full)
        return;
    for (uint32_t i = 0; i < p->n_warned; i++)
        if (p->warned_len[i] == key.len && memcmp(p->warned_key[i], key.ptr, key.len) == 0)
            return;
    p->warned_key[p->n_warned] = tamis_strndup(key.ptr, key.len);
    p->warned_len[p->n_warned] = key.len;
    p->n_warned++;
    char q[TAMIS_EV_QUOTE_BUF];
    char msg[TAMIS_EV_QUOTE_BUF + 160];
    tamis_ev_quote(q, key.ptr, key.len);
    if (p->n_warned == TAMIS_EV_MAX_WARNED_KEYS) {
        p->warned_full = true;
        snprintf(msg, sizeof msg,
                 "unknown key '%s' ignored (%d distinct unknown keys reported; further "
                 "unknown keys are ignored without warning)",
                 q, TAMIS_EV_MAX_WARNED_KEYS);
    } else {
        snprintf(msg, sizeof msg, "unknown key '%s' ignored", q);
    }
    p->warn(p->warn_ctx, msg);
}

void tamis_ev_ndjson_release(tamis_event_parser *p)
{
    for (uint32_t i = 0; i < p->n_warned; i++)
        tamis_free(p->warned_key[i]);
    p->n_warned = 0;
}

/* ------------------------------------------------------------------------------------
 * The object
 * ---------------------------------------------------------------------------------- */

/* One "key": value member; seen and unknown[] detect duplicate keys. */
static int member(json_cursor *c, tamis_event *ev, uint32_t *seen, tamis_str *unknown,
                  uint32_t *n_unknown)
{
    char q[TAMIS_EV_QUOTE_BUF];
    tamis_str key;
    if (peek(c) != '"')
        return syntax(c, "expected a key string");
    int rc = json_string(c, true, &key);
    if (rc != TAMIS_OK)
        return rc;
    if (key.len > TAMIS_MAX_FIELD_BYTES)
        return over_field_cap(c, "key", key, key.len);
    skip_ws(c);
    if (peek(c) != ':')
        return syntax(c, "expected ':' after a key");
    c->s++;
    skip_ws(c);
    int f = tamis_ev_field_lookup_exact(c->p, key.ptr, key.len);
    if (f >= 0) {
        if (*seen & (1u << f))
            return tamis_error_set(c->err, TAMIS_EINPUT, "duplicate key '%s'",
                                   tamis_field_name((tamis_field)f));
        *seen |= 1u << f;
        return known_value(c, f, &ev->text[f]);
    }
    for (uint32_t i = 0; i < *n_unknown; i++)
        if (unknown[i].len == key.len && memcmp(unknown[i].ptr, key.ptr, key.len) == 0)
            return tamis_error_set(c->err, TAMIS_EINPUT, "duplicate key '%s'",
                                   tamis_ev_quote(q, key.ptr, key.len));
    unknown[(*n_unknown)++] = key;
    warn_unknown(c->p, key);
    return skip_value(c, key);
}

int tamis_ev_ndjson_parse(tamis_event_parser *p, const char *line, size_t len,
                          tamis_event *ev, tamis_error *err)
{
    json_cursor c = {line, line, line + len, p, err};
    tamis_str unknown[TAMIS_MAX_FIELDS];
    uint32_t seen = 0, n_unknown = 0, n_keys = 0;
    int rc;
    if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 byte-order mark */
        c.s += 3;
    skip_ws(&c);
    if (peek(&c) != '{')
        return syntax(&c, "expected '{' (each line must be one JSON object)");
    c.s++;
    skip_ws(&c);
    if (peek(&c) == '}') {
        c.s++;
    } else {
        for (;;) {
            if (++n_keys > TAMIS_MAX_FIELDS)
                return tamis_error_set(err, TAMIS_ELIMIT,
                                       "more than %d keys in the object (cap "
                                       "TAMIS_MAX_FIELDS)",
                                       TAMIS_MAX_FIELDS);
            if ((rc = member(&c, ev, &seen, unknown, &n_unknown)) != TAMIS_OK)
                return rc;
            skip_ws(&c);
            int ch = peek(&c);
            if (ch != ',' && ch != '}')
                return syntax(&c, "expected ',' or '}'");
            c.s++;
            if (ch == '}')
                break;
            skip_ws(&c);
        }
    }
    skip_ws(&c);
    if (c.s != c.end)
        return syntax(&c, "unexpected bytes after the object");
    return tamis_ev_finish(p, ev, err);
}
