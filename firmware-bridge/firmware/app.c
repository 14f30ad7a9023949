/* The Reflex firmware application: protocol handling, failsafe, sampling and command application. */
#include "app.h"

#include <string.h>

/* ---- Outputs ------------------------------------------------------------------------------------ */

static int value_is_finite(float v) {
    /* No <math.h> isfinite on purpose: avr-libc's pulls in more code, and this is exact for IEEE floats. */
    return v == v && v - v == 0.0f;
}

/* Drives every actuator: the held command while armed and the e-stop is released, the safe value otherwise. */
static void apply_outputs(app *a, uint8_t estop) {
    const robot *r = a->robot;
    uint8_t i;
    for (i = 0; i < r->actuator_count; i++) {
        const robot_actuator *c = &r->actuators[i];
        float v = (a->armed && !estop) ? a->held[i] : c->safe;
        float scaled = v * c->scale;
        int32_t duty;
        scaled += scaled >= 0.0f ? 0.5f : -0.5f;
        if (scaled > (float)HAL_DUTY_MAX) {
            scaled = (float)HAL_DUTY_MAX;
        } else if (scaled < -(float)HAL_DUTY_MAX) {
            scaled = -(float)HAL_DUTY_MAX;
        }
        duty = (int32_t)scaled;
        if (c->sink == ROBOT_TO_MOTOR) {
            a->hal->motor->set(c->index, (int16_t)duty);
        }
    }
}

static void hold_safe_values(app *a) {
    const robot *r = a->robot;
    uint8_t i;
    for (i = 0; i < r->actuator_count; i++) {
        a->held[i] = r->actuators[i].safe;
    }
}

/* ---- Sending ------------------------------------------------------------------------------------ */

/* Frames the payload in a->payload[0..len) and queues it whole, or drops it (counted) when it does not fit. */
static void send_payload(app *a, uint8_t type, size_t len) {
    size_t wire_len = 0;
    const hal_serial *s = a->hal->serial;
    if (rfx_frame_encode(type, a->tx_seq, a->payload, len, a->wire, sizeof a->wire, &wire_len) != RFX_OK) {
        a->stats.frames_dropped++;
        return;
    }
    /* The sequence number counts frames sent, so a dropped frame does not consume one (no false gap). */
    if (s->tx_free() < wire_len || !s->write(a->wire, wire_len)) {
        a->stats.frames_dropped++;
        return;
    }
    a->tx_seq++;
    a->stats.frames_sent++;
}

uint8_t app_status_byte(const app *a) {
    uint8_t s = 0;
    if (a->armed) {
        s |= RFX_STATUS_ARMED;
    }
    if (a->fault_latched) {
        s |= RFX_STATUS_FAULT;
    }
    if (a->configured) {
        s |= RFX_STATUS_CONFIGURED;
    }
    return s;
}

/* Writes IDENTIFY's payload into a->payload; returns the writer's status. */
static rfx_status put_identify(app *a, rfx_writer *w) {
    const robot *r = a->robot;
    uint8_t i;
    rfx_writer_init(w, a->payload, sizeof a->payload);
    rfx_put_identify_header(w, r->fw_major, r->fw_minor, r->fw_patch, r->period_us, a->watchdog_ms, r->name,
                            strlen(r->name), r->sensor_count);
    for (i = 0; i < r->sensor_count; i++) {
        const robot_sensor *c = &r->sensors[i];
        rfx_put_channel(w, c->name, strlen(c->name), c->unit, strlen(c->unit), c->min, c->max, 0, 0.0f);
    }
    rfx_put_u8(w, r->actuator_count);
    for (i = 0; i < r->actuator_count; i++) {
        const robot_actuator *c = &r->actuators[i];
        rfx_put_channel(w, c->name, strlen(c->name), c->unit, strlen(c->unit), c->min, c->max, 1, c->safe);
    }
    return w->status;
}

static void send_ack(app *a, uint16_t seq, uint8_t type, uint8_t result) {
    rfx_writer w;
    rfx_ack ack;
    ack.acked_seq = seq;
    ack.acked_type = type;
    ack.result = result;
    ack.status = app_status_byte(a);
    rfx_writer_init(&w, a->payload, sizeof a->payload);
    rfx_put_ack(&w, &ack);
    send_payload(a, RFX_MSG_ACK, w.len);
}

