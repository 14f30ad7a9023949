/* Framing: the CRC check value, COBS round trips, and the incremental decoder (counts by kind, resync). */
#include "protocol_tests.h"

void test_crc(void) {
    const uint8_t check[] = "123456789";
    uint16_t crc = 0xFFFF;
    size_t i;
    CHECK(rfx_crc16(check, 9) == 0x29B1);
    for (i = 0; i < 9; i++) {
        crc = rfx_crc16_update(crc, check[i]);
    }
    CHECK(crc == 0x29B1);
    CHECK(rfx_crc16(check, 0) == 0xFFFF);
}

static int cobs_round_trip(const uint8_t *data, size_t len) {
    uint8_t enc[600];
    uint8_t dec[600];
    size_t elen = 0, dlen = 0;
    size_t i;
    if (rfx_cobs_encode(data, len, enc, sizeof enc, &elen) != RFX_OK) return 0;
    for (i = 0; i < elen; i++) {
        if (enc[i] == 0) return 0;
    }
    /* COBS overhead: at most one byte per started 254 bytes (and one for empty input). */
    if (elen > len + len / 254 + 1) return 0;
    if (rfx_cobs_decode(enc, elen, dec, sizeof dec, &dlen) != RFX_OK) return 0;
    return dlen == len && (len == 0 || memcmp(dec, data, len) == 0);
}

void test_cobs(void) {
    uint8_t buf[600];
    uint8_t enc[600];
    size_t i, n = 0;
    size_t lengths[] = {0, 1, 2, 253, 254, 255, 256, 508, 509, 510};
    size_t k;

    /* Known encodings (Wikipedia's examples). */
    {
        const uint8_t a[] = {0x00};
        const uint8_t ea[] = {0x01, 0x01};
        const uint8_t b[] = {0x00, 0x00};
        const uint8_t eb[] = {0x01, 0x01, 0x01};
        const uint8_t c[] = {0x11, 0x22, 0x00, 0x33};
        const uint8_t ec[] = {0x03, 0x11, 0x22, 0x02, 0x33};
        CHECK(rfx_cobs_encode(a, 1, enc, sizeof enc, &n) == RFX_OK && n == 2 && memcmp(enc, ea, 2) == 0);
        CHECK(rfx_cobs_encode(b, 2, enc, sizeof enc, &n) == RFX_OK && n == 3 && memcmp(enc, eb, 3) == 0);
        CHECK(rfx_cobs_encode(c, 4, enc, sizeof enc, &n) == RFX_OK && n == 5 && memcmp(enc, ec, 5) == 0);
    }
    /* 254 non-zero bytes encode to 255 bytes (no trailing code), 255 to 257. */
    for (i = 0; i < 255; i++) buf[i] = (uint8_t)(i + 1 > 255 ? 1 : i + 1);
    CHECK(rfx_cobs_encode(buf, 254, enc, sizeof enc, &n) == RFX_OK && n == 255 && enc[0] == 0xFF);
    CHECK(rfx_cobs_encode(buf, 255, enc, sizeof enc, &n) == RFX_OK && n == 257 && enc[255] == 0x02);

    /* Runs of non-zero bytes, of zeros, and mixes, at the block boundaries. */
    for (k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
        size_t len = lengths[k];
        for (i = 0; i < len; i++) buf[i] = (uint8_t)(1 + i % 255);
        CHECK(cobs_round_trip(buf, len));
        memset(buf, 0, len);
        CHECK(cobs_round_trip(buf, len));
        for (i = 0; i < len; i++) buf[i] = (uint8_t)(i % 7 == 3 ? 0 : i * 13 + 1);
        CHECK(cobs_round_trip(buf, len));
        if (len > 0) {
            for (i = 0; i < len; i++) buf[i] = 0x42;
            buf[len - 1] = 0;
            CHECK(cobs_round_trip(buf, len));
        }
    }
    /* Pseudo-random buffers. */
    {
        uint32_t x = 12345;
        int t;
        for (t = 0; t < 200; t++) {
            size_t len = (size_t)(t * 3 % 520);
            for (i = 0; i < len; i++) {
                x = x * 1103515245u + 12345u;
                buf[i] = (uint8_t)((x >> 16) % 4 == 0 ? 0 : (x >> 8));
            }
            CHECK(cobs_round_trip(buf, len));
        }
    }
    /* Malformed input is reported, not decoded. */
    {
        const uint8_t bad1[] = {0x05, 0x11, 0x22};       /* code points past the end */
        const uint8_t bad2[] = {0x03, 0x11, 0x00, 0x22}; /* zero inside */
        uint8_t out[16];
        CHECK(rfx_cobs_decode(bad1, sizeof bad1, out, sizeof out, &n) == RFX_ERR_COBS);
        CHECK(rfx_cobs_decode(bad2, sizeof bad2, out, sizeof out, &n) == RFX_ERR_COBS);
        CHECK(rfx_cobs_encode(buf, 10, enc, 5, &n) == RFX_ERR_CAPACITY);
    }
}

