/*
 * Host tests of the firmware on bad input, the golden frames shared with the protocol's C tests and the
 * Swift BridgeTests, and channel tables other than cartpole-rig's. Run by test_firmware.c's runner.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "firmware_tests.h"

/* ---- Bad input ---------------------------------------------------------------------------------- */

/* COBS-encodes a raw frame with the given bytes and CRC adjustment, appends the delimiter, and sends it. */
static void send_raw_seq(uint8_t version, uint8_t type, uint16_t seq, const uint8_t *payload, size_t payload_len,
                         uint16_t crc_xor) {
    uint8_t raw[RFX_MAX_RAW_FRAME];
    uint8_t wire[RFX_MAX_WIRE_FRAME];
    size_t n = 0;
    size_t len = 0;
    uint16_t crc;
    raw[n++] = version;
    raw[n++] = type;
    raw[n++] = (uint8_t)seq;
    raw[n++] = (uint8_t)(seq >> 8);
    if (payload_len > 0) {
        memcpy(&raw[n], payload, payload_len);
        n += payload_len;
    }
    crc = (uint16_t)(rfx_crc16(raw, n) ^ crc_xor);
    raw[n++] = (uint8_t)crc;
    raw[n++] = (uint8_t)(crc >> 8);
    CHECK_EQ(rfx_cobs_encode(raw, n, wire, sizeof wire - 1, &len), RFX_OK);
    wire[len++] = 0;
    host_send_bytes(wire, len);
}

static void send_raw(uint8_t version, uint8_t type, const uint8_t *payload, size_t payload_len, uint16_t crc_xor) {
    send_raw_seq(version, type, 0x1234, payload, payload_len, crc_xor);
}

void test_bad_frames_are_counted_and_ignored(void) {
    static const uint8_t too_short[] = {0x03, 0x01, 0x03, 0x00};   /* decodes to 2 bytes */
    static const uint8_t bad_cobs[] = {0x09, 0x01, 0x00};          /* code byte points past the end */
    static const uint8_t minus_one[] = {0x01, 0x00, 0x00, 0x80, 0xBF}; /* ACTUATE payload: [-1.0] */
    static const uint8_t one = 1;
    const rfx_decoder_stats *s = &dut.decoder.stats;
    start_armed();
    host_actuate1(0.5f);

    host_send_bytes(too_short, sizeof too_short);
    CHECK_EQ(s->short_errors, 1);
    host_send_bytes(bad_cobs, sizeof bad_cobs);
    CHECK_EQ(s->cobs_errors, 1);
    /* An ACTUATE with a wrong CRC: not applied, and it does not feed the watchdog. */
    send_raw(1, RFX_MSG_ACTUATE, minus_one, sizeof minus_one, 0x0100);
    CHECK_EQ(s->crc_errors, 1);
    CHECK_EQ(fake.motor[0], 5000);
    /* Truncated: the first half of a valid ACTUATE, then a delimiter. */
    {
        uint8_t wire[RFX_MAX_WIRE_FRAME];
        size_t len = 0;
        static const uint8_t zero = 0;
        CHECK_EQ(rfx_frame_encode(RFX_MSG_ACTUATE, 9, minus_one, sizeof minus_one, wire, sizeof wire, &len), RFX_OK);
        host_send_bytes(wire, len / 2);
        host_send_bytes(&zero, 1);
        CHECK_EQ(s->crc_errors + s->short_errors + s->long_errors + s->cobs_errors, 4);
        CHECK_EQ(fake.motor[0], 5000);
    }
    /* Well framed but meaningless: wrong version, unknown type, a DISARM with a payload, a short ACTUATE. */
    send_raw(2, RFX_MSG_DISARM, NULL, 0, 0);
    CHECK_EQ(s->version_errors, 1);
    send_raw(1, 0x42, NULL, 0, 0);
    CHECK_EQ(s->type_errors, 1);
    {
        send_raw(1, RFX_MSG_DISARM, &one, 1, 0);
        send_raw(1, RFX_MSG_ACTUATE, minus_one, sizeof minus_one - 1, 0);
        CHECK_EQ(s->payload_errors, 2); /* payload size wrong for the type */
    }
    CHECK_EQ(dut.stats.bad_messages, 3);
    CHECK_EQ(fake.motor[0], 5000); /* none was obeyed */
    CHECK(!device_next_of(RFX_MSG_ACK, &msg)); /* none was answered */
    CHECK_EQ(app_status_byte(&dut), STATUS_ARMED_CONFIGURED);
    /* The watchdog still counts from the last valid ACTUATE. */
    advance_us(WATCHDOG_US + POLL_STEP_US);
    CHECK(device_next_of(RFX_MSG_FAULT, &msg));
    CHECK_EQ(msg.body.fault.code, RFX_FAULT_WATCHDOG);
    /* And the link still works. */
    host_arm(7);
    CHECK(device_next_of(RFX_MSG_ACK, &msg));
    CHECK_EQ(msg.body.ack.result, RFX_ACK_OK);
}

