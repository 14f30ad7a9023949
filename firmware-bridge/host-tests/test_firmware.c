/*
 * Host tests of the firmware application (app.c) and the shared protocol C on a fake board.
 * Usage: host-tests GOLDEN_FRAMES_FILE. Prints "N passed, M failed"; exit status 1 on any failure.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "firmware_tests.h"

rfx_message msg;

void start_armed(void) {
    device_start();
    host_hello(0);
    host_arm(100);
    device_drain();
}

int string_is(const rfx_string *s, const char *want) {
    return s->len == strlen(want) && memcmp(s->bytes, want, s->len) == 0;
}

/* ---- Handshake ---------------------------------------------------------------------------------- */

static void test_init_drives_safe_values_and_enables_watchdog(void) {
    device_start();
    CHECK_EQ(fake.inits, 0xFF); /* every HAL table initialized */
    CHECK(fake.watchdog_enabled);
    CHECK(fake.motor_writes > 0);
    CHECK_EQ(fake.motor[0], 0);
    advance_us(10000);
    CHECK_EQ(fake.watchdog_kicks, 10000 / POLL_STEP_US); /* kicked on every pass of the loop */
}

static void test_silent_before_hello(void) {
    device_start();
    advance_us(500000);
    CHECK_EQ(fake.tx_len, 0);
    CHECK(dut.stats.periods >= 500000 / PERIOD_US - 1);
}

static void test_hello_answered_with_identify_of_cartpole_rig(void) {
    const rfx_identify *id = &msg.body.identify;
    device_start();
    advance_us(3000);
    host_hello(0);
    CHECK(device_next(&msg)); /* in the same pass of the loop, well within RFX_HANDSHAKE_REPLY_MS */
    CHECK_EQ(msg.type, RFX_MSG_IDENTIFY);
    CHECK_EQ(msg.seq, 0);
    CHECK_EQ(id->fw_major, 1);
    CHECK_EQ(id->fw_minor, 1);
    CHECK_EQ(id->fw_patch, 0);
    CHECK_EQ(id->period_us, PERIOD_US);
    CHECK_EQ(id->watchdog_ms, WATCHDOG_MS);
    CHECK(string_is(&id->device_name, "cartpole-rig"));
    CHECK_EQ(id->sensor_count, 2);
    CHECK(string_is(&id->sensors[0].name, "cart_encoder"));
    CHECK(string_is(&id->sensors[0].unit, "counts"));
    CHECK(string_is(&id->sensors[1].name, "pole_encoder"));
    CHECK(id->sensors[0].min == -25000.0f && id->sensors[0].max == 25000.0f);
    CHECK(id->sensors[1].min == -1024.0f && id->sensors[1].max == 1024.0f);
    CHECK_EQ(id->actuator_count, 1);
    CHECK(string_is(&id->actuators[0].name, "motor_duty"));
    CHECK(string_is(&id->actuators[0].unit, "1"));
    CHECK(id->actuators[0].min == -1.0f && id->actuators[0].max == 1.0f && id->actuators[0].safe_value == 0.0f);
    CHECK_EQ(app_status_byte(&dut), STATUS_CONFIGURED);
}

static void test_hello_watchdog_request(void) {
    device_start();
    host_hello(5); /* below one period: the device uses one period */
    CHECK(device_next_of(RFX_MSG_IDENTIFY, &msg));
    CHECK_EQ(msg.body.identify.watchdog_ms, PERIOD_US / 1000u);
    host_hello(200);
    CHECK(device_next_of(RFX_MSG_IDENTIFY, &msg));
    CHECK_EQ(msg.body.identify.watchdog_ms, 200);
    host_hello(0);
    CHECK(device_next_of(RFX_MSG_IDENTIFY, &msg));
    CHECK_EQ(msg.body.identify.watchdog_ms, WATCHDOG_MS);
}

static void test_sensors_every_period_with_encoder_counts(void) {
    uint64_t last = 0;
    int n = 0;
    device_start();
    fake.encoder[0] = 1234;
    fake.encoder[1] = -56;
    host_hello(0);
    device_drain();
    advance_us(1000000);
    while (device_next(&msg)) {
        CHECK_EQ(msg.type, RFX_MSG_SENSORS);
        CHECK_EQ(msg.body.sensors.count, 2);
        CHECK(msg.body.sensors.values[0] == 1234.0f && msg.body.sensors.values[1] == -56.0f);
        CHECK_EQ(msg.body.sensors.status, STATUS_CONFIGURED);
        if (n > 0) {
            CHECK_EQ(msg.body.sensors.timestamp_us - last, PERIOD_US); /* fixed rate, no drift */
        }
        last = msg.body.sensors.timestamp_us;
        n++;
    }
    CHECK_EQ(n, 1000000 / PERIOD_US);
    CHECK_EQ(dut.stats.overruns, 0);
}

