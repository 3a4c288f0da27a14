#pragma once
// C helpers for the Swift `Graphviz` module: the things Swift cannot or should not do
// itself with libcgraph/libgvc 2.42 (mutable globals, variadic error callbacks,
// signatures that changed between Graphviz versions, layout records behind macros).
// Every function here must be called with the process-wide Graphviz lock held.

#include <stddef.h>
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

// Agdirected / Agstrictdirected are mutable globals, which Swift 6 refuses to read.
Agdesc_t gvshim_directed(void);
Agdesc_t gvshim_strict_directed(void);

// agopen with an ID discipline that numbers named objects in creation order. cgraph's
// default uses the address of the pooled name as the ID, and subgraphs are kept in ID
// order, so cluster order (in the SVG, and as input to dot) would follow malloc.
// Cost: cgraph 2.42's agclose leaks a few hundred bytes of its internal name map per
// graph (valgrind), not per node.
Agraph_t *gvshim_open(const char *name, Agdesc_t kind);

// Error capture: once installed, Graphviz's messages go to a bounded buffer instead of
// stderr. gvshim_errors_reset() empties it and resets agerrors() before an operation.
void gvshim_errors_install(void);
void gvshim_errors_reset(void);
// Non-zero when an error (not just a warning) was reported since the last reset.
int gvshim_errors_seen_error(void);
// The captured text since the last reset (never NULL; owned by the shim).
const char *gvshim_errors_text(void);
// Between hold and release, what Graphviz prints to stderr itself (libpath does, bypassing
// agerr) is captured with the messages instead. Release once for every hold.
void gvshim_stderr_hold(void);
void gvshim_stderr_release(void);

// Names of the installed plugins of a kind ("layout", "device", ...), separated by
// single spaces. Returns a malloc'd string the caller frees with gvshim_free; "" when
// there are none.
char *gvshim_plugin_names(GVC_t *gvc, const char *kind);
void gvshim_free(void *pointer);

// gvRenderData, whose length parameter is `unsigned int *` in 2.42 and `size_t *` in
// later releases. Free *data with gvFreeRenderData.
int gvshim_render_data(GVC_t *gvc, Agraph_t *g, const char *format, char **data, size_t *length);

// Sets an HTML-like string attribute. Declares the attribute with `declared_default`
// when the object kind does not have it yet. Returns 0 on success.
int gvshim_set_html(void *object, const char *name, const char *html, const char *declared_default);
// Non-zero when `text` is in the graph's string pool as an HTML-like string, so a plain
// value with that text would be read as HTML.
int gvshim_pooled_as_html(Agraph_t *g, const char *text);

// The edge from t to h with this key in g, created if `create` is non-zero. A lookup
// finds the in-edge half of cgraph's edge pair; this always returns the out-edge half,
// so one edge has one address.
Agedge_t *gvshim_edge(Agraph_t *g, Agnode_t *t, Agnode_t *h, const char *key, int create);

// Layout results, in points (y grows upwards). Return 0 when the object has no layout.
int gvshim_node_center(Agnode_t *n, double *x, double *y);
int gvshim_node_size(Agnode_t *n, double *width, double *height);
int gvshim_graph_bounds(Agraph_t *g, double *llx, double *lly, double *urx, double *ury);

// Label sizes after a layout, in points; `which` is 0 for `label`, 1 for `xlabel`.
// Return 0 when the object has no such label (or no layout).
int gvshim_edge_label_size(Agedge_t *e, int which, double *width, double *height);
// Where a laid-out edge's `label` (not xlabel) or a graph's or cluster's label stands: its
// center and size, in points. Return 0 when there is none placed.
int gvshim_edge_label_box(Agedge_t *e, double *x, double *y, double *width, double *height);
int gvshim_graph_label_box(Agraph_t *g, double *x, double *y, double *width, double *height);
int gvshim_node_xlabel_size(Agnode_t *n, double *width, double *height);
int gvshim_graph_label_size(Agraph_t *g, double *width, double *height);
// The ends of an edge (agtail/aghead are macros).
Agnode_t *gvshim_tail(Agedge_t *e);
Agnode_t *gvshim_head(Agedge_t *e);

// gvRender into a file descriptor (left open). Graphviz exits the process when a write
// comes up short (gvwrite: "gvwrite_no_z problem"), so the stream it is given never
// fails: the first write error is kept in *write_errno (0 when all was written) and the
// rest of the output is dropped. Returns gvRender's result. With report_every > 0,
// progress(bytes written so far, context) is called each time another report_every bytes
// have been written.
int gvshim_render_fd(GVC_t *gvc, Agraph_t *g, const char *format, int fd, int *write_errno,
                     size_t report_every, void (*progress)(size_t written, void *context), void *context);

// Text measuring without the shapes (textshapes.c): wraps the pango plugin's measuring
// function so that, while gvshim_text_shapes_keep(0) is in force, each label's shaped
// text (kept only for cairo's renderers: png, pdf) is freed as soon as it is measured.
// Sizes are unchanged. Call install once the context exists; returns 0 when the pango
// plugin is not the one loaded (then shapes are always kept).
int gvshim_text_shapes_install(void);
void gvshim_text_shapes_keep(int keep);

// Hands the pages of freed memory back to the system (glibc's malloc_trim; nothing
// elsewhere). Graphviz lays out on a thread of its own, whose malloc arena cannot reuse
// what the main thread freed, nor the other way round: a large drawing's peak would
// count both.
void gvshim_release_free_memory(void);
// Bytes malloc has handed out and not got back (glibc's mallinfo2; 0 elsewhere): what
// the tests of this layer weigh its memory by.
size_t gvshim_heap_in_use(void);
