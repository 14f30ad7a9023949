#ifndef REFLEX_CMATH_SHIM_H
#define REFLEX_CMATH_SHIM_H

#include <math.h>

/// sin(x) and cos(x) in one call. glibc's sincos shares the argument reduction between the two and returns
/// exactly what sin and cos return (same code paths; checked bit for bit in SineCosineTests), in about
/// 60 % of the time of the two calls. <math.h> declares it only under _GNU_SOURCE, which the Swift
/// module of the C library is not built with, so it is declared here.
#if defined(__GLIBC__)
extern void sincos(double x, double *sine, double *cosine);
static inline void reflex_sincos(double x, double *sine, double *cosine) { sincos(x, sine, cosine); }
#else
static inline void reflex_sincos(double x, double *sine, double *cosine) {
    *sine = sin(x);
    *cosine = cos(x);
}
#endif

#endif