static void test_late_period_is_skipped_not_replayed(void) {
    device_start();
    host_hello(0);
    advance_us(PERIOD_US * 3 / 2);
    device_drain();
    fake.now_us += 5 * PERIOD_US + PERIOD_US / 4; /* the loop stalled for five periods */
    poll_once();
    CHECK(device_next_of(RFX_MSG_SENSORS, &msg));
    CHECK(!device_next(&msg)); /* one SENSORS, not a burst of five */
    CHECK_EQ(dut.stats.overruns, 1);
    advance_us(PERIOD_US);
    CHECK(device_next_of(RFX_MSG_SENSORS, &msg));
    CHECK(!device_next(&msg));
}

/* ---- Arming ------------------------------------------------------------------------------------- */

static void test_arm_before_hello_is_not_configured(void) {
    device_start();
    host_arm(9);
    CHECK(device_next(&msg));
    CHECK_EQ(msg.type, RFX_MSG_ACK);
    CHECK_EQ(msg.body.ack.acked_seq, 9);
    CHECK_EQ(msg.body.ack.acked_type, RFX_MSG_ARM);
    CHECK_EQ(msg.body.ack.result, RFX_ACK_NOT_CONFIGURED);
    CHECK_EQ(msg.body.ack.status, 0);
    host_actuate1(0.5f);
    CHECK_EQ(fake.motor[0], 0);
}

static void test_arm_then_actuate_moves_motor_with_clamping(void) {
    device_start();
    host_hello(0);
    host_arm(77);
    CHECK(device_next_of(RFX_MSG_ACK, &msg));
    CHECK_EQ(msg.body.ack.acked_seq, 77);
    CHECK_EQ(msg.body.ack.result, RFX_ACK_OK);
    CHECK_EQ(msg.body.ack.status, STATUS_ARMED_CONFIGURED);
    CHECK_EQ(fake.motor[0], 0); /* armed: still safe until the first ACTUATE */
    host_actuate1(0.5f);
    CHECK_EQ(fake.motor[0], 5000);
    advance_us(15000); /* zero-order hold between commands */
    CHECK_EQ(fake.motor[0], 5000);
    host_actuate1(-0.25f);
    CHECK_EQ(fake.motor[0], -2500);
    host_actuate1(2.5f); /* finite but out of range: clamped, not a fault */
    CHECK_EQ(fake.motor[0], HAL_DUTY_MAX);
    host_actuate1(-7.0f);
    CHECK_EQ(fake.motor[0], -HAL_DUTY_MAX);
    CHECK_EQ(dut.stats.faults, 0);
    advance_us(PERIOD_US);
    CHECK(device_next_of(RFX_MSG_SENSORS, &msg));
    CHECK_EQ(msg.body.sensors.status, STATUS_ARMED_CONFIGURED);
}

static void test_arm_is_idempotent(void) {
    start_armed();
    host_actuate1(0.5f);
    host_arm(100); /* a retry whose original got through */
    CHECK(device_next_of(RFX_MSG_ACK, &msg));
    CHECK_EQ(msg.body.ack.result, RFX_ACK_OK);
    CHECK_EQ(msg.body.ack.acked_seq, 100);
    CHECK_EQ(dut.stats.arms, 1);
    CHECK_EQ(fake.motor[0], 5000); /* changes nothing */
}

static void test_commands_while_disarmed_are_ignored(void) {
    device_start();
    host_hello(0);
    host_actuate1(0.9f);
    host_heartbeat();
    advance_us(200000);
    CHECK_EQ(fake.motor[0], 0);
    CHECK_EQ(dut.stats.ignored_commands, 2);
    CHECK_EQ(dut.stats.faults, 0);
    CHECK(!device_next_of(RFX_MSG_FAULT, &msg));
}

