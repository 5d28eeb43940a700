/* expr_int.h — private to src/segment/{lexer,parser,compile,eval}.c: tokens, the
 * syntax tree and the compiled expression (include/tamis/expr.h is the public side).
 *
 * The tree lives in one array of nodes addressed by index; children are indices
 * (-1: none) and the items of an in (...) list are a run of indices in `lists`. The
 * compiler rewrites the parser's nodes in place (names become column numbers, types
 * are filled in) and appends the nodes of expanded segment() references. */
#ifndef TAMIS_EXPR_INT_H
#define TAMIS_EXPR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/expr.h"

/* ---- tokens (lexer.c) ---- */

typedef enum tok_kind {
    TK_EOF,
    TK_IDENT,   /* a name */
    TK_NUMBER,  /* num */
    TK_STRING,  /* text (escapes resolved) */
    TK_DURATION,/* num: days */
    TK_TIME,    /* ms */
    TK_LPAREN,
    TK_RPAREN,
    TK_COMMA,
    TK_CMP,     /* op */
    TK_AND,
    TK_OR,
    TK_NOT,
    TK_IN,
    TK_BETWEEN,
    TK_IS,
    TK_NULL,
    TK_TRUE,
    TK_FALSE
} tok_kind;

typedef enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } cmp_op;

typedef struct token {
    tok_kind kind;
    int line, col;      /* 1-based, of the first character */
    const char *start;  /* in the source */
    size_t len;
    double num;
    int64_t ms;
    cmp_op op;
    char *text;         /* TK_STRING / TK_IDENT: NUL-terminated copy (tamis_free) */
} token;

typedef struct token_list {
    token *t;
    size_t n, cap;
} token_list;

/* Splits text into tokens ending with TK_EOF. TAMIS_EINPUT with a positioned message. */
int expr_lex(const char *text, size_t len, token_list *out, tamis_error *err);
void expr_tokens_free(token_list *tl);
const char *expr_token_name(tok_kind k); /* for messages: "'and'", "a number", ... */

/* ---- the tree (parser.c, compile.c) ---- */

typedef enum node_kind {
    N_OR, N_AND, N_NOT,
    N_CMP,          /* a op b */
    N_IN,           /* a in (lists[first .. first+count)); negated: not in */
    N_BETWEEN,      /* a between b and c; negated */
    N_ISNULL,       /* a is null; negated: is not null */
    N_NAME,         /* an identifier before compiling: name */
    N_COLUMN,       /* a column: col */
    N_COUNTRY,      /* the contact's country */
    N_RFM,          /* an RFM field: col_index is its rfm_field */
    N_CALL,         /* a function call before compiling: name, args in lists */
    N_HAS_TAG,      /* has_tag(str) */
    N_ATTR,         /* attr(str) */
    N_CONSENT,      /* consent(str) */
    N_DAYS_SINCE,   /* days_since(a) */
    N_SEGMENT,      /* segment(str): a is the expanded expression's root */
    N_NUMBER, N_DURATION, N_STRING, N_TIME, N_BOOL, N_NULL
} node_kind;

typedef enum value_type { VT_UNKNOWN, VT_BOOL, VT_NUMBER, VT_STRING, VT_TIME, VT_NULL } value_type;

typedef struct node {
    node_kind kind;
    value_type type;    /* filled by the compiler */
    int line, col;
    int a, b, c;        /* children, -1 when absent */
    int first, count;   /* N_IN, N_CALL: items in lists[] */
    bool negated;
    cmp_op op;
    double num;         /* N_NUMBER, N_DURATION (days) */
    int64_t ms;         /* N_TIME */
    bool truth;         /* N_BOOL */
    char *str;          /* N_STRING text, N_NAME / N_CALL name, N_HAS_TAG ... argument */
    int col_index;      /* N_COLUMN */
} node;

struct tamis_expr {
    node *nodes;
    size_t n, cap;
    int *lists;
    size_t n_lists, cap_lists;
    int root;
};

/* The RFM names, in this order (N_RFM col_index). */
typedef enum rfm_field { RF_R, RF_F, RF_M, RF_FM, RF_SEGMENT, RF_RECENCY_DAYS, RF_FREQUENCY, RF_MONETARY,
                         RF__COUNT } rfm_field;

/* Parses the tokens into e's nodes; sets e->root. TAMIS_EINPUT / TAMIS_ELIMIT. */
int expr_parse(const token_list *tl, tamis_expr *e, tamis_error *err);
/* Appends a node (zeroed but for kind, position and a = b = c = -1); its index. */
int expr_node_new(tamis_expr *e, node_kind kind, int line, int col);
/* Formats "line L, col C: " + message into err with code. */
int expr_error(tamis_error *err, int code, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