void test_flood_without_delimiter_is_survived(void) {
    static uint8_t flood[5000];
    size_t i;
    uint32_t kicks;
    start_armed();
    for (i = 0; i < sizeof flood; i++) {
        flood[i] = (uint8_t)(1 + i % 251);
    }
    kicks = fake.watchdog_kicks;
    host_send_bytes(flood, sizeof flood);
    /* Bounded work per pass of the loop: the hardware watchdog is kicked throughout. */
    CHECK(fake.watchdog_kicks - kicks >= sizeof flood / APP_MAX_BYTES_PER_POLL);
    host_heartbeat(); /* merges with the flood: lost, counted as too long */
    CHECK_EQ(dut.decoder.stats.long_errors, 1);
    host_arm(8);
    CHECK(device_next_of(RFX_MSG_ACK, &msg));
    CHECK_EQ(msg.body.ack.acked_seq, 8);
}

void test_device_messages_sent_to_device_are_ignored(void) {
    rfx_message m;
    uint8_t wire[RFX_MAX_WIRE_FRAME];
    size_t len = 0;
    start_armed();
    memset(&m, 0, sizeof m);
    m.type = RFX_MSG_SENSORS;
    m.body.sensors.count = 2;
    CHECK_EQ(rfx_message_encode(&m, wire, sizeof wire, &len), RFX_OK);
    host_send_bytes(wire, len);
    CHECK_EQ(dut.stats.bad_messages, 1);
    CHECK(!device_next(&msg));
    CHECK_EQ(app_status_byte(&dut), STATUS_ARMED_CONFIGURED);
}

/* ---- Link counters (GET_LINK_STATS → LINK_STATS) ------------------------------------------------- */

/* Asks for LINK_STATS with sequence number `seq`; 1 when the device answered, with `out` filled. */
static int ask_link_stats(uint16_t seq, rfx_link_stats *out) {
    host_send(RFX_MSG_GET_LINK_STATS, seq, NULL);
    if (!device_next_of(RFX_MSG_LINK_STATS, &msg)) {
        return 0;
    }
    *out = msg.body.link_stats;
    CHECK_EQ(out->request_seq, seq);
    return 1;
}

/* Sends the first `cut` bytes of a wire frame, then a delimiter: a frame truncated on the line. */
static void send_truncated(const uint8_t *wire, size_t cut) {
    static const uint8_t zero = 0;
    host_send_bytes(wire, cut);
    host_send_bytes(&zero, 1);
}

