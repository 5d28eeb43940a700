/* web_assets.h — the files of the browser dashboard (web/ and ECharts from
 * node_modules), embedded into the binary at build time so that `tamis serve` needs
 * nothing on disk. CMake generates their definition (src/serve/web_assets.c.in, an
 * .incbin per file) into the build directory; routes_dash.c serves them. */
#ifndef TAMIS_WEB_ASSETS_H
#define TAMIS_WEB_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct srv_asset {
    const char *name;          /* "index.html", "app.js", "style.css", "echarts.min.js" */
    const char *content_type;
    const unsigned char *data; /* static, len bytes (followed by a NUL) */
    size_t len;
    bool long_lived;           /* a pinned third-party file: cacheable for a day */
} srv_asset;

/* The asset called name, or false when there is none. */
bool srv_asset_find(const char *name, srv_asset *out);

#endif