/* LINK_STATS: the decoder's counters, and what the serial link lost on either side of it. */
static void send_link_stats(app *a, uint16_t seq, uint64_t now) {
    rfx_writer w;
    rfx_link_stats m;
    const rfx_decoder_stats *d = &a->decoder.stats;
    m.request_seq = seq;
    m.timestamp_us = now;
    m.frames = d->frames;
    m.cobs_errors = d->cobs_errors;
    m.crc_errors = d->crc_errors;
    m.version_errors = d->version_errors;
    m.short_errors = d->short_errors;
    m.long_errors = d->long_errors;
    m.payload_errors = d->payload_errors;
    m.type_errors = d->type_errors;
    m.sequence_gaps = d->sequence_gaps;
    m.rx_overruns = a->hal->serial->rx_overruns();
    m.tx_dropped = a->stats.frames_dropped;
    rfx_writer_init(&w, a->payload, sizeof a->payload);
    rfx_put_link_stats(&w, &m);
    send_payload(a, RFX_MSG_LINK_STATS, w.len);
}

/* Every FAULT: disarm, actuators safe at once, then tell the host why. */
static void fault(app *a, uint8_t code, uint16_t detail, uint64_t now) {
    rfx_writer w;
    rfx_fault f;
    a->armed = 0;
    hold_safe_values(a);
    apply_outputs(a, 0);
    a->fault_latched = 1;
    a->last_fault = code;
    a->stats.faults++;
    f.code = code;
    f.detail = detail;
    f.timestamp_us = now;
    rfx_writer_init(&w, a->payload, sizeof a->payload);
    rfx_put_fault(&w, &f);
    send_payload(a, RFX_MSG_FAULT, w.len);
}

/* ---- Receiving ---------------------------------------------------------------------------------- */

static uint16_t default_watchdog_ms(const robot *r) {
    uint32_t ms;
    if (r->default_watchdog_ms != 0) {
        return r->default_watchdog_ms;
    }
    ms = (2u * r->period_us + 999u) / 1000u + RFX_WATCHDOG_MARGIN_MS;
    return ms > 0xFFFFu ? (uint16_t)0xFFFFu : (uint16_t)ms;
}

static void handle_hello(app *a, const rfx_hello *m) {
    uint32_t period_ms = (a->robot->period_us + 999u) / 1000u;
    uint16_t watchdog;
    rfx_writer w;
    if (m->watchdog_ms == 0) {
        watchdog = default_watchdog_ms(a->robot);
    } else if (m->watchdog_ms < period_ms) {
        watchdog = (uint16_t)period_ms; /* the watchdog is checked once per period at worst */
    } else {
        watchdog = m->watchdog_ms;
    }
    a->armed = 0;
    hold_safe_values(a);
    apply_outputs(a, 0);
    a->configured = 1;
    a->fault_latched = 0;
    a->watchdog_ms = watchdog;
    a->watchdog_us = (uint64_t)watchdog * 1000u;
    a->stats.handshakes++;
    put_identify(a, &w); /* fits: app_init built it once */
    send_payload(a, RFX_MSG_IDENTIFY, w.len);
}

static void handle_arm(app *a, uint16_t seq, uint64_t now) {
    if (!a->configured) {
        send_ack(a, seq, RFX_MSG_ARM, RFX_ACK_NOT_CONFIGURED);
        return;
    }
    if (a->hal->estop->active()) {
        send_ack(a, seq, RFX_MSG_ARM, RFX_ACK_REFUSED);
        return;
    }
    if (!a->armed) {
        /* Motion starts from the safe values: only an ACTUATE after this ARM moves anything. */
        hold_safe_values(a);
        a->stats.arms++;
    }
    a->armed = 1;
    a->fault_latched = 0;
    a->last_command_us = now;
    send_ack(a, seq, RFX_MSG_ARM, RFX_ACK_OK);
}

static void handle_disarm(app *a, uint16_t seq) {
    a->armed = 0;
    hold_safe_values(a);
    apply_outputs(a, 0);
    send_ack(a, seq, RFX_MSG_DISARM, RFX_ACK_OK);
}

static void handle_actuate(app *a, const rfx_actuate *m, uint64_t now) {
    const robot *r = a->robot;
    uint8_t i;
    if (!a->armed) {
        a->stats.ignored_commands++;
        return;
    }
    if (m->count != r->actuator_count) {
        fault(a, RFX_FAULT_CHANNEL_COUNT, m->count, now);
        return;
    }
    for (i = 0; i < m->count; i++) {
        if (!value_is_finite(m->values[i])) {
            fault(a, RFX_FAULT_OUT_OF_RANGE, i, now);
            return;
        }
    }
    for (i = 0; i < m->count; i++) {
        const robot_actuator *c = &r->actuators[i];
        float v = m->values[i];
        a->held[i] = v < c->min ? c->min : (v > c->max ? c->max : v);
    }
    a->last_command_us = now;
}

