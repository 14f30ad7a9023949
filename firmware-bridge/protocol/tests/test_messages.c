/* Messages: every message type's encode/decode round trip, and payloads that must be refused. */
#include "protocol_tests.h"

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

void test_messages(void) {
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
