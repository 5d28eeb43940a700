/* lexer.c — segment expression text to tokens (see include/tamis/expr.h and
 * expr_int.h). Each token keeps its line and column for messages. Keywords (and, or,
 * not, in, between, is, null, true, false) are case-insensitive; names are
 * [A-Za-z_][A-Za-z0-9_]*. A number followed at once by d, h, m or w is a duration in
 * days; 4 digits followed by '-' start a date or time (parsed as event timestamps are,
 * src/event/timestamp.c, a bare date meaning its midnight UTC). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_int.h"
#include "tamis/alloc.h"
#include "tamis/event.h"

int expr_error(tamis_error *err, int code, int line, int col, const char *fmt, ...)
{
    char msg[TAMIS_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tamis_error_set(err, code, "line %d, col %d: %s", line, col, msg);
}

const char *expr_token_name(tok_kind k)
{
    static const char *const names[] = {"the end",  "a name", "a number", "a string", "a duration",
                                        "a time",   "'('",    "')'",      "','",      "a comparison",
                                        "'and'",    "'or'",   "'not'",    "'in'",     "'between'",
                                        "'is'",     "'null'", "'true'",   "'false'"};
    return (size_t)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static token *push(token_list *tl, tok_kind kind, int line, int col, const char *start, size_t len)
{
    token *t;
    tl->t = tamis_grow(tl->t, sizeof *tl->t, &tl->cap, tl->n + 1);
    t = &tl->t[tl->n++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->line = line;
    t->col = col;
    t->start = start;
    t->len = len;
    return t;
}

static bool word_is(const char *p, size_t n, const char *kw)
{
    return strlen(kw) == n && strncasecmp(p, kw, n) == 0;
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* A quoted string from p (at the opening quote); *used gets its length in the source. */
static int lex_string(const char *p, const char *end, int line, int col, char **out, size_t *used,
                      tamis_error *err)
{
    char quote = *p;
    size_t cap = 16, n = 0;
    char *s = tamis_malloc(cap);
    const char *q = p + 1;
    for (; q < end && *q != quote; q++) {
        char c = *q;
        if (c == '\n') {
            tamis_free(s);
            return expr_error(err, TAMIS_EINPUT, line, col, "string not closed before the end of the line");
        }
        if (c == '\\') {
            if (++q == end)
                break;
            c = *q == 'n' ? '\n' : *q == 't' ? '\t' : *q;
            if (*q != 'n' && *q != 't' && *q != '\\' && *q != '"' && *q != '\'') {
                tamis_free(s);
                return expr_error(err, TAMIS_EINPUT, line, col + (int)(q - p), "unknown escape '\\%c' in a string",
                                  *q);
            }
        }
        s = tamis_grow(s, 1, &cap, n + 2);
        s[n++] = c;
    }
    if (q >= end) {
        tamis_free(s);
        return expr_error(err, TAMIS_EINPUT, line, col, "string not closed: a %c is missing", quote);
    }
    s[n] = '\0';
    *out = s;
    *used = (size_t)(q - p) + 1;
    return TAMIS_OK;
}

/* A number, duration or time at p. */
static int lex_number(token_list *tl, const char *p, const char *end, int line, int col, size_t *used,
                      tamis_error *err)
{
    const char *q = p;
    token *t;
    if (end - p >= 5 && isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
        isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) && p[4] == '-') {
        char buf[64];
        int64_t ms;
        tamis_error terr;
        while (q < end && (isalnum((unsigned char)*q) || *q == '-' || *q == ':' || *q == '+' || *q == '.'))
            q++;
        if ((size_t)(q - p) >= sizeof buf - 12)
            return expr_error(err, TAMIS_EINPUT, line, col, "time '%.*s' is too long", (int)(q - p), p);
        if (q - p == 10)
            snprintf(buf, sizeof buf, "%.*sT00:00:00Z", 10, p);
        else
            snprintf(buf, sizeof buf, "%.*s", (int)(q - p), p);
        if (tamis_parse_ts(buf, strlen(buf), &ms, &terr) != TAMIS_OK)
            return expr_error(err, TAMIS_EINPUT, line, col, "bad time '%.*s' (write 2026-11-01 or 2026-11-01T08:00:00Z)",
                              (int)(q - p), p);
        t = push(tl, TK_TIME, line, col, p, (size_t)(q - p));
        t->ms = ms;
        *used = (size_t)(q - p);
        return TAMIS_OK;
    }
    while (q < end && (isdigit((unsigned char)*q) || *q == '.'))
        q++;
    {
        char buf[64], *stop;
        double v;
        if ((size_t)(q - p) >= sizeof buf)
            return expr_error(err, TAMIS_EINPUT, line, col, "number '%.*s' is too long", (int)(q - p), p);
        memcpy(buf, p, (size_t)(q - p));
        buf[q - p] = '\0';
        v = strtod(buf, &stop);
        if (*stop || stop == buf)
            return expr_error(err, TAMIS_EINPUT, line, col, "bad number '%s'", buf);
        if (q < end && (*q == 'd' || *q == 'h' || *q == 'm' || *q == 'w') && !(q + 1 < end && ident_char(q[1]))) {
            double per_day = *q == 'd' ? 1 : *q == 'w' ? 1.0 / 7 : *q == 'h' ? 24 : 1440;
            t = push(tl, TK_DURATION, line, col, p, (size_t)(q - p) + 1);
            t->num = v / per_day;
            *used = (size_t)(q - p) + 1;
            return TAMIS_OK;
        }
        if (q < end && ident_char(*q))
            return expr_error(err, TAMIS_EINPUT, line, col + (int)(q - p),
                              "unexpected '%c' after a number (durations are 14d, 12h, 30m or 2w)", *q);
        t = push(tl, TK_NUMBER, line, col, p, (size_t)(q - p));
        t->num = v;
        *used = (size_t)(q - p);
        return TAMIS_OK;
    }
}

