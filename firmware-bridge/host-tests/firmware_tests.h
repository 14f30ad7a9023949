/*
 * What the firmware host-test files share: the cartpole-rig timing, the shared message buffer and
 * helpers (test_firmware.c), and the tests that live in test_input.c.
 */
#ifndef FIRMWARE_TESTS_H
#define FIRMWARE_TESTS_H

#include "harness.h"

/* cartpole-rig's timing (simulators/cartpole-rig.yaml: control_period 0.01). */
#define PERIOD_US 10000u
#define WATCHDOG_MS 30u /* default: 2 × 10 ms + 10 ms */
#define WATCHDOG_US (WATCHDOG_MS * 1000u)

#define STATUS_CONFIGURED RFX_STATUS_CONFIGURED
#define STATUS_ARMED_CONFIGURED (RFX_STATUS_ARMED | RFX_STATUS_CONFIGURED)
#define STATUS_FAULT_CONFIGURED (RFX_STATUS_FAULT | RFX_STATUS_CONFIGURED)

/* ~2.5 KB, shared by the tests (one at a time). */
extern rfx_message msg;
/* The golden frames file named on the command line. */
extern const char *golden_path;

/* HELLO with the default watchdog, armed with ARM seq 100, everything the device said drained. */
void start_armed(void);
int string_is(const rfx_string *s, const char *want);

/* test_input.c: bad input, golden frames, channel tables. */
void test_bad_frames_are_counted_and_ignored(void);
void test_flood_without_delimiter_is_survived(void);
void test_device_messages_sent_to_device_are_ignored(void);
void test_link_stats_count_each_kind_of_bad_frame(void);
void test_link_stats_only_after_hello_and_never_cleared(void);
void test_golden_host_frames_drive_the_device(void);
void test_golden_device_frames_are_ignored_by_the_device(void);
void test_other_tables_adc_sensor_and_nonzero_safe_value(void);
void test_unusable_tables_are_refused(void);
void test_led_shows_state(void);

#endif
