#include "copencv.h"
#include <opencv2/core.hpp>

extern "C" const char *rcv_version(void) { return CV_VERSION; }
