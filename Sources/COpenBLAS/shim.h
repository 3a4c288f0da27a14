// OpenBLAS's C interface; the include directory comes from pkg-config (openblas.pc),
// which on Debian points at the variant the alternatives system selected.
#include <cblas.h>
#include <dlfcn.h>

// OpenBLAS single-threaded from now on, and the worker threads it started while it was
// being loaded stopped. gradviz gives those workers no work (Sources/GradvizCore/BLAS.swift),
// but each idle one spins in sched_yield for about 0.1 s of CPU before it sleeps, and
// OPENBLAS_NUM_THREADS, read as OpenBLAS loads (before main), cannot be set from inside.
// blas_thread_shutdown_ is what OpenBLAS's own fork handler calls to stop them; a build
// without threads has none (hence dlsym). Call it once: a later openblas_set_num_threads
// starts the workers again.
static inline void gradviz_openblas_single_threaded(void) {
    openblas_set_num_threads(1);
    int (*stop_workers)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
    if (stop_workers) stop_workers();
}

// glibc's malloc tuning, which Swift's Glibc module does not export (malloc.h), for
// GradvizCore's keepFreedTensorMemory() (Sources/GradvizCore/Scratch.swift).
#if defined(__GLIBC__)
#include <malloc.h>
static inline void gradviz_keep_freed_memory(int mmapThreshold, int trimThreshold) {
    mallopt(M_MMAP_THRESHOLD, mmapThreshold);
    mallopt(M_TRIM_THRESHOLD, trimThreshold);
}
#else
static inline void gradviz_keep_freed_memory(int mmapThreshold, int trimThreshold) {}
#endif
