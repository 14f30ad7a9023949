/*
 * Shared by the protocol's host tests (test_*.c): the CHECK counter, small helpers, and the golden
 * messages (PROTOCOL.md's worked examples, also in golden_frames.txt for the Swift tests).
 */
#ifndef REFLEX_PROTOCOL_TESTS_H
#define REFLEX_PROTOCOL_TESTS_H

#include "reflex_protocol.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int passed;
extern int failed;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (cond) {                                                                 \
            passed++;                                                               \
        } else {                                                                    \
            failed++;                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                           \
    } while (0)

rfx_string str(const char *s);
int str_eq(const rfx_string *a, const rfx_string *b);
/* Equal as bit patterns, so infinities and signed zeros count. */
int f32_same(float a, float b);

/* golden.c */
#define GOLDEN_COUNT 12
rfx_channel channel(const char *name, const char *unit, float min, float max, float safe);
void golden_message(int index, rfx_message *m, const char **name);
int print_golden(int verbose);
void test_golden(const char *path);

/* test_framing.c: CRC, COBS and the incremental decoder */
void test_crc(void);
void test_cobs(void);
void test_decoder(void);

/* test_messages.c: every message's encode/decode round trip and bad payloads */
void test_messages(void);

#endif
