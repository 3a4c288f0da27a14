#define _GNU_SOURCE  // dl_iterate_phdr, RTLD_NOLOAD
#include "CGraphvizShim.h"
#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <graphviz/gvplugin.h>
#include <graphviz/gvplugin_textlayout.h>

// Graphviz sizes every piece of text with its textlayout plugin (pango's, in
// libgvplugin_pango). Pango's keeps the shaped text of each piece (a PangoLayout with
// its glyph strings, about 1 KB; TextShapesTests) in the label until the layout is freed, for cairo's
// renderers (png, pdf), which draw text from it; the svg and dot writers only read the
// sizes. The 100,000-op drawing has 600,000 pieces of text: 400 MB of shaped text no one
// reads. So the plugin's function is wrapped: it measures as before (the same numbers,
// the same fonts) and, when the caller says the shapes are not needed, frees the shape
// right away.
//
// Graphviz selects the textlayout plugin once per context and keeps a pointer to the
// plugin's engine (a table holding the function); the table is the plugin's own writable
// data, reached through the plugin's exported list of types, so replacing the function in
// it is the one way in through public headers.

typedef boolean (*textlayout_fn)(textspan_t *span, char **fontpath);

static textlayout_fn measure_and_shape;
static int keep_shapes = 1;

static boolean measure(textspan_t *span, char **fontpath) {
    boolean ok = measure_and_shape(span, fontpath);
    if (!keep_shapes && span->layout) {
        if (span->free_layout) span->free_layout(span->layout);
        span->layout = NULL;
        span->free_layout = NULL;
    }
    return ok;
}

static int find_pango_plugin(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    if (info->dlpi_name && strstr(info->dlpi_name, "libgvplugin_pango")) {
        *(const char **)data = info->dlpi_name;
        return 1;
    }
    return 0;
}

int gvshim_text_shapes_install(void) {
    if (measure_and_shape) return 1;
    // Loaded by gvContext, which selects the best textlayout plugin right away.
    const char *path = NULL;
    dl_iterate_phdr(find_pango_plugin, &path);
    if (!path) return 0;
    void *library = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
    if (!library) return 0;
    gvplugin_installed_t *types = dlsym(library, "gvtextlayout_pango_types");
    // The reference from dlopen is dropped at once: Graphviz's own keeps the plugin loaded.
    dlclose(library);
    if (!types) return 0;
    for (gvplugin_installed_t *t = types; t->type; t++) {
        if (strcmp(t->type, "textlayout") != 0 || !t->engine) continue;
        gvtextlayout_engine_t *engine = t->engine;
        if (!engine->textlayout) return 0;
        measure_and_shape = engine->textlayout;
        engine->textlayout = measure;
        return 1;
    }
    return 0;
}

void gvshim_text_shapes_keep(int keep) { keep_shapes = keep; }