void test_link_stats_count_each_kind_of_bad_frame(void) {
    static const uint8_t garbage[] = {0x13, 0x37, 0xFF, 0x00}; /* code byte 0x13 points past the end */
    static const uint8_t runt[] = {0x03, 0x01, 0x03, 0x00};    /* decodes to 2 bytes */
    static const uint8_t minus_one[] = {0x01, 0x00, 0x00, 0x80, 0xBF}; /* ACTUATE payload: [-1.0] */
    static uint8_t flood[301];
    static const uint8_t one = 1;
    uint8_t reverse[RFX_MAX_WIRE_FRAME];
    size_t reverse_len = 0;
    rfx_link_stats before, after;
    rfx_actuate half;
    uint64_t at;
    device_start();
    host_hello(0); /* seq 0 */
    CHECK(device_next_of(RFX_MSG_IDENTIFY, &msg));
    CHECK(ask_link_stats(1, &before));
    CHECK_EQ(before.frames, 2); /* HELLO and this request */
    CHECK_EQ(before.cobs_errors + before.crc_errors + before.short_errors + before.long_errors, 0);
    CHECK_EQ(before.sequence_gaps, 0);
    host_arm(2);
    memset(&half, 0, sizeof half);
    half.count = 1;
    half.values[0] = 0.5f;
    host_send(RFX_MSG_ACTUATE, 3, &half);
    CHECK_EQ(fake.motor[0], 5000);

    /* ACTUATE(−1), cut on the line at four places: the decoder cannot tell a truncated frame from other
     * damage, so where the cut falls decides the counter. Wire: 06 01 05 84 03 01 | 01 | 05 80 bf crc crc | 00. */
    CHECK_EQ(rfx_frame_encode(RFX_MSG_ACTUATE, 900, minus_one, sizeof minus_one, reverse, sizeof reverse, &reverse_len), RFX_OK);
    CHECK_EQ(reverse_len, 13);
    send_truncated(reverse, 3);  /* the first code byte promises 5 bytes: COBS */
    send_truncated(reverse, 6);  /* the first block whole: 5 raw bytes, shorter than a header + CRC */
    send_truncated(reverse, 7);  /* two whole blocks: 6 raw bytes whose last two are read as the CRC */
    send_truncated(reverse, 11); /* one CRC byte missing: the last code byte promises 4 bytes: COBS */
    host_send_bytes(garbage, sizeof garbage);
    host_send_bytes(runt, sizeof runt);
    send_raw_seq(1, RFX_MSG_ACTUATE, 4, minus_one, sizeof minus_one, 0x0100); /* CRC */
    send_raw_seq(2, RFX_MSG_ACTUATE, 4, minus_one, sizeof minus_one, 0);      /* version */
    memset(flood, 0x11, sizeof flood - 1);                                  /* 300 bytes, then 0x00 */
    host_send_bytes(flood, sizeof flood);
    send_raw_seq(1, 0x42, 4, NULL, 0, 0);                                   /* unknown type */
    send_raw_seq(1, RFX_MSG_DISARM, 5, &one, 1, 0);                         /* payload */
    send_raw_seq(1, RFX_MSG_ACTUATE, 6, minus_one, sizeof minus_one - 1, 0); /* payload */
    CHECK_EQ(fake.motor[0], 5000); /* none reached the motor */
    CHECK(!device_next_of(RFX_MSG_FAULT, &msg));
    {
        rfx_heartbeat hb;
        hb.status = 0;
        host_send(RFX_MSG_HEARTBEAT, 9, &hb); /* 7 and 8 never came: one gap */
    }
    fake.rx_overruns = 7;
    at = fake.now_us;
    CHECK(ask_link_stats(10, &after));
    CHECK_EQ(after.timestamp_us, at);
    CHECK_EQ(after.frames - before.frames, 4); /* ARM, ACTUATE, HEARTBEAT and this request */
    CHECK_EQ(after.cobs_errors, 3);
    CHECK_EQ(after.short_errors, 2);
    CHECK_EQ(after.crc_errors, 2);
    CHECK_EQ(after.version_errors, 1);
    CHECK_EQ(after.long_errors, 1);
    CHECK_EQ(after.type_errors, 1);
    CHECK_EQ(after.payload_errors, 2);
    CHECK_EQ(after.sequence_gaps, 1);
    CHECK_EQ(after.rx_overruns, 7);
    CHECK_EQ(after.tx_dropped, 0);
    CHECK_EQ(app_status_byte(&dut), STATUS_ARMED_CONFIGURED); /* survived: still armed, still driving */
    CHECK_EQ(fake.motor[0], 5000);
    CHECK_EQ(device_output_errors(), 0);
}