static void test_disarm_goes_safe_and_is_always_acked(void) {
    device_start();
    host_disarm(3); /* before HELLO: accepted too */
    CHECK(device_next(&msg));
    CHECK_EQ(msg.type, RFX_MSG_ACK);
    CHECK_EQ(msg.body.ack.acked_type, RFX_MSG_DISARM);
    CHECK_EQ(msg.body.ack.result, RFX_ACK_OK);
    start_armed();
    host_actuate1(-0.5f);
    CHECK_EQ(fake.motor[0], -5000);
    host_disarm(101);
    CHECK_EQ(fake.motor[0], 0);
    CHECK(device_next_of(RFX_MSG_ACK, &msg));
    CHECK_EQ(msg.body.ack.acked_seq, 101);
    CHECK_EQ(msg.body.ack.status, STATUS_CONFIGURED);
    host_actuate1(0.5f); /* no motion after DISARM until a new ARM */
    CHECK_EQ(fake.motor[0], 0);
    advance_us(200000);
    CHECK(!device_next_of(RFX_MSG_FAULT, &msg)); /* disarmed: no watchdog */
}

static void test_hello_while_armed_disarms(void) {
    start_armed();
    host_actuate1(0.3f);
    CHECK_EQ(fake.motor[0], 3000);
    host_hello(0);
    CHECK_EQ(fake.motor[0], 0);
    CHECK(device_next_of(RFX_MSG_IDENTIFY, &msg));
    CHECK_EQ(app_status_byte(&dut), STATUS_CONFIGURED);
}

/* ---- Failsafe ----------------------------------------------------------------------------------- */

static void test_watchdog_fires_after_its_time_and_not_before(void) {
    uint64_t commanded;
    start_armed();
    host_actuate1(0.8f);
    commanded = fake.now_us;
    advance_us(WATCHDOG_US); /* exactly the watchdog time: not yet */
    CHECK_EQ(fake.motor[0], 8000);
    CHECK(!device_next_of(RFX_MSG_FAULT, &msg));
    advance_us(POLL_STEP_US); /* just past it: the next pass of the loop fires */
    CHECK_EQ(fake.motor[0], 0);
    CHECK(device_next_of(RFX_MSG_FAULT, &msg));
    CHECK_EQ(msg.body.fault.code, RFX_FAULT_WATCHDOG);
    CHECK_EQ(msg.body.fault.detail, WATCHDOG_MS);
    CHECK_EQ(msg.body.fault.timestamp_us, commanded + WATCHDOG_US + POLL_STEP_US);
    CHECK_EQ(app_status_byte(&dut), STATUS_FAULT_CONFIGURED);
    advance_us(PERIOD_US);
    CHECK(device_next_of(RFX_MSG_SENSORS, &msg));
    CHECK_EQ(msg.body.sensors.status, STATUS_FAULT_CONFIGURED);
    /* Motion resumes only after an explicit ARM: commands after the fault are ignored. */
    host_actuate1(0.8f);
    advance_us(1000);
    CHECK_EQ(fake.motor[0], 0);
    CHECK_EQ(dut.stats.faults, 1); /* one FAULT, not one per period */
    host_arm(200);
    CHECK(device_next_of(RFX_MSG_ACK, &msg));
    CHECK_EQ(msg.body.ack.status, STATUS_ARMED_CONFIGURED); /* FAULT bit cleared */
    CHECK_EQ(fake.motor[0], 0);
    host_actuate1(0.8f);
    CHECK_EQ(fake.motor[0], 8000);
}

static void test_watchdog_time_from_hello(void) {
    device_start();
    host_hello(120);
    host_arm(1);
    host_actuate1(0.5f);
    advance_us(120000);
    CHECK_EQ(fake.motor[0], 5000);
    advance_us(POLL_STEP_US);
    CHECK_EQ(fake.motor[0], 0);
    CHECK(device_next_of(RFX_MSG_FAULT, &msg));
    CHECK_EQ(msg.body.fault.detail, 120);
}

static void test_arm_alone_starts_the_watchdog(void) {
    start_armed();
    advance_us(WATCHDOG_US + POLL_STEP_US);
    CHECK(device_next_of(RFX_MSG_FAULT, &msg));
    CHECK_EQ(msg.body.fault.code, RFX_FAULT_WATCHDOG);
}

