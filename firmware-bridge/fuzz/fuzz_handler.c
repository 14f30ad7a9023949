/*
 * libFuzzer target: the firmware application (app.c) on the fake board, driven by a fuzzed host.
 *
 * Input: records of [length u8][control u8][length bytes for the serial link]. The control byte lets time
 * pass ((control & 0x3F) ms) after the bytes are read, bit 6 toggles the e-stop, bit 7 toggles a full
 * transmit buffer. After every pass of the main loop the failsafe invariants are checked:
 *  - the motor is at its safe value unless armed, and an e-stop is never armed;
 *  - armed means configured, and no armed state outlives the watchdog time since the last command;
 *  - the motor never exceeds full scale;
 *  - everything the device sends is a valid frame, with consecutive sequence numbers;
 *  - LINK_STATS only once configured, with counters that never run ahead of the device's own.
 */
#include <stdint.h>
#include <string.h>

#include "app.h"
#include "fake_hal.h"

#define REQUIRE(cond)                                                                                   \
    do {                                                                                                \
        if (!(cond)) {                                                                                  \
            __builtin_trap();                                                                           \
        }                                                                                               \
    } while (0)

static app dut;
static rfx_decoder out;
static size_t out_pos;
static uint32_t out_frames;
static uint16_t out_next_seq;
static rfx_message message;

static void check_output(void) {
    while (out_pos < fake.tx_len) {
        rfx_frame_view f;
        rfx_push_result r = rfx_decoder_push(&out, fake.tx[out_pos++], &f, NULL);
        REQUIRE(r != RFX_PUSH_ERROR);
        if (r == RFX_PUSH_FRAME) {
            REQUIRE(rfx_message_decode(&f, &message) == RFX_OK);
            REQUIRE(out_frames == 0 || f.seq == out_next_seq);
            out_next_seq = (uint16_t)(f.seq + 1);
            out_frames++;
            if (message.type == RFX_MSG_LINK_STATS) {
                /* Only answered once configured; the counters it reports never run ahead of the decoder's. */
                REQUIRE(dut.configured);
                REQUIRE(message.body.link_stats.cobs_errors <= dut.decoder.stats.cobs_errors);
                REQUIRE(message.body.link_stats.crc_errors <= dut.decoder.stats.crc_errors);
                REQUIRE(message.body.link_stats.sequence_gaps <= message.body.link_stats.frames);
                REQUIRE(message.body.link_stats.tx_dropped <= dut.stats.frames_dropped);
            }
            if (message.type == RFX_MSG_FAULT) {
                REQUIRE(message.body.fault.code >= RFX_FAULT_WATCHDOG && message.body.fault.code <= RFX_FAULT_INTERNAL);
            }
        }
    }
    if (fake.tx_len > FAKE_TX_CAPACITY / 2) {
        fake.tx_len = 0;
        out_pos = 0;
    }
}

static void check_invariants(void) {
    uint8_t status = app_status_byte(&dut);
    REQUIRE((status & ~(RFX_STATUS_ARMED | RFX_STATUS_FAULT | RFX_STATUS_CONFIGURED)) == 0);
    REQUIRE(fake.motor[0] >= -HAL_DUTY_MAX && fake.motor[0] <= HAL_DUTY_MAX);
    if (!dut.armed || fake.estop) {
        REQUIRE(fake.motor[0] == 0);
    }
    if (dut.armed) {
        REQUIRE(dut.configured);
        REQUIRE(!fake.estop);
        REQUIRE(fake.now_us - dut.last_command_us <= dut.watchdog_us);
        REQUIRE(!(status & RFX_STATUS_FAULT));
    }
    check_output();
}

static void poll(void) {
    app_poll(&dut);
    check_invariants();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t i = 0;
    fake_reset();
    rfx_decoder_init(&out);
    out_pos = 0;
    out_frames = 0;
    out_next_seq = 0;
    REQUIRE(app_init(&dut, &fake_hal, &robot_cartpole_rig) == APP_OK);
    check_invariants();
    while (i + 2 <= size) {
        size_t len = data[i];
        uint8_t control = data[i + 1];
        uint32_t ms;
        i += 2;
        if (len > size - i) {
            len = size - i;
        }
        if (control & 0x40) {
            fake.estop ^= 1;
        }
        if (control & 0x80) {
            fake.tx_free_limit = fake.tx_free_limit ? 0 : 1;
        }
        REQUIRE(fake_rx(data + i, len));
        i += len;
        while (fake.rx_pos < fake.rx_len) {
            poll();
        }
        for (ms = 0; ms < (uint32_t)(control & 0x3F); ms++) {
            fake.now_us += 250;
            poll();
            fake.now_us += 750;
            poll();
        }
    }
    return 0;
}