void test_decoder(void) {
    static rfx_decoder d;
    uint8_t wire[RFX_MAX_WIRE_FRAME];
    uint8_t stream[2048];
    size_t n = 0, len = 0, i;
    rfx_message m;
    const char *name;
    rfx_frame_view view;
    int frames = 0, errors = 0;
    rfx_status err = RFX_OK;

    golden_message(5, &m, &name);
    CHECK(rfx_message_encode(&m, wire, sizeof wire, &n) == RFX_OK);
    /* garbage, frame, frame with a flipped payload bit, truncated frame, 300 bytes of 0xEE, frame */
    memcpy(stream + len, "\x13\x37\x00", 3); len += 3;
    memcpy(stream + len, wire, n); len += n;
    memcpy(stream + len, wire, n); stream[len + 6] ^= 0x10; len += n;
    memcpy(stream + len, wire, 5); len += 5; stream[len++] = 0;
    memset(stream + len, 0xEE, 300); len += 300; stream[len++] = 0;
    stream[len++] = 0;
    memcpy(stream + len, wire, n); len += n;
    rfx_decoder_init(&d);
    for (i = 0; i < len; i++) {
        rfx_push_result r = rfx_decoder_push(&d, stream[i], &view, &err);
        if (r == RFX_PUSH_FRAME) frames++;
        if (r == RFX_PUSH_ERROR) errors++;
    }
    CHECK(frames == 2);
    CHECK(errors == 4);
    CHECK(d.stats.frames == 2);
    CHECK(d.stats.crc_errors == 1);
    CHECK(d.stats.long_errors == 1); /* the 300-byte run overflowed the buffer */
    CHECK(d.stats.cobs_errors == 2); /* garbage and the truncated frame: a code byte points past the end */
    CHECK(d.stats.short_errors == 0 && d.stats.payload_errors == 0 && d.stats.type_errors == 0);
    CHECK(d.stats.sequence_gaps == 1); /* the same frame twice: the second's number is not the first's + 1 */

    /* A frame with another version, and one with an unknown type (found by the message decoder). */
    {
        uint8_t raw[8] = {2, RFX_MSG_ARM, 0, 0, 0, 0};
        uint16_t crc = rfx_crc16(raw, 4);
        uint8_t enc[16];
        size_t elen = 0;
        rfx_message out;
        raw[4] = (uint8_t)(crc & 0xFF);
        raw[5] = (uint8_t)(crc >> 8);
        rfx_cobs_encode(raw, 6, enc, sizeof enc, &elen);
        for (i = 0; i < elen; i++) rfx_decoder_push(&d, enc[i], &view, &err);
        CHECK(rfx_decoder_push(&d, 0, &view, &err) == RFX_PUSH_ERROR && err == RFX_ERR_VERSION);
        CHECK(rfx_frame_encode(0x42, 7, NULL, 0, wire, sizeof wire, &n) == RFX_OK);
        for (i = 0; i + 1 < n; i++) rfx_decoder_push(&d, wire[i], &view, &err);
        CHECK(rfx_decoder_push(&d, 0, &view, &err) == RFX_PUSH_FRAME);
        CHECK(rfx_message_decode(&view, &out) == RFX_ERR_TYPE);
        CHECK(d.stats.frames == 3);
        rfx_decoder_count(&d, RFX_ERR_TYPE);
        CHECK(d.stats.version_errors == 1 && d.stats.type_errors == 1);
        CHECK(d.stats.frames == 2); /* moved from the valid frames to the unknown types */
    }

    /* A fragment shorter than a header, a payload wrong for its type. */
    {
        static const uint8_t runt[] = {0x03, 0x01, 0x03, 0x00}; /* decodes to 2 bytes */
        uint8_t one = 1;
        rfx_message out;
        for (i = 0; i < sizeof runt; i++) rfx_decoder_push(&d, runt[i], &view, &err);
        CHECK(err == RFX_ERR_LENGTH && d.stats.short_errors == 1 && d.stats.long_errors == 1);
        CHECK(rfx_frame_encode(RFX_MSG_DISARM, 8, &one, 1, wire, sizeof wire, &n) == RFX_OK);
        for (i = 0; i + 1 < n; i++) rfx_decoder_push(&d, wire[i], &view, &err);
        CHECK(rfx_decoder_push(&d, 0, &view, &err) == RFX_PUSH_FRAME);
        CHECK(rfx_message_decode(&view, &out) == RFX_ERR_LENGTH);
        rfx_decoder_count(&d, RFX_ERR_LENGTH);
        CHECK(d.stats.payload_errors == 1 && d.stats.frames == 2);
        /* 258 then 7 was a gap, 7 then 8 was not; a HELLO starts a new count wherever its number is. */
        CHECK(d.stats.sequence_gaps == 2);
        golden_message(0, &m, &name);
        m.seq = 1000;
        CHECK(rfx_message_encode(&m, wire, sizeof wire, &n) == RFX_OK);
        for (i = 0; i < n; i++) rfx_decoder_push(&d, wire[i], &view, &err);
        golden_message(2, &m, &name);
        m.seq = 1001;
        CHECK(rfx_message_encode(&m, wire, sizeof wire, &n) == RFX_OK);
        for (i = 0; i < n; i++) rfx_decoder_push(&d, wire[i], &view, &err);
        CHECK(d.stats.sequence_gaps == 2 && d.stats.frames == 4);
    }

    /* Random bytes never crash and never deliver a frame with a bad CRC. */
    {
        uint32_t x = 99;
        for (i = 0; i < 200000; i++) {
            x = x * 1664525u + 1013904223u;
            rfx_decoder_push(&d, (uint8_t)((x >> 24) % 5 == 0 ? 0 : x >> 16), &view, &err);
        }
        /* and the decoder still works afterwards */
        golden_message(4, &m, &name);
        CHECK(rfx_message_encode(&m, wire, sizeof wire, &n) == RFX_OK);
        rfx_decoder_push(&d, 0, &view, &err);
        frames = 0;
        for (i = 0; i < n; i++)
            if (rfx_decoder_push(&d, wire[i], &view, &err) == RFX_PUSH_FRAME) frames++;
        CHECK(frames == 1);
    }
}
