/* parser.c — tokens to the syntax tree of a segment expression (expr_int.h), by
 * recursive descent. The grammar, loosest first:
 *
 *   expr    := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | test
 *   test    := operand [ CMP operand
 *                      | ['not'] 'in' '(' operand (',' operand)* ')'
 *                      | ['not'] 'between' operand 'and' operand
 *                      | 'is' ['not'] 'null' ]
 *   operand := NUMBER | DURATION | STRING | TIME | 'true' | 'false' | 'null'
 *            | NAME | NAME '(' [operand (',' operand)*] ')' | '(' expr ')'
 *
 * Depth and size are capped (TAMIS_EXPR_MAX_DEPTH, _NODES, _LIST); names and calls are
 * left for the compiler to resolve. */
#include <string.h>

#include "expr_int.h"
#include "tamis/alloc.h"

typedef struct parser {
    const token_list *tl;
    size_t pos;
    tamis_expr *e;
    int depth;
    tamis_error *err;
} parser;

int expr_node_new(tamis_expr *e, node_kind kind, int line, int col)
{
    node *n;
    e->nodes = tamis_grow(e->nodes, sizeof *e->nodes, &e->cap, e->n + 1);
    n = &e->nodes[e->n];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->line = line;
    n->col = col;
    n->a = n->b = n->c = -1;
    return (int)e->n++;
}

static const token *peek(const parser *p)
{
    return &p->tl->t[p->pos];
}

static const token *take(parser *p)
{
    const token *t = &p->tl->t[p->pos];
    if (t->kind != TK_EOF)
        p->pos++;
    return t;
}

/* A new node at token t, within the cap; -1 with err set past it. */
static int new_node(parser *p, node_kind kind, const token *t)
{
    if (p->e->n >= TAMIS_EXPR_MAX_NODES) {
        expr_error(p->err, TAMIS_ELIMIT, t->line, t->col, "expression has more than %d parts (TAMIS_EXPR_MAX_NODES)",
                   TAMIS_EXPR_MAX_NODES);
        return -1;
    }
    return expr_node_new(p->e, kind, t->line, t->col);
}

static int unexpected(parser *p, const token *t, const char *wanted)
{
    if (t->kind == TK_EOF)
        return expr_error(p->err, TAMIS_EINPUT, t->line, t->col, "expected %s, but the expression ends", wanted);
    return expr_error(p->err, TAMIS_EINPUT, t->line, t->col, "expected %s, found '%.*s'", wanted, (int)t->len,
                      t->start);
}

static int parse_or(parser *p, int *out);

static int enter(parser *p, const token *t)
{
    if (++p->depth > TAMIS_EXPR_MAX_DEPTH)
        return expr_error(p->err, TAMIS_ELIMIT, t->line, t->col, "expression nested deeper than %d (TAMIS_EXPR_MAX_DEPTH)",
                          TAMIS_EXPR_MAX_DEPTH);
    return TAMIS_OK;
}

/* Items of a parenthesised, comma-separated list after '(' (already taken) up to ')'. */
static int parse_items(parser *p, int owner, int max, const char *what, int (*item)(parser *, int *))
{
    int first = (int)p->e->n_lists, count = 0, rc, idx;
    int *items = NULL;
    size_t n_items = 0, cap_items = 0;
    if (peek(p)->kind == TK_RPAREN) {
        take(p);
        p->e->nodes[owner].first = first;
        return TAMIS_OK;
    }
    for (;;) {
        const token *t = peek(p);
        if (count >= max) {
            tamis_free(items);
            return expr_error(p->err, TAMIS_ELIMIT, t->line, t->col, "more than %d %s", max, what);
        }
        if ((rc = item(p, &idx)) != 0) {
            tamis_free(items);
            return rc;
        }
        items = tamis_grow(items, sizeof *items, &cap_items, n_items + 1);
        items[n_items++] = idx;
        count++;
        t = take(p);
        if (t->kind == TK_RPAREN)
            break;
        if (t->kind != TK_COMMA) {
            tamis_free(items);
            return unexpected(p, t, "',' or ')'");
        }
    }
    /* Nested lists were appended meanwhile: this list's items go after them. */
    first = (int)p->e->n_lists;
    p->e->lists = tamis_grow(p->e->lists, sizeof *p->e->lists, &p->e->cap_lists, p->e->n_lists + n_items);
    memcpy(p->e->lists + p->e->n_lists, items, n_items * sizeof *items);
    p->e->n_lists += n_items;
    tamis_free(items);
    p->e->nodes[owner].first = first;
    p->e->nodes[owner].count = count;
    return TAMIS_OK;
}