int expr_lex(const char *text, size_t len, token_list *out, tamis_error *err)
{
    const char *p = text, *end = text + len, *line_start = text;
    int line = 1, rc;
    memset(out, 0, sizeof *out);
    while (p < end) {
        int col = (int)(p - line_start) + 1;
        size_t used = 1;
        char c = *p;
        token *t;
        if (c == '\n') {
            line++;
            line_start = p + 1;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            /* space */
        } else if (c == '#') { /* a comment to the end of the line */
            while (p + used < end && p[used] != '\n')
                used++;
        } else if (c == '(' || c == ')' || c == ',') {
            push(out, c == '(' ? TK_LPAREN : c == ')' ? TK_RPAREN : TK_COMMA, line, col, p, 1);
        } else if (c == '=' || c == '!' || c == '<' || c == '>') {
            cmp_op op;
            char d = p + 1 < end ? p[1] : '\0';
            if (c == '=') {
                op = OP_EQ;
                used = d == '=' ? 2 : 1;
            } else if (c == '!') {
                if (d != '=') {
                    expr_tokens_free(out);
                    return expr_error(err, TAMIS_EINPUT, line, col, "'!' alone is not an operator (use != or not)");
                }
                op = OP_NE;
                used = 2;
            } else if (c == '<') {
                op = d == '=' ? OP_LE : d == '>' ? OP_NE : OP_LT;
                used = (d == '=' || d == '>') ? 2 : 1;
            } else {
                op = d == '=' ? OP_GE : OP_GT;
                used = d == '=' ? 2 : 1;
            }
            t = push(out, TK_CMP, line, col, p, used);
            t->op = op;
        } else if (c == '"' || c == '\'') {
            char *s = NULL;
            if ((rc = lex_string(p, end, line, col, &s, &used, err)) != 0) {
                expr_tokens_free(out);
                return rc;
            }
            t = push(out, TK_STRING, line, col, p, used);
            t->text = s;
        } else if (isdigit((unsigned char)c) || (c == '.' && p + 1 < end && isdigit((unsigned char)p[1])) ||
                   (c == '-' && p + 1 < end && isdigit((unsigned char)p[1]) &&
                    (out->n == 0 || out->t[out->n - 1].kind == TK_CMP || out->t[out->n - 1].kind == TK_LPAREN ||
                     out->t[out->n - 1].kind == TK_COMMA || out->t[out->n - 1].kind == TK_AND))) {
            bool neg = c == '-';
            if ((rc = lex_number(out, p + neg, end, line, col, &used, err)) != 0) {
                expr_tokens_free(out);
                return rc;
            }
            if (neg) {
                out->t[out->n - 1].num = -out->t[out->n - 1].num;
                out->t[out->n - 1].start = p;
                used++;
            }
        } else if (isalpha((unsigned char)c) || c == '_') {
            tok_kind k = TK_IDENT;
            while (p + used < end && ident_char(p[used]))
                used++;
            if (word_is(p, used, "and"))
                k = TK_AND;
            else if (word_is(p, used, "or"))
                k = TK_OR;
            else if (word_is(p, used, "not"))
                k = TK_NOT;
            else if (word_is(p, used, "in"))
                k = TK_IN;
            else if (word_is(p, used, "between"))
                k = TK_BETWEEN;
            else if (word_is(p, used, "is"))
                k = TK_IS;
            else if (word_is(p, used, "null"))
                k = TK_NULL;
            else if (word_is(p, used, "true"))
                k = TK_TRUE;
            else if (word_is(p, used, "false"))
                k = TK_FALSE;
            t = push(out, k, line, col, p, used);
            if (k == TK_IDENT)
                t->text = tamis_strndup(p, used);
        } else {
            expr_tokens_free(out);
            if ((unsigned char)c >= 0x80)
                return expr_error(err, TAMIS_EINPUT, line, col, "unexpected non-ASCII character (quote text as \"...\")");
            return expr_error(err, TAMIS_EINPUT, line, col, "unexpected character '%c'", c);
        }
        p += used;
    }
    push(out, TK_EOF, line, (int)(p - line_start) + 1, p, 0);
    return TAMIS_OK;
}

void expr_tokens_free(token_list *tl)
{
    for (size_t i = 0; i < tl->n; i++)
        tamis_free(tl->t[i].text);
    tamis_free(tl->t);
    memset(tl, 0, sizeof *tl);
}
