#ifndef REFLEX_ALLOCATION_COUNTER_H
#define REFLEX_ALLOCATION_COUNTER_H
#include <stdint.h>

/// Starts counting heap allocations made by the calling thread (malloc, calloc, realloc, aligned variants).
void allocation_counter_start(void);
/// Stops counting on the calling thread and returns the allocations counted since the start.
uint64_t allocation_counter_stop(void);

#endif
