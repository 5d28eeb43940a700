/* progress.c — the one-line progress bar of include/tamis/progress.h.
 *
 * Long commands (ingest, import-contacts, gen) call tamis_progress_update after each
 * batch; this file decides whether to redraw (at most every 100 ms of CLOCK_MONOTONIC,
 * so the cost per call is one clock read) and draws "\r" + erase-line + the bar on
 * its FILE (stderr unless created with tamis_progress_new_to). Disabled bars — stderr
 * not a terminal — never write anything, so scripts and logs stay clean. */
#include "tamis/progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tamis/alloc.h"

#define PROGRESS_LABEL_MAX 48     /* label bytes kept; longer labels are cut */
#define PROGRESS_REDRAW_NS 100000000 /* at most ten redraws a second */
#define PROGRESS_BAR_WIDTH 24

struct tamis_progress {
    FILE *out;
    char label[PROGRESS_LABEL_MAX + 1];
    uint64_t total;
    bool enabled;
    bool drawn;       /* the line holds a bar that finish must erase */
    int64_t start_ns;
    int64_t last_draw_ns;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

tamis_progress *tamis_progress_new_to(FILE *out, const char *label, uint64_t total_bytes,
                                      bool enabled)
{
    tamis_progress *p = tamis_calloc(1, sizeof *p);
    size_t n = label ? strlen(label) : 0;

    if (n > PROGRESS_LABEL_MAX)
        n = PROGRESS_LABEL_MAX;
    if (n)
        memcpy(p->label, label, n);
    p->label[n] = '\0';
    p->out = out;
    p->total = total_bytes;
    p->enabled = enabled && out != NULL;
    p->start_ns = now_ns();
    return p;
}

tamis_progress *tamis_progress_new(const char *label, uint64_t total_bytes, bool enabled)
{
    return tamis_progress_new_to(stderr, label, total_bytes, enabled);
}

/* "12.3M", "456k", "789": three significant digits for rates and sizes. */
static void human(char *out, size_t cap, double v)
{
    if (v >= 1e9)
        snprintf(out, cap, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(out, cap, "%.2fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(out, cap, "%.0fk", v / 1e3);
    else
        snprintf(out, cap, "%.0f", v);
}

static void clock_text(char *out, size_t cap, double seconds)
{
    unsigned long s = seconds > 359999 ? 359999ul : (unsigned long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(out, cap, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(out, cap, "%lu:%02lu", s / 60, s % 60);
}

static void draw(tamis_progress *p, uint64_t done, uint64_t items, int64_t t)
{
    double elapsed = (double)(t - p->start_ns) / 1e9;
    char rate[32], size[32], eta[32], bar[PROGRESS_BAR_WIDTH + 1];

    human(rate, sizeof rate, elapsed > 0 ? (double)items / elapsed : 0);
    if (p->total) {
        double frac = done >= p->total ? 1.0 : (double)done / (double)p->total;
        int fill = (int)(frac * PROGRESS_BAR_WIDTH);
        for (int i = 0; i < PROGRESS_BAR_WIDTH; i++)
            bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
        bar[PROGRESS_BAR_WIDTH] = '\0';
        if (done > 0 && done < p->total)
            clock_text(eta, sizeof eta, elapsed * (double)(p->total - done) / (double)done);
        else
            snprintf(eta, sizeof eta, done ? "0:00" : "-");
        fprintf(p->out, "\r\033[K%s [%s] %3d%%  %s items/s  ETA %s", p->label, bar,
                (int)(frac * 100), rate, eta);
    } else {
        human(size, sizeof size, (double)done);
        fprintf(p->out, "\r\033[K%s %sB  %s items/s", p->label, size, rate);
    }
    fflush(p->out);
    p->drawn = true;
    p->last_draw_ns = t;
}

void tamis_progress_update(tamis_progress *p, uint64_t done_bytes, uint64_t items)
{
    int64_t t;

    if (!p || !p->enabled)
        return;
    t = now_ns();
    if (p->drawn && t - p->last_draw_ns < PROGRESS_REDRAW_NS)
        return;
    draw(p, done_bytes, items, t);
}

void tamis_progress_finish(tamis_progress *p)
{
    if (!p || !p->enabled || !p->drawn)
        return;
    fputs("\r\033[K", p->out);
    fflush(p->out);
    p->drawn = false;
}

void tamis_progress_free(tamis_progress *p)
{
    tamis_free(p);
}
