#include "reflex_protocol.h"