static int parse_operand(parser *p, int *out)
{
    const token *t = take(p);
    int idx, rc;
    switch (t->kind) {
    case TK_NUMBER:
    case TK_DURATION:
        if ((idx = new_node(p, t->kind == TK_NUMBER ? N_NUMBER : N_DURATION, t)) < 0)
            return p->err->code;
        p->e->nodes[idx].num = t->num;
        break;
    case TK_STRING:
        if ((idx = new_node(p, N_STRING, t)) < 0)
            return p->err->code;
        p->e->nodes[idx].str = tamis_strdup(t->text);
        break;
    case TK_TIME:
        if ((idx = new_node(p, N_TIME, t)) < 0)
            return p->err->code;
        p->e->nodes[idx].ms = t->ms;
        break;
    case TK_TRUE:
    case TK_FALSE:
        if ((idx = new_node(p, N_BOOL, t)) < 0)
            return p->err->code;
        p->e->nodes[idx].truth = t->kind == TK_TRUE;
        break;
    case TK_NULL:
        if ((idx = new_node(p, N_NULL, t)) < 0)
            return p->err->code;
        break;
    case TK_IDENT:
        if (peek(p)->kind == TK_LPAREN) {
            take(p);
            if ((idx = new_node(p, N_CALL, t)) < 0)
                return p->err->code;
            p->e->nodes[idx].str = tamis_strdup(t->text);
            if ((rc = enter(p, t)) != 0 || (rc = parse_items(p, idx, 8, "arguments", parse_operand)) != 0)
                return rc;
            p->depth--;
        } else {
            if ((idx = new_node(p, N_NAME, t)) < 0)
                return p->err->code;
            p->e->nodes[idx].str = tamis_strdup(t->text);
        }
        break;
    case TK_LPAREN:
        if ((rc = enter(p, t)) != 0 || (rc = parse_or(p, &idx)) != 0)
            return rc;
        p->depth--;
        if ((t = take(p))->kind != TK_RPAREN)
            return unexpected(p, t, "')'");
        break;
    default:
        return unexpected(p, t, "a value, a name or '('");
    }
    *out = idx;
    return TAMIS_OK;
}

