/*
 * Test harness for the firmware on the host: a tiny test runner, a device (app + fake board) that the
 * test drives like a host would (send frames, let time pass, read what came back).
 */
#ifndef REFLEX_HOST_TEST_HARNESS_H
#define REFLEX_HOST_TEST_HARNESS_H

#include <stdio.h>

#include "app.h"
#include "fake_hal.h"
#include "reflex_protocol.h"

/* ---- Runner ---- */

extern int harness_failures; /* failures in the current test */

#define CHECK(cond)                                                                                     \
    do {                                                                                                \
        if (!(cond)) {                                                                                  \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                  \
            harness_failures++;                                                                         \
        }                                                                                               \
    } while (0)

#define CHECK_EQ(a, b)                                                                                  \
    do {                                                                                                \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                                 \
        if (check_a_ != check_b_) {                                                                     \
            fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b,     \
                    check_a_, check_b_);                                                                \
            harness_failures++;                                                                         \
        }                                                                                               \
    } while (0)

/* ---- Device under test ---- */

extern app dut;

/** Poll step of the simulated main loop, in µs (the MCU's loop is faster; 100 µs keeps tests quick). */
#define POLL_STEP_US 100u

/** Fresh fake board and app_init with the cartpole-rig table; checks that init succeeded. */
void device_start(void);
/** Fresh fake board and app_init with another table; returns app_init's result. */
app_status device_start_with(const robot *r);
/** Lets `us` microseconds pass in POLL_STEP_US steps, calling app_poll after each step. */
void advance_us(uint64_t us);
/** One app_poll without moving the clock. */
void poll_once(void);

/** Sends a message as the host (sequence given), then polls once. */
void host_send(uint8_t type, uint16_t seq, const void *body);
void host_send_bytes(const uint8_t *bytes, size_t len);
void host_hello(uint16_t watchdog_ms);
void host_arm(uint16_t seq);
void host_disarm(uint16_t seq);
void host_actuate1(float value);
void host_heartbeat(void);

/** Next complete message the device sent since the last call (1), or 0 when there is none. */
int device_next(rfx_message *m);
/** Skips device output up to the first message of `type`; 0 if none. */
int device_next_of(uint8_t type, rfx_message *m);
/** Discards everything the device sent so far. */
void device_drain(void);
/** Empties the fake transmit buffer after the test has read it (for tests that send a lot). */
void device_output_clear(void);
/** Bad frames the test's own decoder saw in the device's output (must stay 0). */
uint32_t device_output_errors(void);

#endif
