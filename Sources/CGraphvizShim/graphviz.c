#define _GNU_SOURCE  // fopencookie
#include "CGraphvizShim.h"
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
// Layout records (Agnodeinfo_t, Agraphinfo_t) are only reachable through this header.
#include <graphviz/types.h>

Agdesc_t gvshim_directed(void) { return Agdirected; }
Agdesc_t gvshim_strict_directed(void) { return Agstrictdirected; }

// Declining to map a name makes cgraph take the next anonymous ID (a counter) and keep
// the name in its own internal map, which agnameof and name lookups consult first.
static long map_names_internally(void *state, int objtype, char *name, IDTYPE *id, int createflag) {
    if (name) return 0;
    return AgIdDisc.map(state, objtype, NULL, id, createflag);
}

Agraph_t *gvshim_open(const char *name, Agdesc_t kind) {
    static Agiddisc_t sequential_ids;
    static Agdisc_t discipline;
    if (!sequential_ids.map) {
        sequential_ids = AgIdDisc;
        sequential_ids.map = map_names_internally;
        discipline = (Agdisc_t){ &AgMemDisc, &sequential_ids, &AgIoDisc };
    }
    return agopen((char *)name, kind, &discipline);
}

void gvshim_free(void *pointer) { free(pointer); }

// Later Graphviz releases dropped gvPluginList's unused last parameter and widened
// gvRenderData's length to size_t. _Generic on the function's type picks the call that
// matches the installed header, so this file compiles against either; the other branch
// is never evaluated.
typedef char **(*plugin_list_with_str)(GVC_t *, const char *, int *, char *);
typedef char **(*plugin_list_without_str)(GVC_t *, const char *, int *);
typedef int (*render_data_uint)(GVC_t *, Agraph_t *, const char *, char **, unsigned int *);

char *gvshim_plugin_names(GVC_t *gvc, const char *kind) {
    int count = 0;
    char **list = _Generic(&gvPluginList,
        plugin_list_with_str: ((plugin_list_with_str)(void (*)(void))gvPluginList)(gvc, kind, &count, NULL),
        default: ((plugin_list_without_str)(void (*)(void))gvPluginList)(gvc, kind, &count));
    size_t total = 1;
    for (int i = 0; i < count; i++) total += strlen(list[i]) + 1;
    char *names = malloc(total);
    if (!names) return NULL;
    names[0] = '\0';
    for (int i = 0; i < count; i++) {
        if (i > 0) strcat(names, " ");
        strcat(names, list[i]);
        free(list[i]);
    }
    free(list);
    return names;
}

int gvshim_render_data(GVC_t *gvc, Agraph_t *g, const char *format, char **data, size_t *length) {
    *data = NULL;
    *length = 0;
    // Passing the length through void * converts to whichever pointer type is declared.
    if (_Generic(&gvRenderData, render_data_uint: 1, default: 0)) {
        unsigned int n = 0;
        int rc = gvRenderData(gvc, g, format, data, (void *)&n);
        *length = n;
        return rc;
    }
    return gvRenderData(gvc, g, format, data, (void *)length);
}

static int attribute_kind(void *object) {
    int kind = agobjkind(object);
    return kind == AGINEDGE ? AGEDGE : kind;
}

int gvshim_set_html(void *object, const char *name, const char *html, const char *declared_default) {
    Agraph_t *root = agroot(object);
    Agsym_t *symbol = agattrsym(object, (char *)name);
    if (!symbol) symbol = agattr(root, attribute_kind(object), (char *)name, (char *)declared_default);
    if (!symbol) return -1;

    // The string pool is keyed by text alone: if the same text is already pooled as a
    // plain string, agstrdup_html returns that one and the markup would show literally.
    // An empty HTML comment changes the text without changing the drawing.
    static const char marker[] = "<!---->";
    enum { attempts = 8 };
    size_t length = strlen(html);
    char *candidate = malloc(length + attempts * (sizeof marker - 1) + 1);
    if (!candidate) return -1;
    memcpy(candidate, html, length + 1);
    int rc = -1;
    for (int i = 0; i < attempts; i++) {
        char *pooled = agstrdup_html(root, candidate);
        int is_html = aghtmlstr(pooled) != 0;
        if (is_html) rc = agxset(object, symbol, pooled);
        agstrfree(root, pooled);
        if (is_html) break;
        strcat(candidate, marker);
    }
    free(candidate);
    return rc;
}

int gvshim_pooled_as_html(Agraph_t *g, const char *text) {
    char *pooled = agstrdup(agroot(g), (char *)text);
    int is_html = aghtmlstr(pooled) != 0;
    agstrfree(agroot(g), pooled);
    return is_html;
}

Agedge_t *gvshim_edge(Agraph_t *g, Agnode_t *t, Agnode_t *h, const char *key, int create) {
    Agedge_t *e = agedge(g, t, h, (char *)key, create);
    return e ? AGMKOUT(e) : NULL;
}

