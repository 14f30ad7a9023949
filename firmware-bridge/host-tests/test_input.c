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
static void send_raw(uint8_t version, uint8_t type, const uint8_t *payload, size_t payload_len, uint16_t crc_xor) {
    uint8_t raw[RFX_MAX_RAW_FRAME];
    uint8_t wire[RFX_MAX_WIRE_FRAME];
    size_t n = 0;
    size_t len = 0;
    uint16_t crc;
    raw[n++] = version;
    raw[n++] = type;
    raw[n++] = 0x34;
    raw[n++] = 0x12;
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

void test_bad_frames_are_counted_and_ignored(void) {
    static const uint8_t too_short[] = {0x03, 0x01, 0x03, 0x00};   /* decodes to 2 bytes */
    static const uint8_t bad_cobs[] = {0x09, 0x01, 0x00};          /* code byte points past the end */
    static const uint8_t minus_one[] = {0x01, 0x00, 0x00, 0x80, 0xBF}; /* ACTUATE payload: [-1.0] */
    static const uint8_t one = 1;
    const rfx_decoder_stats *s = &dut.decoder.stats;
    start_armed();
    host_actuate1(0.5f);

    host_send_bytes(too_short, sizeof too_short);
    CHECK_EQ(s->length_errors, 1);
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
        CHECK_EQ(s->crc_errors + s->length_errors + s->cobs_errors, 4);
        CHECK_EQ(fake.motor[0], 5000);
    }
    /* Well framed but meaningless: wrong version, unknown type, a DISARM with a payload, a short ACTUATE. */
    send_raw(2, RFX_MSG_DISARM, NULL, 0, 0);
    CHECK_EQ(s->version_errors, 1);
    send_raw(1, 0x42, NULL, 0, 0);
    CHECK_EQ(s->type_errors, 1);
    {
        uint32_t before = s->length_errors;
        send_raw(1, RFX_MSG_DISARM, &one, 1, 0);
        send_raw(1, RFX_MSG_ACTUATE, minus_one, sizeof minus_one - 1, 0);
        CHECK_EQ(s->length_errors, before + 2); /* payload size wrong for the type */
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
    host_heartbeat(); /* merges with the flood: lost, counted as a length error */
    CHECK_EQ(dut.decoder.stats.length_errors, 1);
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
}

void test_golden_device_frames_are_ignored_by_the_device(void) {
    static const char *names[] = {"identify_cartpole", "ack_arm", "sensors", "fault_watchdog", "ack_disarm"};
    uint8_t frame[RFX_MAX_WIRE_FRAME];
    size_t i;
    start_armed();
    host_actuate1(0.5f);
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t len = golden(names[i], frame, sizeof frame);
        CHECK(len > 0);
        host_send_bytes(frame, len);
    }
    CHECK_EQ(dut.decoder.stats.frames, 8); /* HELLO, ARM, ACTUATE and these five: all valid frames */
    CHECK_EQ(dut.stats.bad_messages, 5);
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
