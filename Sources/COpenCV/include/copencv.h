// A small C API over the OpenCV calls Reflex uses (owned by the vision work; see Sources/Vision).
#ifndef REFLEX_COPENCV_H
#define REFLEX_COPENCV_H
#ifdef __cplusplus
extern "C" {
#endif

/// The OpenCV version string this shim was built against ("4.6.0").
const char *rcv_version(void);

#ifdef __cplusplus
}
#endif
#endif