int gvshim_node_center(Agnode_t *n, double *x, double *y) {
    Agnodeinfo_t *info = (Agnodeinfo_t *)aggetrec(n, "Agnodeinfo_t", 0);
    if (!info) return 0;
    *x = info->coord.x;
    *y = info->coord.y;
    return 1;
}

int gvshim_node_size(Agnode_t *n, double *width, double *height) {
    Agnodeinfo_t *info = (Agnodeinfo_t *)aggetrec(n, "Agnodeinfo_t", 0);
    if (!info) return 0;
    // Stored in inches.
    *width = info->width * 72.0;
    *height = info->height * 72.0;
    return 1;
}

int gvshim_graph_bounds(Agraph_t *g, double *llx, double *lly, double *urx, double *ury) {
    Agraphinfo_t *info = (Agraphinfo_t *)aggetrec(g, "Agraphinfo_t", 0);
    if (!info) return 0;
    *llx = info->bb.LL.x;
    *lly = info->bb.LL.y;
    *urx = info->bb.UR.x;
    *ury = info->bb.UR.y;
    return 1;
}

static int label_size(textlabel_t *label, double *width, double *height) {
    if (!label) return 0;
    *width = label->dimen.x;
    *height = label->dimen.y;
    return 1;
}

int gvshim_edge_label_size(Agedge_t *e, int which, double *width, double *height) {
    Agedgeinfo_t *info = (Agedgeinfo_t *)aggetrec(e, "Agedgeinfo_t", 0);
    if (!info) return 0;
    return label_size(which == 0 ? info->label : info->xlabel, width, height);
}

int gvshim_node_xlabel_size(Agnode_t *n, double *width, double *height) {
    Agnodeinfo_t *info = (Agnodeinfo_t *)aggetrec(n, "Agnodeinfo_t", 0);
    if (!info) return 0;
    return label_size(info->xlabel, width, height);
}

int gvshim_graph_label_size(Agraph_t *g, double *width, double *height) {
    Agraphinfo_t *info = (Agraphinfo_t *)aggetrec(g, "Agraphinfo_t", 0);
    if (!info) return 0;
    return label_size(info->label, width, height);
}

static int label_box(textlabel_t *label, double *x, double *y, double *width, double *height) {
    if (!label || !label->set) return 0;
    *x = label->pos.x;
    *y = label->pos.y;
    return label_size(label, width, height);
}

int gvshim_edge_label_box(Agedge_t *e, double *x, double *y, double *width, double *height) {
    Agedgeinfo_t *info = (Agedgeinfo_t *)aggetrec(e, "Agedgeinfo_t", 0);
    return info ? label_box(info->label, x, y, width, height) : 0;
}

int gvshim_graph_label_box(Agraph_t *g, double *x, double *y, double *width, double *height) {
    Agraphinfo_t *info = (Agraphinfo_t *)aggetrec(g, "Agraphinfo_t", 0);
    return info ? label_box(info->label, x, y, width, height) : 0;
}

Agnode_t *gvshim_tail(Agedge_t *e) { return agtail(e); }
Agnode_t *gvshim_head(Agedge_t *e) { return aghead(e); }

struct fd_sink {
    int fd;
    int error;
    size_t written, next_report, report_every;
    void (*progress)(size_t written, void *context);
    void *context;
};

static ssize_t fd_sink_write(void *cookie, const char *data, size_t size) {
    struct fd_sink *sink = cookie;
    size_t done = 0;
    while (sink->error == 0 && done < size) {
        ssize_t n = write(sink->fd, data + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { sink->error = n < 0 ? errno : EIO; break; }
        done += (size_t)n;
    }
    sink->written += done;
    if (sink->progress && sink->written >= sink->next_report) {
        sink->progress(sink->written, sink->context);
        while (sink->next_report <= sink->written) sink->next_report += sink->report_every;
    }
    return (ssize_t)size;  // never short: Graphviz would exit
}

int gvshim_render_fd(GVC_t *gvc, Agraph_t *g, const char *format, int fd, int *write_errno,
                     size_t report_every, void (*progress)(size_t written, void *context), void *context) {
    struct fd_sink sink = { fd, 0, 0, report_every, report_every, report_every > 0 ? progress : NULL, context };
    cookie_io_functions_t functions = { NULL, fd_sink_write, NULL, NULL };
    FILE *stream = fopencookie(&sink, "w", functions);
    if (!stream) { *write_errno = errno ? errno : ENOMEM; return 0; }
    int rc = gvRender(gvc, g, format, stream);
    fclose(stream);  // flushes through fd_sink_write
    *write_errno = sink.error;
    return rc;
}

#ifdef __GLIBC__
#include <malloc.h>
#endif

void gvshim_release_free_memory(void) {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

size_t gvshim_heap_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    return mallinfo2().uordblks;
#else
    return 0;
#endif
}
