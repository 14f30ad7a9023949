/* Host-side driver for the firmware under test: see harness.h. */
#include "harness.h"

#include <string.h>

int harness_failures;
app dut;

static rfx_decoder out_decoder;
static size_t out_pos;
static uint16_t host_seq;

app_status device_start_with(const robot *r) {
    fake_reset();
    rfx_decoder_init(&out_decoder);
    out_pos = 0;
    host_seq = 0;
    return app_init(&dut, &fake_hal, r);
}

void device_start(void) {
    CHECK_EQ(device_start_with(&robot_cartpole_rig), APP_OK);
}

void device_output_clear(void) {
    fake.tx_len = 0;
    out_pos = 0;
}

void poll_once(void) {
    app_poll(&dut);
}

void advance_us(uint64_t us) {
    uint64_t end = fake.now_us + us;
    while (fake.now_us < end) {
        uint64_t step = end - fake.now_us < POLL_STEP_US ? end - fake.now_us : POLL_STEP_US;
        fake.now_us += step;
        app_poll(&dut);
    }
}

void host_send_bytes(const uint8_t *bytes, size_t len) {
    /* The device takes at most APP_MAX_BYTES_PER_POLL per poll: keep polling (without time passing,
     * like a fast loop) until everything was read. */
    size_t done = 0;
    size_t polls = 0;
    const size_t max_polls = 1000000; /* a device that stops reading fails the test instead of hanging it */
    while (done < len && polls < max_polls) {
        size_t chunk = len - done > 1024 ? 1024 : len - done;
        if (!fake_rx(bytes + done, chunk)) {
            poll_once();
            polls++;
            continue;
        }
        done += chunk;
    }
    while (fake.rx_pos < fake.rx_len && polls < max_polls) {
        poll_once();
        polls++;
    }
    CHECK(polls < max_polls);
}

void host_send(uint8_t type, uint16_t seq, const void *body) {
    static rfx_message m;
    uint8_t wire[RFX_MAX_WIRE_FRAME];
    size_t len = 0;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.seq = seq;
    switch (type) {
    case RFX_MSG_HELLO: memcpy(&m.body.hello, body, sizeof m.body.hello); break;
    case RFX_MSG_ACTUATE: memcpy(&m.body.actuate, body, sizeof m.body.actuate); break;
    case RFX_MSG_HEARTBEAT: memcpy(&m.body.heartbeat, body, sizeof m.body.heartbeat); break;
    default: break;
    }
    CHECK_EQ(rfx_message_encode(&m, wire, sizeof wire, &len), RFX_OK);
    host_send_bytes(wire, len);
}

void host_hello(uint16_t watchdog_ms) {
    rfx_hello h;
    memset(&h, 0, sizeof h);
    h.protocol_version = 1;
    h.watchdog_ms = watchdog_ms;
    h.host_name.len = 4;
    memcpy(h.host_name.bytes, "test", 4);
    host_send(RFX_MSG_HELLO, host_seq++, &h);
}

void host_arm(uint16_t seq) {
    host_send(RFX_MSG_ARM, seq, NULL);
}

void host_disarm(uint16_t seq) {
    host_send(RFX_MSG_DISARM, seq, NULL);
}

void host_actuate1(float value) {
    rfx_actuate a;
    memset(&a, 0, sizeof a);
    a.count = 1;
    a.values[0] = value;
    host_send(RFX_MSG_ACTUATE, host_seq++, &a);
}

void host_heartbeat(void) {
    rfx_heartbeat h;
    h.status = 0;
    host_send(RFX_MSG_HEARTBEAT, host_seq++, &h);
}

int device_next(rfx_message *m) {
    while (out_pos < fake.tx_len) {
        rfx_frame_view f;
        if (rfx_decoder_push(&out_decoder, fake.tx[out_pos++], &f, NULL) == RFX_PUSH_FRAME) {
            rfx_status st = rfx_message_decode(&f, m);
            if (st == RFX_OK) {
                return 1;
            }
            rfx_decoder_count(&out_decoder, st);
        }
    }
    return 0;
}

int device_next_of(uint8_t type, rfx_message *m) {
    while (device_next(m)) {
        if (m->type == type) {
            return 1;
        }
    }
    return 0;
}

void device_drain(void) {
    static rfx_message m;
    while (device_next(&m)) {
    }
}

uint32_t device_output_errors(void) {
    const rfx_decoder_stats *s = &out_decoder.stats;
    return s->cobs_errors + s->crc_errors + s->version_errors + s->short_errors + s->long_errors + s->payload_errors +
           s->type_errors;
}
