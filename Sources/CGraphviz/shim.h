// Include Graphviz's headers by their <graphviz/...> path: the pkg-config include
// directory holds generic names (types.h, geom.h) that would shadow other headers.
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