static void test_heartbeats_and_actuates_keep_it_armed(void) {
    int i;
    start_armed();
    host_actuate1(0.4f);
    for (i = 0; i < 50; i++) {
        advance_us(WATCHDOG_US - 5000); /* just inside the watchdog time, every time */
        host_heartbeat();
    }
    for (i = 0; i < 100; i++) {
        advance_us(PERIOD_US);
        host_actuate1(0.1f * (float)(i % 10));
    }
    CHECK_EQ(dut.stats.faults, 0);
    CHECK_EQ(app_status_byte(&dut), STATUS_ARMED_CONFIGURED);
    CHECK_EQ(fake.motor[0], 9000);
}

static void test_estop_faults_and_refuses_arm(void) {
    start_armed();
    host_actuate1(1.0f);
    CHECK_EQ(fake.motor[0], HAL_DUTY_MAX);
    fake.estop = 1;
    poll_once(); /* the same pass of the loop that sees it */
    CHECK_EQ(fake.motor[0], 0);
    CHECK(device_next_of(RFX_MSG_FAULT, &msg));
    CHECK_EQ(msg.body.fault.code, RFX_FAULT_ESTOP);
    host_arm(5);
    CHECK(device_next_of(RFX_MSG_ACK, &msg));
    CHECK_EQ(msg.body.ack.result, RFX_ACK_REFUSED);
    CHECK_EQ(msg.body.ack.status, STATUS_FAULT_CONFIGURED);
    host_actuate1(1.0f);
    CHECK_EQ(fake.motor[0], 0);
    fake.estop = 0; /* releasing the e-stop does not resume motion */
    advance_us(100000);
    host_actuate1(1.0f);
    CHECK_EQ(fake.motor[0], 0);
    host_arm(6);
    CHECK(device_next_of(RFX_MSG_ACK, &msg));
    CHECK_EQ(msg.body.ack.result, RFX_ACK_OK);
    host_actuate1(1.0f);
    CHECK_EQ(fake.motor[0], HAL_DUTY_MAX);
}

static void test_bad_actuate_values_fault(void) {
    rfx_actuate two;
    start_armed();
    host_actuate1(0.5f);
    host_actuate1(NAN);
    CHECK_EQ(fake.motor[0], 0);
    CHECK(device_next_of(RFX_MSG_FAULT, &msg));
    CHECK_EQ(msg.body.fault.code, RFX_FAULT_OUT_OF_RANGE);
    CHECK_EQ(msg.body.fault.detail, 0);
    host_arm(101);
    host_actuate1(0.5f);
    host_actuate1(-INFINITY);
    CHECK_EQ(fake.motor[0], 0);
    CHECK(device_next_of(RFX_MSG_FAULT, &msg));
    CHECK_EQ(msg.body.fault.code, RFX_FAULT_OUT_OF_RANGE);
    host_arm(102);
    host_actuate1(0.5f);
    memset(&two, 0, sizeof two);
    two.count = 2;
    two.values[0] = 0.1f;
    two.values[1] = 0.2f;
    host_send(RFX_MSG_ACTUATE, 0, &two);
    CHECK_EQ(fake.motor[0], 0);
    CHECK(device_next_of(RFX_MSG_FAULT, &msg));
    CHECK_EQ(msg.body.fault.code, RFX_FAULT_CHANNEL_COUNT);
    CHECK_EQ(msg.body.fault.detail, 2);
    CHECK_EQ(app_status_byte(&dut), STATUS_FAULT_CONFIGURED);
}

static void test_failsafe_holds_when_host_stopped_reading(void) {
    start_armed();
    host_actuate1(0.7f);
    fake.tx_free_limit = 1; /* transmit buffer full: nothing can be sent */
    advance_us(100000);
    CHECK_EQ(fake.motor[0], 0); /* the motor stops even though the FAULT cannot go out */
    CHECK_EQ(dut.stats.faults, 1);
    CHECK(dut.stats.frames_dropped >= 5);
    fake.tx_free_limit = 0;
    device_drain();
    advance_us(20000);
    CHECK(device_next_of(RFX_MSG_SENSORS, &msg));
    CHECK_EQ(msg.body.sensors.status, STATUS_FAULT_CONFIGURED);
}

/* ---- Sequence numbers --------------------------------------------------------------------------- */

