/*
 * Host tests of the Reflex wire protocol C code: CRC check value, COBS round trips, every message's
 * round trip, the incremental decoder, and the golden frames shared with the Swift tests. The tests
 * live by concept in test_framing.c, test_messages.c and golden.c; this file runs them.
 *
 *   test_protocol GOLDEN_FILE      run the tests (exit 1 on any failure)
 *   test_protocol --print-golden   print the golden frames (how golden_frames.txt was made)
 */
#include "protocol_tests.h"

int passed = 0;
int failed = 0;

rfx_string str(const char *s) {
    rfx_string out;
    memset(&out, 0, sizeof out);
    out.len = (uint8_t)strlen(s);
    memcpy(out.bytes, s, out.len);
    return out;
}

int str_eq(const rfx_string *a, const rfx_string *b) {
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

int f32_same(float a, float b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--print-golden") == 0) {
        return print_golden(0);
    }
    if (argc > 1 && strcmp(argv[1], "--print-golden-raw") == 0) {
        return print_golden(1);
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s GOLDEN_FILE | --print-golden | --print-golden-raw\n", argv[0]);
        return 2;
    }
    test_crc();
    test_cobs();
    test_messages();
    test_decoder();
    test_golden(argv[1]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
