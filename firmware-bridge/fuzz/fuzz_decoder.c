/*
 * libFuzzer target: the byte-at-a-time frame decoder and the message decoders of the shared protocol C.
 *
 * Besides "no crash, no sanitizer report", it checks properties a receiver relies on:
 *  - every non-empty run of bytes before a 0x00 ends in exactly one frame or one counted error;
 *  - the counters add up to the frames and errors returned, and a frame whose payload or type the caller
 *    rejects (rfx_decoder_count) moves from the frames to exactly one error counter;
 *  - sequence gaps are counted only between valid frames;
 *  - a frame that decodes as a message re-encodes to the very same bytes (the layouts are bijective);
 *  - COBS encoding of the input decodes back to the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reflex_protocol.h"

#define REQUIRE(cond)                                                                                   \
    do {                                                                                                \
        if (!(cond)) {                                                                                  \
            __builtin_trap();                                                                           \
        }                                                                                               \
    } while (0)

static rfx_decoder decoder;
static rfx_message message;

/* Returns 0 when the frame's message decoded, else the status (the frame then counts as malformed). */
static rfx_status check_round_trip(const rfx_frame_view *f) {
    uint8_t wire[RFX_MAX_WIRE_FRAME];
    uint8_t raw[RFX_MAX_RAW_FRAME];
    size_t wire_len = 0;
    size_t raw_len = 0;
    const uint8_t *original = f->payload - RFX_HEADER_SIZE;
    size_t original_len = f->payload_len + RFX_MIN_RAW_FRAME;
    rfx_status st = rfx_message_decode(f, &message);
    if (st != RFX_OK) {
        REQUIRE(st == RFX_ERR_TYPE || st == RFX_ERR_LENGTH || st == RFX_ERR_VALUE);
        return st;
    }
    REQUIRE(rfx_message_encode(&message, wire, sizeof wire, &wire_len) == RFX_OK);
    REQUIRE(wire_len >= 2 && wire[wire_len - 1] == 0);
    REQUIRE(memchr(wire, 0, wire_len - 1) == NULL);
    REQUIRE(rfx_cobs_decode(wire, wire_len - 1, raw, sizeof raw, &raw_len) == RFX_OK);
    REQUIRE(raw_len == original_len);
    REQUIRE(memcmp(raw, original, raw_len) == 0);
    return RFX_OK;
}

static void check_cobs(const uint8_t *data, size_t size) {
    static uint8_t encoded[8192];
    static uint8_t decoded[8192];
    size_t enc_len = 0;
    size_t dec_len = 0;
    if (size > 4096) {
        return;
    }
    REQUIRE(rfx_cobs_encode(data, size, encoded, sizeof encoded, &enc_len) == RFX_OK);
    REQUIRE(memchr(encoded, 0, enc_len) == NULL);
    REQUIRE(rfx_cobs_decode(encoded, enc_len, decoded, sizeof decoded, &dec_len) == RFX_OK);
    REQUIRE(dec_len == size);
    REQUIRE(size == 0 || memcmp(decoded, data, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t i;
    size_t pending = 0; /* bytes since the last 0x00 */
    uint32_t frames = 0;
    uint32_t errors = 0;
    uint32_t rejected = 0;
    const rfx_decoder_stats *s = &decoder.stats;
    rfx_decoder_init(&decoder);
    for (i = 0; i < size; i++) {
        rfx_frame_view f;
        rfx_status error = RFX_OK;
        rfx_push_result r = rfx_decoder_push(&decoder, data[i], &f, &error);
        if (data[i] != 0) {
            REQUIRE(r == RFX_PUSH_NONE);
            pending++;
            continue;
        }
        if (pending == 0) {
            REQUIRE(r == RFX_PUSH_NONE);
        } else if (r == RFX_PUSH_FRAME) {
            rfx_status st;
            frames++;
            REQUIRE(f.payload_len <= RFX_MAX_PAYLOAD);
            REQUIRE(f.version == RFX_PROTOCOL_VERSION);
            st = check_round_trip(&f);
            if (st != RFX_OK) {
                rfx_decoder_count(&decoder, st);
                rejected++;
            }
        } else {
            REQUIRE(r == RFX_PUSH_ERROR);
            REQUIRE(error == RFX_ERR_COBS || error == RFX_ERR_LENGTH || error == RFX_ERR_CRC ||
                    error == RFX_ERR_VERSION);
            REQUIRE(pending <= RFX_MAX_COBS_FRAME || error == RFX_ERR_LENGTH);
            errors++;
        }
        pending = 0;
    }
    REQUIRE(s->frames == frames - rejected);
    REQUIRE(s->payload_errors + s->type_errors == rejected);
    REQUIRE(s->cobs_errors + s->crc_errors + s->version_errors + s->short_errors + s->long_errors == errors);
    REQUIRE(s->sequence_gaps <= frames);
    check_cobs(data, size);
    return 0;
}
