#include "CGraphvizShim.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

// Graphviz reports through agerr, which prints to stderr unless a user function is set.
// The callback receives the message in pieces ("Error", ": ", text), so we append.
// Bounded: a pathological graph can emit one warning per node.
enum { capacity = 16 * 1024 };
static char captured[capacity];
static size_t captured_length;

static int capture(char *text) {
    size_t length = strlen(text);
    if (captured_length + length >= capacity) {
        length = capacity - 1 - captured_length;
    }
    memcpy(captured + captured_length, text, length);
    captured_length += length;
    captured[captured_length] = '\0';
    return 0;
}

void gvshim_errors_install(void) {
    agseterrf(capture);
}

void gvshim_errors_reset(void) {
    captured_length = 0;
    captured[0] = '\0';
    agreseterrors();
}

int gvshim_errors_seen_error(void) {
    // agerrors() is the highest level reported since the last reset, not a count.
    return agerrors() >= AGERR;
}

const char *gvshim_errors_text(void) {
    return captured;
}

// libpath, which routes dot's splines, reports a failed triangulation with fprintf to
// stderr in 2.42 ("libpath/shortest.c:324: triangulation failed"), not through agerr,
// and the edge is still drawn (dot falls back to another route). Such lines mean
// nothing to a gradviz user, so while Graphviz lays out or renders, file descriptor 2
// points at a temporary file whose text joins the captured warnings. Nothing else
// writes to stderr meanwhile: the caller holds the Graphviz lock and waits. (The cost: a
// crash inside Graphviz would leave its report in that file.)
static FILE *held_file;
static int held_fd = -1;

void gvshim_stderr_hold(void) {
    if (held_file) return;
    fflush(stderr);
    FILE *file = tmpfile();
    if (!file) return;  // no temporary directory: leave stderr as it is
    int saved = dup(2);
    if (saved < 0 || dup2(fileno(file), 2) < 0) {
        if (saved >= 0) close(saved);
        fclose(file);
        return;
    }
    held_file = file;
    held_fd = saved;
}

void gvshim_stderr_release(void) {
    if (!held_file) return;
    fflush(stderr);
    dup2(held_fd, 2);
    close(held_fd);
    held_fd = -1;
    rewind(held_file);
    char text[1024];
    size_t length;
    while ((length = fread(text, 1, sizeof text - 1, held_file)) > 0) {
        text[length] = '\0';
        capture(text);
    }
    fclose(held_file);
    held_file = NULL;
}