void test_link_stats_only_after_hello_and_never_cleared(void) {
    static const uint8_t garbage[] = {0x05, 0x01, 0x02, 0x00};
    rfx_link_stats s;
    device_start();
    host_send_bytes(garbage, sizeof garbage);
    host_send(RFX_MSG_GET_LINK_STATS, 0, NULL);
    advance_us(PERIOD_US);
    CHECK_EQ(fake.tx_len, 0); /* nothing before the first HELLO, not even this answer */
    host_hello(0);
    CHECK(ask_link_stats(1, &s));
    CHECK_EQ(s.cobs_errors, 1); /* the garbage before the HELLO counts */
    CHECK_EQ(s.frames, 3);      /* the unanswered request, HELLO, this request */
    CHECK_EQ(s.sequence_gaps, 0);
    /* A host that stops reading: one SENSORS is dropped, and counted. */
    device_drain();
    fake.tx_free_limit = 1;
    advance_us(PERIOD_US);
    fake.tx_free_limit = 0;
    CHECK(ask_link_stats(2, &s));
    CHECK_EQ(s.tx_dropped, 1);
    /* A new HELLO (a host reconnecting, numbering from 0 again) clears nothing and is no gap. */
    host_send_bytes(garbage, sizeof garbage);
    {
        rfx_hello h;
        memset(&h, 0, sizeof h);
        h.protocol_version = 1;
        host_send(RFX_MSG_HELLO, 0, &h);
    }
    CHECK(ask_link_stats(1, &s));
    CHECK_EQ(s.cobs_errors, 2);
    CHECK_EQ(s.frames, 6);
    CHECK_EQ(s.tx_dropped, 1);
    CHECK_EQ(s.sequence_gaps, 0);
    /* A request with a payload is a payload error and is not answered. */
    {
        uint8_t one = 1;
        send_raw_seq(1, RFX_MSG_GET_LINK_STATS, 2, &one, 1, 0);
        CHECK(!device_next_of(RFX_MSG_LINK_STATS, &msg));
        CHECK_EQ(dut.decoder.stats.payload_errors, 1);
    }
}

/* ---- Golden frames (shared with the protocol's C tests and the Swift BridgeTests) --------------- */

const char *golden_path;

/* Reads the hex of frame `name` from the golden file into `out`; returns its length or 0. */
static size_t golden(const char *name, uint8_t *out, size_t cap) {
    char line[2048];
    FILE *f = fopen(golden_path, "r");
    size_t n = 0;
    if (!f) {
        fprintf(stderr, "  cannot open golden frames file %s\n", golden_path);
        return 0;
    }
    while (fgets(line, sizeof line, f)) {
        char *hex = strchr(line, ' ');
        size_t name_len = hex ? (size_t)(hex - line) : 0;
        if (line[0] == '#' || !hex || name_len != strlen(name) || strncmp(line, name, name_len) != 0) {
            continue;
        }
        hex++;
        while (hex[0] && hex[1] && hex[0] != '\n' && n < cap) {
            char byte[3] = {hex[0], hex[1], 0};
            out[n++] = (uint8_t)strtoul(byte, NULL, 16);
            hex += 2;
        }
        break;
    }
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "  golden frame %s missing from %s\n", name, golden_path);
    }
    return n;
}

