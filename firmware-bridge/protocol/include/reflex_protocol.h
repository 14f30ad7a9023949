#ifndef REFLEX_PROTOCOL_H
#define REFLEX_PROTOCOL_H
#include <stdint.h>
#include <stddef.h>
#endif
