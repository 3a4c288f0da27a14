#include "CGraphvizShim.h"
#include <string.h>

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