static void handle_frame(app *a, const rfx_frame_view *f, uint64_t now) {
    rfx_status st = RFX_OK;
    switch (f->type) {
    case RFX_MSG_HELLO: {
        rfx_hello m;
        st = rfx_decode_hello(f->payload, f->payload_len, &m);
        if (st == RFX_OK) {
            handle_hello(a, &m);
        }
        break;
    }
    case RFX_MSG_ARM:
        st = rfx_decode_arm(f->payload, f->payload_len);
        if (st == RFX_OK) {
            handle_arm(a, f->seq, now);
        }
        break;
    case RFX_MSG_DISARM:
        st = rfx_decode_disarm(f->payload, f->payload_len);
        if (st == RFX_OK) {
            handle_disarm(a, f->seq);
        }
        break;
    case RFX_MSG_ACTUATE: {
        rfx_actuate m;
        st = rfx_decode_actuate(f->payload, f->payload_len, &m);
        if (st == RFX_OK) {
            handle_actuate(a, &m, now);
        }
        break;
    }
    case RFX_MSG_HEARTBEAT: {
        rfx_heartbeat m;
        st = rfx_decode_heartbeat(f->payload, f->payload_len, &m);
        if (st == RFX_OK) {
            if (a->armed) {
                a->last_command_us = now;
            } else {
                a->stats.ignored_commands++;
            }
        }
        break;
    }
    case RFX_MSG_GET_LINK_STATS:
        st = rfx_decode_get_link_stats(f->payload, f->payload_len);
        if (st == RFX_OK && a->configured) {
            send_link_stats(a, f->seq, now); /* like everything else, only after a HELLO (PROTOCOL.md §6.1) */
        }
        break;
    case RFX_MSG_IDENTIFY:
    case RFX_MSG_SENSORS:
    case RFX_MSG_FAULT:
    case RFX_MSG_ACK:
    case RFX_MSG_LINK_STATS:
        a->stats.bad_messages++; /* a device's message echoed back to us (a loopback cable?) */
        return;
    default:
        st = RFX_ERR_TYPE;
        break;
    }
    if (st != RFX_OK) {
        /* Malformed payload: dropped and counted like a bad frame, never answered (PROTOCOL.md §2). */
        rfx_decoder_count(&a->decoder, st);
        a->stats.bad_messages++;
    }
}

/* ---- The period --------------------------------------------------------------------------------- */

static float read_sensor(const app *a, const robot_sensor *c) {
    const hal *h = a->hal;
    switch (c->source) {
    case ROBOT_FROM_ENCODER: return (float)h->encoder->read(c->index) * c->scale;
    case ROBOT_FROM_ADC: return (float)h->adc->read(c->index) * c->scale;
    default: return 0.0f;
    }
}

static void period(app *a, uint64_t now) {
    const robot *r = a->robot;
    rfx_writer w;
    uint8_t i;
    a->stats.periods++;
    if (!a->configured) {
        return; /* nothing is sent before the first HELLO (PROTOCOL.md §6.1) */
    }
    rfx_writer_init(&w, a->payload, sizeof a->payload);
    rfx_put_u64(&w, now);
    rfx_put_u8(&w, app_status_byte(a));
    rfx_put_u8(&w, r->sensor_count);
    for (i = 0; i < r->sensor_count; i++) {
        rfx_put_f32(&w, read_sensor(a, &r->sensors[i]));
    }
    send_payload(a, RFX_MSG_SENSORS, w.len);
}

static void update_led(app *a, uint64_t now) {
    uint8_t on;
    uint32_t ms = (uint32_t)(now / 1000u);
    if (a->armed) {
        on = 1;                    /* steady: motion allowed */
    } else if (a->fault_latched) {
        on = (ms / 125u) & 1u;     /* fast blink: faulted, waiting for ARM */
    } else if (a->configured) {
        on = (ms / 500u) & 1u;     /* slow blink: host connected, disarmed */
    } else {
        on = (ms % 2000u) < 50u;   /* short flash: waiting for HELLO */
    }
    a->hal->led->set(on);
}