void test_golden_host_frames_drive_the_device(void) {
    uint8_t frame[RFX_MAX_WIRE_FRAME];
    uint8_t want[RFX_MAX_WIRE_FRAME];
    size_t len;
    size_t want_len;
    size_t before;
    device_start();
    len = golden("hello", frame, sizeof frame);
    CHECK(len > 0);
    host_send_bytes(frame, len);
    CHECK(device_next(&msg));
    CHECK_EQ(msg.type, RFX_MSG_IDENTIFY);
    CHECK_EQ(msg.seq, 0);
    /* ARM seq 1 → the device's second frame is byte for byte the golden ACK (seq 1, OK, ARMED|CONFIGURED). */
    len = golden("arm", frame, sizeof frame);
    before = fake.tx_len;
    host_send_bytes(frame, len);
    want_len = golden("ack_arm", want, sizeof want);
    CHECK(want_len > 0);
    CHECK_EQ(fake.tx_len - before, want_len);
    CHECK(memcmp(&fake.tx[before], want, want_len) == 0);
    device_drain();
    len = golden("actuate", frame, sizeof frame); /* 2.5: clamped to full duty */
    host_send_bytes(frame, len);
    CHECK_EQ(fake.motor[0], HAL_DUTY_MAX);
    len = golden("heartbeat", frame, sizeof frame);
    host_send_bytes(frame, len);
    CHECK_EQ(dut.stats.ignored_commands, 0);
    /* DISARM seq 4 → an ACK whose payload is the golden one (only the device's sequence differs). */
    len = golden("disarm", frame, sizeof frame);
    host_send_bytes(frame, len);
    CHECK_EQ(fake.motor[0], 0);
    CHECK(device_next(&msg));
    CHECK_EQ(msg.type, RFX_MSG_ACK);
    want_len = golden("ack_disarm", want, sizeof want);
    {
        rfx_decoder d;
        rfx_frame_view f;
        rfx_message golden_ack;
        size_t i;
        int got = 0;
        rfx_decoder_init(&d);
        for (i = 0; i < want_len; i++) {
            if (rfx_decoder_push(&d, want[i], &f, NULL) == RFX_PUSH_FRAME) {
                got = rfx_message_decode(&f, &golden_ack) == RFX_OK;
            }
        }
        CHECK(got);
        CHECK_EQ(golden_ack.body.ack.acked_seq, msg.body.ack.acked_seq);
        CHECK_EQ(golden_ack.body.ack.acked_type, msg.body.ack.acked_type);
        CHECK_EQ(golden_ack.body.ack.result, msg.body.ack.result);
        CHECK_EQ(golden_ack.body.ack.status, msg.body.ack.status);
    }
    CHECK_EQ(dut.decoder.stats.frames, 5);
    /* GET_LINK_STATS seq 5 → LINK_STATS answering seq 5, counting the six valid frames so far and no errors. */
    len = golden("get_link_stats", frame, sizeof frame);
    host_send_bytes(frame, len);
    CHECK(device_next(&msg));
    CHECK_EQ(msg.type, RFX_MSG_LINK_STATS);
    CHECK_EQ(msg.body.link_stats.request_seq, 5);
    CHECK_EQ(msg.body.link_stats.frames, 6);
    CHECK_EQ(msg.body.link_stats.crc_errors + msg.body.link_stats.cobs_errors + msg.body.link_stats.sequence_gaps, 0);
}

void test_golden_device_frames_are_ignored_by_the_device(void) {
    static const char *names[] = {"identify_cartpole", "ack_arm", "sensors", "fault_watchdog", "ack_disarm", "link_stats"};
    uint8_t frame[RFX_MAX_WIRE_FRAME];
    size_t i;
    start_armed();
    host_actuate1(0.5f);
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t len = golden(names[i], frame, sizeof frame);
        CHECK(len > 0);
        host_send_bytes(frame, len);
    }
    CHECK_EQ(dut.decoder.stats.frames, 9); /* HELLO, ARM, ACTUATE and these six: all valid frames */
    CHECK_EQ(dut.stats.bad_messages, 6);
    CHECK(!device_next(&msg));
    CHECK_EQ(fake.motor[0], 5000);
}

/* ---- Channel tables ----------------------------------------------------------------------------- */

