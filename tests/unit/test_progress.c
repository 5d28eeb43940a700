/* test_progress.c — unit tests of the progress bar (src/util/progress.c).
 *
 * A disabled bar must write nothing at all (scripts read our stderr); an enabled one
 * draws "\r" + erase-line + label, bar, percent, rate and ETA, redraws at most every
 * 100 ms, and erases its line on finish. The bar draws on a memory stream here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tamis/progress.h"

typedef struct sink {
    FILE *f;
    char *buf;
    size_t len;
} sink;

static void sink_open(sink *s)
{
    s->buf = NULL;
    s->len = 0;
    s->f = open_memstream(&s->buf, &s->len);
    assert_non_null(s->f);
}

static size_t sink_len(sink *s)
{
    fflush(s->f);
    return s->len;
}

static void sink_close(sink *s)
{
    fclose(s->f);
    free(s->buf);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void test_disabled_writes_nothing(void **state)
{
    sink s;
    tamis_progress *p;
    (void)state;

    sink_open(&s);
    p = tamis_progress_new_to(s.f, "ingest", 1000, false);
    tamis_progress_update(p, 10, 10);
    sleep_ms(120);
    tamis_progress_update(p, 500, 500);
    tamis_progress_finish(p);
    tamis_progress_free(p);
    assert_int_equal(sink_len(&s), 0);
    sink_close(&s);

    /* NULL bars are accepted everywhere */
    tamis_progress_update(NULL, 1, 1);
    tamis_progress_finish(NULL);
    tamis_progress_free(NULL);
}

static void test_enabled_draws_bar(void **state)
{
    sink s;
    tamis_progress *p;
    size_t first;
    (void)state;

    sink_open(&s);
    p = tamis_progress_new_to(s.f, "ingest events.csv", 1000, true);
    sleep_ms(20); /* some elapsed time, for a rate */
    tamis_progress_update(p, 500, 12345);
    first = sink_len(&s);
    assert_true(first > 0);
    assert_memory_equal(s.buf, "\r\033[K", 4);
    assert_non_null(strstr(s.buf, "ingest events.csv"));
    assert_non_null(strstr(s.buf, " 50%"));
    assert_non_null(strstr(s.buf, "items/s"));
    assert_non_null(strstr(s.buf, "ETA "));
    assert_non_null(strstr(s.buf, "[============>"));
    assert_null(strchr(s.buf, '\n')); /* one line, redrawn in place */

    /* within 100 ms: no redraw */
    tamis_progress_update(p, 600, 13000);
    assert_int_equal(sink_len(&s), first);

    /* later: redrawn */
    sleep_ms(120);
    tamis_progress_update(p, 1000, 20000);
    assert_true(sink_len(&s) > first);
    assert_non_null(strstr(s.buf + first, "100%"));

    /* finish erases the line and leaves the cursor at its start */
    first = sink_len(&s);
    tamis_progress_finish(p);
    assert_int_equal(sink_len(&s), first + 4);
    assert_memory_equal(s.buf + first, "\r\033[K", 4);
    tamis_progress_free(p);
    sink_close(&s);
}

static void test_unknown_total(void **state)
{
    sink s;
    tamis_progress *p;
    (void)state;

    sink_open(&s);
    p = tamis_progress_new_to(s.f, "stdin", 0, true);
    sleep_ms(5);
    tamis_progress_update(p, 25000000, 100000);
    assert_true(sink_len(&s) > 0);
    assert_non_null(strstr(s.buf, "stdin 25.00MB"));
    assert_non_null(strstr(s.buf, "items/s"));
    assert_null(strchr(s.buf, '%'));
    assert_null(strstr(s.buf, "ETA"));
    tamis_progress_finish(p);
    tamis_progress_free(p);
    sink_close(&s);
}

static void test_finish_without_draw(void **state)
{
    sink s;
    tamis_progress *p;
    char label[200];
    (void)state;

    sink_open(&s);
    memset(label, 'x', sizeof label - 1);
    label[sizeof label - 1] = '\0';
    p = tamis_progress_new_to(s.f, label, 10, true);
    tamis_progress_finish(p); /* nothing drawn: nothing to erase */
    assert_int_equal(sink_len(&s), 0);
    tamis_progress_update(p, 20, 20); /* done past total: capped at 100% */
    assert_non_null(strstr(s.buf, "100%"));
    /* the label is cut at 48 bytes */
    assert_non_null(strstr(s.buf, "\r\033[Kxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ["));
    tamis_progress_free(p);
    sink_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disabled_writes_nothing),
        cmocka_unit_test(test_enabled_draws_bar),
        cmocka_unit_test(test_unknown_total),
        cmocka_unit_test(test_finish_without_draw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