static void test_device_sequence_counts_frames_sent(void) {
    uint16_t expect = 0;
    int n = 0;
    device_start();
    host_hello(0);
    host_arm(0xFFFF); /* any host sequence is accepted and echoed */
    advance_us(100000);
    host_disarm(0xFFFF); /* a repeated sequence too */
    while (device_next(&msg)) {
        CHECK_EQ(msg.seq, expect);
        if (msg.type == RFX_MSG_ACK) {
            CHECK_EQ(msg.body.ack.acked_seq, 0xFFFF);
        }
        expect++;
        n++;
    }
    CHECK(n >= 7);
}

static void test_device_sequence_wraps(void) {
    static uint8_t burst[8 * 512];
    uint8_t frame[16];
    size_t len = 0;
    size_t i;
    uint32_t acks = 0;
    uint16_t last = 0;
    device_start();
    CHECK_EQ(rfx_frame_encode(RFX_MSG_DISARM, 0, NULL, 0, frame, sizeof frame, &len), RFX_OK);
    CHECK_EQ(len, 8);
    for (i = 0; i < 512; i++) {
        memcpy(&burst[i * 8], frame, 8);
    }
    for (i = 0; i < 130; i++) { /* 66 560 DISARMs, each answered by an ACK */
        host_send_bytes(burst, sizeof burst);
        while (device_next(&msg)) {
            if (acks > 0) {
                CHECK_EQ(msg.seq, (uint16_t)(last + 1));
            }
            last = msg.seq;
            acks++;
        }
        device_output_clear(); /* the test read it all: reuse the buffer */
    }
    CHECK_EQ(acks, 130u * 512u);
    CHECK_EQ(last, (uint16_t)(130u * 512u - 1u)); /* wrapped from 0xFFFF to 0 on the way */
}

/* ---- Runner ------------------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    void (*run)(void);
} test_case;

#define TEST(fn) {#fn, fn}

static const test_case tests[] = {
    TEST(test_init_drives_safe_values_and_enables_watchdog),
    TEST(test_silent_before_hello),
    TEST(test_hello_answered_with_identify_of_cartpole_rig),
    TEST(test_hello_watchdog_request),
    TEST(test_sensors_every_period_with_encoder_counts),
    TEST(test_late_period_is_skipped_not_replayed),
    TEST(test_arm_before_hello_is_not_configured),
    TEST(test_arm_then_actuate_moves_motor_with_clamping),
    TEST(test_arm_is_idempotent),
    TEST(test_commands_while_disarmed_are_ignored),
    TEST(test_disarm_goes_safe_and_is_always_acked),
    TEST(test_hello_while_armed_disarms),
    TEST(test_watchdog_fires_after_its_time_and_not_before),
    TEST(test_watchdog_time_from_hello),
    TEST(test_arm_alone_starts_the_watchdog),
    TEST(test_heartbeats_and_actuates_keep_it_armed),
    TEST(test_estop_faults_and_refuses_arm),
    TEST(test_bad_actuate_values_fault),
    TEST(test_failsafe_holds_when_host_stopped_reading),
    TEST(test_device_sequence_counts_frames_sent),
    TEST(test_device_sequence_wraps),
    TEST(test_bad_frames_are_counted_and_ignored),
    TEST(test_flood_without_delimiter_is_survived),
    TEST(test_device_messages_sent_to_device_are_ignored),
    TEST(test_link_stats_count_each_kind_of_bad_frame),
    TEST(test_link_stats_only_after_hello_and_never_cleared),
    TEST(test_golden_host_frames_drive_the_device),
    TEST(test_golden_device_frames_are_ignored_by_the_device),
    TEST(test_other_tables_adc_sensor_and_nonzero_safe_value),
    TEST(test_unusable_tables_are_refused),
    TEST(test_led_shows_state),
};

int main(int argc, char **argv) {
    size_t i;
    int passed = 0;
    int failed = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: %s GOLDEN_FRAMES_FILE (firmware-bridge/protocol/tests/golden_frames.txt)\n", argv[0]);
        return 2;
    }
    golden_path = argv[1];
    for (i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        harness_failures = 0;
        tests[i].run();
        if (harness_failures == 0) {
            passed++;
        } else {
            fprintf(stderr, "FAIL %s (%d checks)\n", tests[i].name, harness_failures);
            failed++;
        }
        if (device_output_errors() != 0) {
            fprintf(stderr, "FAIL %s: the device sent %u malformed frames\n", tests[i].name,
                    (unsigned)device_output_errors());
            failed++;
        }
    }
    printf("firmware host tests: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