/* ---- Entry points ------------------------------------------------------------------------------- */

static app_status check_table(const app *a) {
    const robot *r = a->robot;
    const hal *h = a->hal;
    uint8_t i;
    if (r->sensor_count > ROBOT_MAX_SENSORS || r->actuator_count > ROBOT_MAX_ACTUATORS) {
        return APP_ERR_TOO_MANY_CHANNELS;
    }
    if (r->period_us == 0) {
        return APP_ERR_BAD_TABLE;
    }
    for (i = 0; i < r->sensor_count; i++) {
        const robot_sensor *c = &r->sensors[i];
        uint8_t available = c->source == ROBOT_FROM_ENCODER ? h->encoder->count
                          : c->source == ROBOT_FROM_ADC ? h->adc->count : 0;
        if (c->index >= available) {
            return APP_ERR_TOO_MANY_CHANNELS;
        }
    }
    for (i = 0; i < r->actuator_count; i++) {
        const robot_actuator *c = &r->actuators[i];
        if (c->sink != ROBOT_TO_MOTOR || c->index >= h->motor->count) {
            return APP_ERR_TOO_MANY_CHANNELS;
        }
        if (!value_is_finite(c->min) || !value_is_finite(c->max) || !value_is_finite(c->scale) || c->min > c->max ||
            !(c->safe >= c->min && c->safe <= c->max)) {
            return APP_ERR_BAD_TABLE;
        }
    }
    return APP_OK;
}

app_status app_init(app *a, const hal *h, const robot *r) {
    rfx_writer w;
    app_status st;
    memset(a, 0, sizeof *a);
    a->hal = h;
    a->robot = r;
    h->watchdog->init();
    h->led->init();
    h->motor->init();
    h->estop->init();
    h->encoder->init();
    h->adc->init();
    h->clock->init();
    h->serial->init();
    rfx_decoder_init(&a->decoder);
    a->watchdog_ms = default_watchdog_ms(r);
    a->watchdog_us = (uint64_t)a->watchdog_ms * 1000u;
    a->next_period_us = h->clock->now_us() + r->period_us;
    st = check_table(a);
    if (st == APP_OK) {
        rfx_status ws = put_identify(a, &w);
        if (ws == RFX_ERR_CAPACITY) {
            st = APP_ERR_IDENTIFY_TOO_LONG;
        } else if (ws != RFX_OK) {
            st = APP_ERR_BAD_TABLE;
        }
    }
    if (st != APP_OK) {
        /* Nothing from the table can be trusted: drive every motor the HAL has to zero and stay there. */
        uint8_t i;
        a->broken = 1;
        for (i = 0; i < h->motor->count; i++) {
            h->motor->set(i, 0);
        }
        return st;
    }
    hold_safe_values(a);
    apply_outputs(a, 0);
    return APP_OK;
}

void app_poll(app *a) {
    const hal *h = a->hal;
    uint64_t now;
    uint8_t estop;
    uint8_t n;
    h->watchdog->kick();
    if (a->broken) {
        while (h->serial->read() >= 0) {
            /* discard: a device with an unusable table answers nothing */
        }
        h->led->set(1);
        return;
    }
    for (n = 0; n < APP_MAX_BYTES_PER_POLL; n++) {
        rfx_frame_view f;
        int16_t byte = h->serial->read();
        if (byte < 0) {
            break;
        }
        if (rfx_decoder_push(&a->decoder, (uint8_t)byte, &f, NULL) == RFX_PUSH_FRAME) {
            handle_frame(a, &f, h->clock->now_us());
        }
    }
    now = h->clock->now_us();
    estop = h->estop->active();
    if (estop && a->armed) {
        fault(a, RFX_FAULT_ESTOP, 1, now);
    }
    if (a->armed && now - a->last_command_us > a->watchdog_us) {
        uint64_t ms = (now - a->last_command_us) / 1000u;
        fault(a, RFX_FAULT_WATCHDOG, ms > 0xFFFFu ? (uint16_t)0xFFFFu : (uint16_t)ms, now);
    }
    if (now >= a->next_period_us) {
        uint32_t p = a->robot->period_us;
        if (now - a->next_period_us >= p) {
            a->next_period_us += ((now - a->next_period_us) / p) * p;
            a->stats.overruns++;
        }
        period(a, now);
        a->next_period_us += p;
    }
    apply_outputs(a, estop);
    update_led(a, now);
}
