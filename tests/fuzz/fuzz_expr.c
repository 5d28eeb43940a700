/* fuzz_expr.c — libFuzzer target for the segment expression language
 * (src/segment/: lexer, parser, compiler, evaluator). The input's first line is a
 * segment definition that segment("s") names (so references, cycles and depth are
 * exercised), the rest is the expression. Each input is copied into an allocation of
 * exactly its size so that AddressSanitizer sees any read past it. A compiled
 * expression is evaluated against two hand-made users (one with nulls everywhere
 * nullable) and explained; a failed compile must leave a "line L, col C: " message. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/expr.h"
#include "tamis/model_config.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_expr: invariant failed: %s (line %d)\n", #cond, __LINE__);       \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef struct defs {
    const char *text;
    size_t len;
} defs;

/* segment("s") is the input's first line; segment("t") refers back to "s". */
static int definition(void *ctx, const char *name, char **text, tamis_error *err)
{
    const defs *d = ctx;
    (void)err;
    if (strcmp(name, "s") == 0) {
        *text = tamis_strndup(d->text, d->len);
        return TAMIS_OK;
    }
    if (strcmp(name, "t") == 0) {
        *text = tamis_strdup("segment(\"s\") or score > 50");
        return TAMIS_OK;
    }
    return TAMIS_ENOTFOUND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t def_len = nl ? (size_t)(nl - (const char *)data) : 0;
    size_t expr_len = nl ? size - def_len - 1 : size;
    char *def = tamis_malloc(def_len + 1), *text = tamis_malloc(expr_len + 1);
    defs d;
    tamis_expr_env env = {.segment_definition = definition, .ctx = &d};
    tamis_expr *e = NULL;
    tamis_error err = {0};
    memcpy(def, data, def_len);
    def[def_len] = '\0';
    memcpy(text, nl ? nl + 1 : (const char *)data, expr_len);
    d.text = def;
    d.len = strlen(def); /* a NUL inside stops the definition, as a C string would */
    if (tamis_expr_compile(text, expr_len, &env, &e, &err) == TAMIS_OK) {
        tamis_result r;
        tamis_features f;
        tamis_platform_names names;
        tamis_contact c;
        tamis_export_row row = {.user = "u", .zone = "UTC", .result = &r, .features = &f, .names = &names};
        tamis_expr_input in = {.row = &row, .contact = &c, .as_of_ms = INT64_C(1793491200000)};
        FILE *devnull = fopen("/dev/null", "w");
        memset(&r, 0, sizeof r);
        memset(&f, 0, sizeof f);
        memset(&names, 0, sizeof names);
        tamis_contact_init(&c);
        r.tier = TAMIS_TIER_OCCASIONAL;
        f.reply_rate_30 = NAN;
        (void)tamis_expr_match(e, &in);
        tamis_contact_add_tag(&c, "vip", 3);
        tamis_contact_set_attr(&c, "plan", 4, "gold", 4);
        memcpy(c.country, "VN", 3);
        f.n_platforms = 1;
        names.name[0] = "zalo";
        r.sub[0] = 255;
        (void)tamis_expr_match(e, &in);
        if (devnull) {
            tamis_expr_explain(e, devnull);
            fclose(devnull);
        }
        tamis_contact_free(&c);
        tamis_expr_free(e);
    } else {
        CHECK(err.code == TAMIS_EINPUT || err.code == TAMIS_ELIMIT);
        CHECK(strncmp(err.msg, "line ", 5) == 0 || strstr(err.msg, "TAMIS_EXPR_MAX_BYTES"));
    }
    tamis_free(def);
    tamis_free(text);
    return 0;
}
