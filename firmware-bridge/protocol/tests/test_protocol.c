/*
 * Host tests of the Reflex wire protocol C code: CRC check value, COBS round trips, every message's
 * round trip, the incremental decoder, and the golden frames shared with the Swift tests.
 *
 *   test_protocol GOLDEN_FILE      run the tests (exit 1 on any failure)
 *   test_protocol --print-golden   print the golden frames (how golden_frames.txt was made)
 */
#include "reflex_protocol.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed = 0;
static int failed = 0;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (cond) {                                                                 \
            passed++;                                                               \
        } else {                                                                    \
            failed++;                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                           \
    } while (0)

static rfx_string str(const char *s) {
    rfx_string out;
    memset(&out, 0, sizeof out);
    out.len = (uint8_t)strlen(s);
    memcpy(out.bytes, s, out.len);
    return out;
}

static int str_eq(const rfx_string *a, const rfx_string *b) {
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* Equal as bit patterns, so infinities and signed zeros count. */
static int f32_same(float a, float b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

/* ---- The example messages (golden frames, PROTOCOL.md's worked examples) ------------------------ */

static rfx_channel channel(const char *name, const char *unit, float min, float max, float safe) {
    rfx_channel c;
    c.name = str(name);
    c.unit = str(unit);
    c.min = min;
    c.max = max;
    c.safe_value = safe;
    return c;
}

#define GOLDEN_COUNT 12

static void golden_message(int index, rfx_message *m, const char **name) {
    memset(m, 0, sizeof *m);
    switch (index) {
    case 0:
        *name = "hello";
        m->type = RFX_MSG_HELLO;
        m->seq = 0;
        m->body.hello.protocol_version = 1;
        m->body.hello.watchdog_ms = 0;
        m->body.hello.host_name = str("reflex");
        break;
    case 1:
        *name = "identify_cartpole";
        m->type = RFX_MSG_IDENTIFY;
        m->seq = 0;
        m->body.identify.fw_major = 1;
        m->body.identify.fw_minor = 2;
        m->body.identify.fw_patch = 3;
        m->body.identify.period_us = 20000;
        m->body.identify.watchdog_ms = 50;
        m->body.identify.device_name = str("cartpole");
        m->body.identify.sensor_count = 4;
        m->body.identify.sensors[0] = channel("cart_position", "m", -4.8f, 4.8f, 0.0f);
        m->body.identify.sensors[1] = channel("cart_velocity", "m/s", -INFINITY, INFINITY, 0.0f);
        m->body.identify.sensors[2] = channel("pole_angle", "rad", -0.418879f, 0.418879f, 0.0f);
        m->body.identify.sensors[3] = channel("pole_angular_velocity", "rad/s", -INFINITY, INFINITY, 0.0f);
        m->body.identify.actuator_count = 1;
        m->body.identify.actuators[0] = channel("cart_force", "N", -10.0f, 10.0f, 0.0f);
        break;
    case 2:
        *name = "arm";
        m->type = RFX_MSG_ARM;
        m->seq = 1;
        break;
    case 3:
        *name = "ack_arm";
        m->type = RFX_MSG_ACK;
        m->seq = 1;
        m->body.ack.acked_seq = 1;
        m->body.ack.acked_type = RFX_MSG_ARM;
        m->body.ack.result = RFX_ACK_OK;
        m->body.ack.status = RFX_STATUS_ARMED | RFX_STATUS_CONFIGURED;
        break;
    case 4:
        *name = "actuate";
        m->type = RFX_MSG_ACTUATE;
        m->seq = 2;
        m->body.actuate.count = 1;
        m->body.actuate.values[0] = 2.5f;
        break;
    case 5:
        *name = "sensors";
        m->type = RFX_MSG_SENSORS;
        m->seq = 258;
        m->body.sensors.timestamp_us = 40000;
        m->body.sensors.status = RFX_STATUS_ARMED | RFX_STATUS_CONFIGURED;
        m->body.sensors.count = 4;
        m->body.sensors.values[0] = 0.0125f;
        m->body.sensors.values[1] = -0.5f;
        m->body.sensors.values[2] = 0.0f;
        m->body.sensors.values[3] = 1.0f;
        break;
    case 6:
        *name = "heartbeat";
        m->type = RFX_MSG_HEARTBEAT;
        m->seq = 3;
        m->body.heartbeat.status = 0;
        break;
    case 7:
        *name = "fault_watchdog";
        m->type = RFX_MSG_FAULT;
        m->seq = 259;
        m->body.fault.code = RFX_FAULT_WATCHDOG;
        m->body.fault.detail = 52;
        m->body.fault.timestamp_us = 1000000;
        break;
    case 8:
        *name = "disarm";
        m->type = RFX_MSG_DISARM;
        m->seq = 4;
        break;
    case 9:
        *name = "ack_disarm";
        m->type = RFX_MSG_ACK;
        m->seq = 260;
        m->body.ack.acked_seq = 4;
        m->body.ack.acked_type = RFX_MSG_DISARM;
        m->body.ack.result = RFX_ACK_OK;
        m->body.ack.status = RFX_STATUS_CONFIGURED;
        break;
    case 10:
        *name = "get_link_stats";
        m->type = RFX_MSG_GET_LINK_STATS;
        m->seq = 5;
        break;
    default:
        *name = "link_stats";
        m->type = RFX_MSG_LINK_STATS;
        m->seq = 261;
        m->body.link_stats.request_seq = 5;
        m->body.link_stats.timestamp_us = 2000000;
        m->body.link_stats.frames = 1000;
        m->body.link_stats.cobs_errors = 1;
        m->body.link_stats.crc_errors = 2;
        m->body.link_stats.version_errors = 3;
        m->body.link_stats.short_errors = 4;
        m->body.link_stats.long_errors = 5;
        m->body.link_stats.payload_errors = 6;
        m->body.link_stats.type_errors = 7;
        m->body.link_stats.sequence_gaps = 8;
        m->body.link_stats.rx_overruns = 9;
        m->body.link_stats.tx_dropped = 10;
        break;
    }
}

static void print_hex(FILE *f, const uint8_t *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        fprintf(f, "%02x", b[i]);
    }
}

/* Prints golden_frames.txt, and with `verbose` the raw frame before COBS (for PROTOCOL.md). */
static int print_golden(int verbose) {
    int i;
    printf("# Reflex wire protocol v1 golden frames: name, then the frame on the wire in hex\n");
    printf("# (COBS-encoded, trailing 0x00 included). Generated by `test_protocol --print-golden`.\n");
    for (i = 0; i < GOLDEN_COUNT; i++) {
        rfx_message m;
        const char *name;
        uint8_t wire[RFX_MAX_WIRE_FRAME];
        uint8_t raw[RFX_MAX_RAW_FRAME];
        size_t n = 0, raw_n = 0;
        golden_message(i, &m, &name);
        if (rfx_message_encode(&m, wire, sizeof wire, &n) != RFX_OK) {
            return 1;
        }
        if (verbose) {
            uint16_t crc;
            rfx_cobs_decode(wire, n - 1, raw, sizeof raw, &raw_n);
            crc = (uint16_t)(raw[raw_n - 2] | (raw[raw_n - 1] << 8));
            printf("%s raw ", name);
            print_hex(stdout, raw, raw_n);
            printf(" crc 0x%04X\n", crc);
        }
        printf("%s ", name);
        print_hex(stdout, wire, n);
        printf("\n");
    }
    return 0;
}

/* ---- Tests ------------------------------------------------------------------------------------ */

static void test_crc(void) {
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

static void test_cobs(void) {
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

static int channels_equal(const rfx_channel *a, const rfx_channel *b, int actuator) {
    return str_eq(&a->name, &b->name) && str_eq(&a->unit, &b->unit) && f32_same(a->min, b->min) &&
           f32_same(a->max, b->max) && (!actuator || f32_same(a->safe_value, b->safe_value));
}

static int messages_equal(const rfx_message *a, const rfx_message *b) {
    int i;
    if (a->type != b->type || a->seq != b->seq) return 0;
    switch (a->type) {
    case RFX_MSG_HELLO:
        return a->body.hello.protocol_version == b->body.hello.protocol_version &&
               a->body.hello.watchdog_ms == b->body.hello.watchdog_ms &&
               str_eq(&a->body.hello.host_name, &b->body.hello.host_name);
    case RFX_MSG_IDENTIFY: {
        const rfx_identify *x = &a->body.identify, *y = &b->body.identify;
        if (x->fw_major != y->fw_major || x->fw_minor != y->fw_minor || x->fw_patch != y->fw_patch) return 0;
        if (x->period_us != y->period_us || x->watchdog_ms != y->watchdog_ms) return 0;
        if (!str_eq(&x->device_name, &y->device_name)) return 0;
        if (x->sensor_count != y->sensor_count || x->actuator_count != y->actuator_count) return 0;
        for (i = 0; i < x->sensor_count; i++)
            if (!channels_equal(&x->sensors[i], &y->sensors[i], 0)) return 0;
        for (i = 0; i < x->actuator_count; i++)
            if (!channels_equal(&x->actuators[i], &y->actuators[i], 1)) return 0;
        return 1;
    }
    case RFX_MSG_ARM:
    case RFX_MSG_DISARM:
    case RFX_MSG_GET_LINK_STATS:
        return 1;
    case RFX_MSG_LINK_STATS: {
        const rfx_link_stats *x = &a->body.link_stats, *y = &b->body.link_stats;
        return x->request_seq == y->request_seq && x->timestamp_us == y->timestamp_us && x->frames == y->frames &&
               x->cobs_errors == y->cobs_errors && x->crc_errors == y->crc_errors &&
               x->version_errors == y->version_errors && x->short_errors == y->short_errors &&
               x->long_errors == y->long_errors && x->payload_errors == y->payload_errors &&
               x->type_errors == y->type_errors && x->sequence_gaps == y->sequence_gaps &&
               x->rx_overruns == y->rx_overruns && x->tx_dropped == y->tx_dropped;
    }
    case RFX_MSG_ACTUATE:
        if (a->body.actuate.count != b->body.actuate.count) return 0;
        for (i = 0; i < a->body.actuate.count; i++)
            if (!f32_same(a->body.actuate.values[i], b->body.actuate.values[i])) return 0;
        return 1;
    case RFX_MSG_SENSORS:
        if (a->body.sensors.count != b->body.sensors.count) return 0;
        if (a->body.sensors.timestamp_us != b->body.sensors.timestamp_us) return 0;
        if (a->body.sensors.status != b->body.sensors.status) return 0;
        for (i = 0; i < a->body.sensors.count; i++)
            if (!f32_same(a->body.sensors.values[i], b->body.sensors.values[i])) return 0;
        return 1;
    case RFX_MSG_HEARTBEAT:
        return a->body.heartbeat.status == b->body.heartbeat.status;
    case RFX_MSG_FAULT:
        return a->body.fault.code == b->body.fault.code && a->body.fault.detail == b->body.fault.detail &&
               a->body.fault.timestamp_us == b->body.fault.timestamp_us;
    case RFX_MSG_ACK:
        return a->body.ack.acked_seq == b->body.ack.acked_seq &&
               a->body.ack.acked_type == b->body.ack.acked_type && a->body.ack.result == b->body.ack.result &&
               a->body.ack.status == b->body.ack.status;
    default:
        return 0;
    }
}

/* Encodes, then feeds the wire bytes through the incremental decoder and compares. */
static int message_round_trip(const rfx_message *m) {
    static rfx_decoder d;
    static rfx_message back;
    uint8_t wire[RFX_MAX_WIRE_FRAME];
    size_t n = 0, i;
    int frames = 0;
    rfx_frame_view view;
    if (rfx_message_encode(m, wire, sizeof wire, &n) != RFX_OK) return 0;
    if (n > RFX_MAX_WIRE_FRAME || wire[n - 1] != 0) return 0;
    for (i = 0; i + 1 < n; i++) {
        if (wire[i] == 0) return 0;
    }
    rfx_decoder_init(&d);
    for (i = 0; i < n; i++) {
        rfx_push_result r = rfx_decoder_push(&d, wire[i], &view, NULL);
        if (r == RFX_PUSH_ERROR) return 0;
        if (r == RFX_PUSH_FRAME) {
            frames++;
            memset(&back, 0xA5, sizeof back);
            if (rfx_message_decode(&view, &back) != RFX_OK) return 0;
            if (!messages_equal(m, &back)) return 0;
        }
    }
    return frames == 1;
}

static void test_messages(void) {
    int i;
    rfx_message m;
    const char *name;
    for (i = 0; i < GOLDEN_COUNT; i++) {
        golden_message(i, &m, &name);
        CHECK(message_round_trip(&m));
    }
    /* Extremes: maximum channel counts, NaN, signed zero, long strings, sequence wrap. */
    memset(&m, 0, sizeof m);
    m.type = RFX_MSG_ACTUATE;
    m.seq = 0xFFFF;
    m.body.actuate.count = RFX_MAX_CHANNELS;
    for (i = 0; i < (int)RFX_MAX_CHANNELS; i++) m.body.actuate.values[i] = (float)i * -1.5f;
    m.body.actuate.values[1] = NAN;
    m.body.actuate.values[2] = -0.0f;
    CHECK(message_round_trip(&m));
    memset(&m, 0, sizeof m);
    m.type = RFX_MSG_SENSORS;
    m.body.sensors.timestamp_us = 0xFFFFFFFFFFFFFFFFull;
    m.body.sensors.count = RFX_MAX_CHANNELS;
    for (i = 0; i < (int)RFX_MAX_CHANNELS; i++) m.body.sensors.values[i] = (float)i;
    CHECK(message_round_trip(&m));
    memset(&m, 0, sizeof m);
    m.type = RFX_MSG_HELLO;
    m.body.hello.protocol_version = 1;
    m.body.hello.watchdog_ms = 65535;
    m.body.hello.host_name = str("abcdefghijklmnopqrstuvwxyz012345");
    CHECK(m.body.hello.host_name.len == RFX_MAX_STRING);
    CHECK(message_round_trip(&m));
    memset(&m, 0, sizeof m);
    m.type = RFX_MSG_IDENTIFY;
    m.body.identify.sensor_count = 0;
    m.body.identify.actuator_count = 0;
    CHECK(message_round_trip(&m));

    /* Encoding refuses what the layout cannot carry. */
    {
        uint8_t wire[RFX_MAX_WIRE_FRAME];
        size_t n;
        memset(&m, 0, sizeof m);
        m.type = RFX_MSG_ACTUATE;
        m.body.actuate.count = RFX_MAX_CHANNELS + 1;
        CHECK(rfx_message_encode(&m, wire, sizeof wire, &n) == RFX_ERR_VALUE);
        memset(&m, 0, sizeof m);
        m.type = 0x7F;
        CHECK(rfx_message_encode(&m, wire, sizeof wire, &n) == RFX_ERR_TYPE);
        /* A full IDENTIFY: 16+16 channels with 32-byte names do not fit 248 bytes. */
        memset(&m, 0, sizeof m);
        m.type = RFX_MSG_IDENTIFY;
        m.body.identify.sensor_count = RFX_MAX_CHANNELS;
        for (i = 0; i < (int)RFX_MAX_CHANNELS; i++)
            m.body.identify.sensors[i] = channel("abcdefghijklmnopqrstuvwxyz012345", "u", 0, 1, 0);
        CHECK(rfx_message_encode(&m, wire, sizeof wire, &n) == RFX_ERR_CAPACITY);
        CHECK(rfx_frame_encode(RFX_MSG_ARM, 0, wire, RFX_MAX_PAYLOAD + 1, wire, sizeof wire, &n) ==
              RFX_ERR_CAPACITY);
    }
    /* Payload decoders demand exact sizes. */
    {
        uint8_t p[4] = {0, 0, 0, 0};
        rfx_heartbeat hb;
        rfx_actuate act;
        CHECK(rfx_decode_arm(p, 1) == RFX_ERR_LENGTH);
        CHECK(rfx_decode_heartbeat(p, 0, &hb) == RFX_ERR_LENGTH);
        CHECK(rfx_decode_heartbeat(p, 2, &hb) == RFX_ERR_LENGTH);
        p[0] = 1;
        CHECK(rfx_decode_actuate(p, 4, &act) == RFX_ERR_LENGTH);
        p[0] = RFX_MAX_CHANNELS + 1;
        CHECK(rfx_decode_actuate(p, 1, &act) == RFX_ERR_VALUE);
        CHECK(rfx_decode_get_link_stats(p, 1) == RFX_ERR_LENGTH);
    }
    /* LINK_STATS is 54 bytes: one short or long is a length error; counters at their maximum survive. */
    {
        uint8_t p[60];
        rfx_writer w;
        rfx_link_stats st;
        memset(&m, 0, sizeof m);
        m.type = RFX_MSG_LINK_STATS;
        memset(&m.body.link_stats, 0xFF, sizeof m.body.link_stats);
        CHECK(message_round_trip(&m));
        rfx_writer_init(&w, p, sizeof p);
        rfx_put_link_stats(&w, &m.body.link_stats);
        CHECK(w.status == RFX_OK && w.len == 54);
        CHECK(rfx_decode_link_stats(p, 54, &st) == RFX_OK && st.tx_dropped == 0xFFFFFFFFu);
        CHECK(rfx_decode_link_stats(p, 53, &st) == RFX_ERR_LENGTH);
        CHECK(rfx_decode_link_stats(p, 55, &st) == RFX_ERR_LENGTH);
    }
}

static void test_decoder(void) {
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

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void test_golden(const char *path) {
    FILE *f = fopen(path, "r");
    char line[1200];
    int seen = 0;
    CHECK(f != NULL);
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        char fname[64];
        char hex[1100];
        uint8_t bytes[RFX_MAX_WIRE_FRAME];
        uint8_t wire[RFX_MAX_WIRE_FRAME];
        size_t blen = 0, n = 0, i;
        int index, found = -1;
        rfx_message m;
        const char *name;
        if (line[0] == '#' || line[0] == '\n') continue;
        if (sscanf(line, "%63s %1099s", fname, hex) != 2) {
            CHECK(0);
            continue;
        }
        for (i = 0; hex[i] && hex[i + 1] && blen < sizeof bytes; i += 2) {
            bytes[blen++] = (uint8_t)(hex_value(hex[i]) * 16 + hex_value(hex[i + 1]));
        }
        for (index = 0; index < GOLDEN_COUNT; index++) {
            golden_message(index, &m, &name);
            if (strcmp(name, fname) == 0) found = index;
        }
        CHECK(found >= 0);
        if (found < 0) continue;
        golden_message(found, &m, &name);
        CHECK(rfx_message_encode(&m, wire, sizeof wire, &n) == RFX_OK);
        if (!(n == blen && memcmp(wire, bytes, n) == 0)) {
            fprintf(stderr, "golden frame %s differs\n", fname);
        }
        CHECK(n == blen && memcmp(wire, bytes, n) == 0);
        seen++;
    }
    fclose(f);
    CHECK(seen == GOLDEN_COUNT);
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
