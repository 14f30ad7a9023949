// Test-only heap allocation counter: this target defines malloc and friends, so linking it into the test
// binary interposes them for the whole process. Each call forwards to glibc's own implementation
// (__libc_malloc …) and, when the calling thread has started counting, increments a thread-local counter.
// Other threads (XCTest, Dispatch, the telemetry writer) are never counted.
#include "allocation_counter.h"
#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static __thread int counting;
static __thread uint64_t count;

void allocation_counter_start(void) { count = 0; counting = 1; }
uint64_t allocation_counter_stop(void) { counting = 0; return count; }

void *malloc(size_t n) { if (counting) count++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { if (counting) count++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { if (counting) count++; return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t n) { if (counting) count++; return __libc_memalign(alignment, n); }
void *aligned_alloc(size_t alignment, size_t n) { if (counting) count++; return __libc_memalign(alignment, n); }
int posix_memalign(void **out, size_t alignment, size_t n) {
    if (counting) count++;
    void *p = __libc_memalign(alignment, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