static int parse_test(parser *p, int *out)
{
    const token *t;
    int left, idx, rc, sub;
    bool negated = false;
    if ((rc = parse_operand(p, &left)) != 0)
        return rc;
    t = peek(p);
    if (t->kind == TK_NOT && (p->tl->t[p->pos + 1].kind == TK_IN || p->tl->t[p->pos + 1].kind == TK_BETWEEN)) {
        take(p);
        negated = true;
        t = peek(p);
    }
    if (t->kind == TK_CMP) {
        take(p);
        if ((idx = new_node(p, N_CMP, t)) < 0)
            return p->err->code;
        p->e->nodes[idx].op = t->op;
        p->e->nodes[idx].a = left;
        if ((rc = parse_operand(p, &sub)) != 0)
            return rc;
        p->e->nodes[idx].b = sub; /* after the call: it may move the nodes */
    } else if (t->kind == TK_IN) {
        const token *lp;
        take(p);
        if ((lp = take(p))->kind != TK_LPAREN)
            return unexpected(p, lp, "'(' after 'in'");
        if ((idx = new_node(p, N_IN, t)) < 0)
            return p->err->code;
        p->e->nodes[idx].a = left;
        p->e->nodes[idx].negated = negated;
        if ((rc = parse_items(p, idx, TAMIS_EXPR_MAX_LIST, "values in a list (TAMIS_EXPR_MAX_LIST)", parse_operand)) != 0)
            return rc;
        if (p->e->nodes[idx].count == 0)
            return expr_error(p->err, TAMIS_EINPUT, t->line, t->col, "'in' needs at least one value");
    } else if (t->kind == TK_BETWEEN) {
        const token *and_tok;
        take(p);
        if ((idx = new_node(p, N_BETWEEN, t)) < 0)
            return p->err->code;
        p->e->nodes[idx].a = left;
        p->e->nodes[idx].negated = negated;
        if ((rc = parse_operand(p, &sub)) != 0)
            return rc;
        p->e->nodes[idx].b = sub; /* after the call: it may move the nodes */
        if ((and_tok = take(p))->kind != TK_AND)
            return unexpected(p, and_tok, "'and' in 'between ... and ...'");
        if ((rc = parse_operand(p, &sub)) != 0)
            return rc;
        p->e->nodes[idx].c = sub; /* after the call: it may move the nodes */
    } else if (t->kind == TK_IS) {
        const token *n;
        take(p);
        if ((idx = new_node(p, N_ISNULL, t)) < 0)
            return p->err->code;
        p->e->nodes[idx].a = left;
        if (peek(p)->kind == TK_NOT) {
            take(p);
            p->e->nodes[idx].negated = true;
        }
        if ((n = take(p))->kind != TK_NULL)
            return unexpected(p, n, "'null' after 'is'");
    } else {
        idx = left; /* a value on its own: a boolean column, has_tag(), segment(), ... */
    }
    *out = idx;
    return TAMIS_OK;
}

static int parse_not(parser *p, int *out)
{
    const token *t = peek(p);
    int idx, rc, sub;
    if (t->kind != TK_NOT)
        return parse_test(p, out);
    take(p);
    if ((rc = enter(p, t)) != 0)
        return rc;
    if ((idx = new_node(p, N_NOT, t)) < 0)
        return p->err->code;
    if ((rc = parse_not(p, &sub)) != 0)
        return rc;
    p->e->nodes[idx].a = sub; /* after the call: it may move the nodes */
    p->depth--;
    *out = idx;
    return TAMIS_OK;
}

/* A left-leaning chain of `kind` nodes joined by the token `op`. */
static int parse_chain(parser *p, int *out, tok_kind op, node_kind kind, int (*sub)(parser *, int *))
{
    int left, rc;
    if ((rc = sub(p, &left)) != 0)
        return rc;
    while (peek(p)->kind == op) {
        const token *t = take(p);
        int idx = new_node(p, kind, t), right;
        if (idx < 0)
            return p->err->code;
        p->e->nodes[idx].a = left;
        if ((rc = sub(p, &right)) != 0)
            return rc;
        p->e->nodes[idx].b = right; /* after the call: it may move the nodes */
        left = idx;
    }
    *out = left;
    return TAMIS_OK;
}

static int parse_and(parser *p, int *out)
{
    return parse_chain(p, out, TK_AND, N_AND, parse_not);
}

static int parse_or(parser *p, int *out)
{
    return parse_chain(p, out, TK_OR, N_OR, parse_and);
}

int expr_parse(const token_list *tl, tamis_expr *e, tamis_error *err)
{
    parser p = {.tl = tl, .e = e, .err = err};
    const token *t;
    int rc;
    if (tl->t[0].kind == TK_EOF)
        return expr_error(err, TAMIS_EINPUT, 1, 1, "the expression is empty");
    if ((rc = parse_or(&p, &e->root)) != 0)
        return rc;
    if ((t = peek(&p))->kind != TK_EOF)
        return unexpected(&p, t, "'and', 'or' or the end");
    return TAMIS_OK;
}