static const robot_sensor adc_sensors[] = {
    {"supply", "V", 0.0f, 20.0f, ROBOT_FROM_ADC, 1, 0.02f},
};
static const robot_actuator two_motors[] = {
    {"left", "duty", -1.0f, 1.0f, 0.0f, ROBOT_TO_MOTOR, 0, (float)HAL_DUTY_MAX},
    {"brake", "duty", 0.0f, 1.0f, 0.5f, ROBOT_TO_MOTOR, 1, (float)HAL_DUTY_MAX},
};

static robot test_robot(void) {
    robot r = {"test", 2, 3, 4, 10000u, 0u, 1, adc_sensors, 2, two_motors};
    return r;
}

void test_other_tables_adc_sensor_and_nonzero_safe_value(void) {
    robot r = test_robot();
    CHECK_EQ(device_start_with(&r), APP_OK);
    CHECK_EQ(fake.motor[1], 5000); /* safe value applied from reset */
    fake.adc[1] = 600;
    host_hello(0);
    CHECK(device_next_of(RFX_MSG_IDENTIFY, &msg));
    CHECK_EQ(msg.body.identify.watchdog_ms, 30); /* 2 × 10 ms + 10 ms */
    CHECK_EQ(msg.body.identify.fw_patch, 4);
    advance_us(10000);
    CHECK(device_next_of(RFX_MSG_SENSORS, &msg));
    CHECK(fabsf(msg.body.sensors.values[0] - 12.0f) < 1e-4f);
}

void test_unusable_tables_are_refused(void) {
    static const robot_actuator unsafe[] = {
        {"m", "duty", -1.0f, 1.0f, 2.0f, ROBOT_TO_MOTOR, 0, (float)HAL_DUTY_MAX},
    };
    static const robot_actuator missing_motor[] = {
        {"m", "duty", -1.0f, 1.0f, 0.0f, ROBOT_TO_MOTOR, 5, (float)HAL_DUTY_MAX},
    };
    static const robot_sensor long_name[] = {
        {"a_channel_name_longer_than_32_bytes", "V", 0.0f, 1.0f, ROBOT_FROM_ADC, 0, 1.0f},
    };
    static const robot_sensor wordy[] = {
        {"sensor_with_a_long_name_0000000", "counts_long_unit", 0.0f, 1.0f, ROBOT_FROM_ADC, 0, 1.0f},
        {"sensor_with_a_long_name_0000001", "counts_long_unit", 0.0f, 1.0f, ROBOT_FROM_ADC, 0, 1.0f},
        {"sensor_with_a_long_name_0000002", "counts_long_unit", 0.0f, 1.0f, ROBOT_FROM_ADC, 0, 1.0f},
        {"sensor_with_a_long_name_0000003", "counts_long_unit", 0.0f, 1.0f, ROBOT_FROM_ADC, 0, 1.0f},
    };
    robot r = test_robot();
    r.actuators = unsafe;
    r.actuator_count = 1;
    CHECK_EQ(device_start_with(&r), APP_ERR_BAD_TABLE);
    CHECK_EQ(fake.motor[0], 0);
    host_hello(0);
    advance_us(100000);
    CHECK_EQ(fake.tx_len, 0); /* a broken table answers nothing */
    CHECK(fake.watchdog_kicks > 0);
    r.actuators = missing_motor;
    CHECK_EQ(device_start_with(&r), APP_ERR_TOO_MANY_CHANNELS);
    r = test_robot();
    r.sensors = long_name;
    CHECK_EQ(device_start_with(&r), APP_ERR_BAD_TABLE);
    r.sensors = wordy;
    r.sensor_count = 4;
    CHECK_EQ(device_start_with(&r), APP_ERR_IDENTIFY_TOO_LONG);
}

void test_led_shows_state(void) {
    int on = 0;
    int i;
    device_start();
    for (i = 0; i < 40; i++) {
        advance_us(50000);
        on += fake.led;
    }
    CHECK(on <= 2); /* waiting for HELLO: a short flash every 2 s */
    start_armed();
    host_actuate1(0.0f);
    CHECK_EQ(fake.led, 1);
}
