// OpenBLAS's C interface; the include directory comes from pkg-config (openblas.pc),
// which on Debian points at the variant the alternatives system selected.
#include <cblas.h>
