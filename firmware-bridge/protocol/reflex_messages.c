/* Payload layouts of every message (tables in ../PROTOCOL.md) and the incremental frame decoder. */
#include "reflex_protocol.h"

#include <string.h>

/* ---- Encoders ----------------------------------------------------------------------------------- */

static void rfx_put_rfx_string(rfx_writer *w, const rfx_string *s) {
    rfx_put_string(w, s->bytes, s->len);
}

void rfx_put_hello(rfx_writer *w, const rfx_hello *m) {
    rfx_put_u8(w, m->protocol_version);
    rfx_put_u16(w, m->watchdog_ms);
    rfx_put_rfx_string(w, &m->host_name);
}

void rfx_put_identify_header(rfx_writer *w, uint8_t major, uint8_t minor, uint8_t patch, uint32_t period_us,
                             uint16_t watchdog_ms, const char *name, size_t name_len, uint8_t sensor_count) {
    rfx_put_u8(w, major);
    rfx_put_u8(w, minor);
    rfx_put_u8(w, patch);
    rfx_put_u32(w, period_us);
    rfx_put_u16(w, watchdog_ms);
    rfx_put_string(w, name, name_len);
    if (sensor_count > RFX_MAX_CHANNELS && w->status == RFX_OK) {
        w->status = RFX_ERR_VALUE;
    }
    rfx_put_u8(w, sensor_count);
}

void rfx_put_channel(rfx_writer *w, const char *name, size_t name_len, const char *unit, size_t unit_len,
                     float min, float max, int is_actuator, float safe_value) {
    rfx_put_string(w, name, name_len);
    rfx_put_string(w, unit, unit_len);
    rfx_put_f32(w, min);
    rfx_put_f32(w, max);
    if (is_actuator) {
        rfx_put_f32(w, safe_value);
    }
}

void rfx_put_identify(rfx_writer *w, const rfx_identify *m) {
    uint8_t i;
    if (m->sensor_count > RFX_MAX_CHANNELS || m->actuator_count > RFX_MAX_CHANNELS) {
        if (w->status == RFX_OK) {
            w->status = RFX_ERR_VALUE;
        }
        return;
    }
    rfx_put_identify_header(w, m->fw_major, m->fw_minor, m->fw_patch, m->period_us, m->watchdog_ms,
                            m->device_name.bytes, m->device_name.len, m->sensor_count);
    for (i = 0; i < m->sensor_count; i++) {
        const rfx_channel *c = &m->sensors[i];
        rfx_put_channel(w, c->name.bytes, c->name.len, c->unit.bytes, c->unit.len, c->min, c->max, 0, 0.0f);
    }
    rfx_put_u8(w, m->actuator_count);
    for (i = 0; i < m->actuator_count; i++) {
        const rfx_channel *c = &m->actuators[i];
        rfx_put_channel(w, c->name.bytes, c->name.len, c->unit.bytes, c->unit.len, c->min, c->max, 1,
                        c->safe_value);
    }
}

static void rfx_put_values(rfx_writer *w, uint8_t count, const float *values) {
    uint8_t i;
    if (count > RFX_MAX_CHANNELS) {
        if (w->status == RFX_OK) {
            w->status = RFX_ERR_VALUE;
        }
        return;
    }
    rfx_put_u8(w, count);
    for (i = 0; i < count; i++) {
        rfx_put_f32(w, values[i]);
    }
}

void rfx_put_actuate(rfx_writer *w, const rfx_actuate *m) {
    rfx_put_values(w, m->count, m->values);
}

void rfx_put_sensors(rfx_writer *w, const rfx_sensors *m) {
    rfx_put_u64(w, m->timestamp_us);
    rfx_put_u8(w, m->status);
    rfx_put_values(w, m->count, m->values);
}

void rfx_put_heartbeat(rfx_writer *w, const rfx_heartbeat *m) {
    rfx_put_u8(w, m->status);
}

void rfx_put_fault(rfx_writer *w, const rfx_fault *m) {
    rfx_put_u8(w, m->code);
    rfx_put_u16(w, m->detail);
    rfx_put_u64(w, m->timestamp_us);
}

void rfx_put_ack(rfx_writer *w, const rfx_ack *m) {
    rfx_put_u16(w, m->acked_seq);
    rfx_put_u8(w, m->acked_type);
    rfx_put_u8(w, m->result);
    rfx_put_u8(w, m->status);
}

void rfx_put_link_stats(rfx_writer *w, const rfx_link_stats *m) {
    rfx_put_u16(w, m->request_seq);
    rfx_put_u64(w, m->timestamp_us);
    rfx_put_u32(w, m->frames);
    rfx_put_u32(w, m->cobs_errors);
    rfx_put_u32(w, m->crc_errors);
    rfx_put_u32(w, m->version_errors);
    rfx_put_u32(w, m->short_errors);
    rfx_put_u32(w, m->long_errors);
    rfx_put_u32(w, m->payload_errors);
    rfx_put_u32(w, m->type_errors);
    rfx_put_u32(w, m->sequence_gaps);
    rfx_put_u32(w, m->rx_overruns);
    rfx_put_u32(w, m->tx_dropped);
}

/* ---- Decoders ----------------------------------------------------------------------------------- */

/* The payload must be consumed exactly: trailing bytes are a length error like missing ones. */
static rfx_status rfx_reader_finish(const rfx_reader *r) {
    if (r->status != RFX_OK) {
        return r->status;
    }
    return r->pos == r->len ? RFX_OK : RFX_ERR_LENGTH;
}

static void rfx_get_string(rfx_reader *r, rfx_string *s) {
    uint8_t len = rfx_get_u8(r);
    s->len = 0;
    if (r->status != RFX_OK) {
        return;
    }
    if (len > RFX_MAX_STRING) {
        r->status = RFX_ERR_VALUE;
        return;
    }
    if (len > r->len - r->pos) {
        r->status = RFX_ERR_LENGTH;
        return;
    }
    memcpy(s->bytes, &r->buf[r->pos], len);
    s->len = len;
    r->pos += len;
}

static void rfx_get_values(rfx_reader *r, uint8_t *count, float *values) {
    uint8_t i;
    uint8_t n = rfx_get_u8(r);
    *count = 0;
    if (r->status != RFX_OK) {
        return;
    }
    if (n > RFX_MAX_CHANNELS) {
        r->status = RFX_ERR_VALUE;
        return;
    }
    for (i = 0; i < n; i++) {
        values[i] = rfx_get_f32(r);
    }
    if (r->status == RFX_OK) {
        *count = n;
    }
}

static void rfx_get_channel(rfx_reader *r, rfx_channel *c, int is_actuator) {
    rfx_get_string(r, &c->name);
    rfx_get_string(r, &c->unit);
    c->min = rfx_get_f32(r);
    c->max = rfx_get_f32(r);
    c->safe_value = is_actuator ? rfx_get_f32(r) : 0.0f;
}

rfx_status rfx_decode_hello(const uint8_t *p, size_t len, rfx_hello *m) {
    rfx_reader r;
    rfx_reader_init(&r, p, len);
    m->protocol_version = rfx_get_u8(&r);
    m->watchdog_ms = rfx_get_u16(&r);
    rfx_get_string(&r, &m->host_name);
    return rfx_reader_finish(&r);
}

rfx_status rfx_decode_identify(const uint8_t *p, size_t len, rfx_identify *m) {
    rfx_reader r;
    uint8_t i;
    uint8_t n;
    rfx_reader_init(&r, p, len);
    m->fw_major = rfx_get_u8(&r);
    m->fw_minor = rfx_get_u8(&r);
    m->fw_patch = rfx_get_u8(&r);
    m->period_us = rfx_get_u32(&r);
    m->watchdog_ms = rfx_get_u16(&r);
    rfx_get_string(&r, &m->device_name);
    m->sensor_count = 0;
    m->actuator_count = 0;
    n = rfx_get_u8(&r);
    if (r.status == RFX_OK && n > RFX_MAX_CHANNELS) {
        return RFX_ERR_VALUE;
    }
    for (i = 0; i < n && r.status == RFX_OK; i++) {
        rfx_get_channel(&r, &m->sensors[i], 0);
    }
    if (r.status != RFX_OK) {
        return r.status;
    }
    m->sensor_count = n;
    n = rfx_get_u8(&r);
    if (r.status == RFX_OK && n > RFX_MAX_CHANNELS) {
        return RFX_ERR_VALUE;
    }
    for (i = 0; i < n && r.status == RFX_OK; i++) {
        rfx_get_channel(&r, &m->actuators[i], 1);
    }
    if (r.status == RFX_OK) {
        m->actuator_count = n;
    }
    return rfx_reader_finish(&r);
}

rfx_status rfx_decode_arm(const uint8_t *p, size_t len) {
    (void)p;
    return len == 0 ? RFX_OK : RFX_ERR_LENGTH;
}

rfx_status rfx_decode_disarm(const uint8_t *p, size_t len) {
    (void)p;
    return len == 0 ? RFX_OK : RFX_ERR_LENGTH;
}

rfx_status rfx_decode_actuate(const uint8_t *p, size_t len, rfx_actuate *m) {
    rfx_reader r;
    rfx_reader_init(&r, p, len);
    rfx_get_values(&r, &m->count, m->values);
    return rfx_reader_finish(&r);
}

rfx_status rfx_decode_sensors(const uint8_t *p, size_t len, rfx_sensors *m) {
    rfx_reader r;
    rfx_reader_init(&r, p, len);
    m->timestamp_us = rfx_get_u64(&r);
    m->status = rfx_get_u8(&r);
    rfx_get_values(&r, &m->count, m->values);
    return rfx_reader_finish(&r);
}

rfx_status rfx_decode_heartbeat(const uint8_t *p, size_t len, rfx_heartbeat *m) {
    rfx_reader r;
    rfx_reader_init(&r, p, len);
    m->status = rfx_get_u8(&r);
    return rfx_reader_finish(&r);
}

rfx_status rfx_decode_fault(const uint8_t *p, size_t len, rfx_fault *m) {
    rfx_reader r;
    rfx_reader_init(&r, p, len);
    m->code = rfx_get_u8(&r);
    m->detail = rfx_get_u16(&r);
    m->timestamp_us = rfx_get_u64(&r);
    return rfx_reader_finish(&r);
}

rfx_status rfx_decode_ack(const uint8_t *p, size_t len, rfx_ack *m) {
    rfx_reader r;
    rfx_reader_init(&r, p, len);
    m->acked_seq = rfx_get_u16(&r);
    m->acked_type = rfx_get_u8(&r);
    m->result = rfx_get_u8(&r);
    m->status = rfx_get_u8(&r);
    return rfx_reader_finish(&r);
}

rfx_status rfx_decode_get_link_stats(const uint8_t *p, size_t len) {
    (void)p;
    return len == 0 ? RFX_OK : RFX_ERR_LENGTH;
}

rfx_status rfx_decode_link_stats(const uint8_t *p, size_t len, rfx_link_stats *m) {
    rfx_reader r;
    rfx_reader_init(&r, p, len);
    m->request_seq = rfx_get_u16(&r);
    m->timestamp_us = rfx_get_u64(&r);
    m->frames = rfx_get_u32(&r);
    m->cobs_errors = rfx_get_u32(&r);
    m->crc_errors = rfx_get_u32(&r);
    m->version_errors = rfx_get_u32(&r);
    m->short_errors = rfx_get_u32(&r);
    m->long_errors = rfx_get_u32(&r);
    m->payload_errors = rfx_get_u32(&r);
    m->type_errors = rfx_get_u32(&r);
    m->sequence_gaps = rfx_get_u32(&r);
    m->rx_overruns = rfx_get_u32(&r);
    m->tx_dropped = rfx_get_u32(&r);
    return rfx_reader_finish(&r);
}

/* ---- Whole messages ----------------------------------------------------------------------------- */

rfx_status rfx_message_encode(const rfx_message *m, uint8_t *out, size_t cap, size_t *out_len) {
    uint8_t payload[RFX_MAX_PAYLOAD];
    rfx_writer w;
    rfx_writer_init(&w, payload, sizeof payload);
    switch (m->type) {
    case RFX_MSG_HELLO: rfx_put_hello(&w, &m->body.hello); break;
    case RFX_MSG_IDENTIFY: rfx_put_identify(&w, &m->body.identify); break;
    case RFX_MSG_ARM: break;
    case RFX_MSG_DISARM: break;
    case RFX_MSG_ACTUATE: rfx_put_actuate(&w, &m->body.actuate); break;
    case RFX_MSG_SENSORS: rfx_put_sensors(&w, &m->body.sensors); break;
    case RFX_MSG_HEARTBEAT: rfx_put_heartbeat(&w, &m->body.heartbeat); break;
    case RFX_MSG_FAULT: rfx_put_fault(&w, &m->body.fault); break;
    case RFX_MSG_ACK: rfx_put_ack(&w, &m->body.ack); break;
    case RFX_MSG_GET_LINK_STATS: break;
    case RFX_MSG_LINK_STATS: rfx_put_link_stats(&w, &m->body.link_stats); break;
    default: return RFX_ERR_TYPE;
    }
    if (w.status != RFX_OK) {
        return w.status;
    }
    return rfx_frame_encode(m->type, m->seq, payload, w.len, out, cap, out_len);
}

rfx_status rfx_message_decode(const rfx_frame_view *f, rfx_message *m) {
    m->type = f->type;
    m->seq = f->seq;
    switch (f->type) {
    case RFX_MSG_HELLO: return rfx_decode_hello(f->payload, f->payload_len, &m->body.hello);
    case RFX_MSG_IDENTIFY: return rfx_decode_identify(f->payload, f->payload_len, &m->body.identify);
    case RFX_MSG_ARM: return rfx_decode_arm(f->payload, f->payload_len);
    case RFX_MSG_DISARM: return rfx_decode_disarm(f->payload, f->payload_len);
    case RFX_MSG_ACTUATE: return rfx_decode_actuate(f->payload, f->payload_len, &m->body.actuate);
    case RFX_MSG_SENSORS: return rfx_decode_sensors(f->payload, f->payload_len, &m->body.sensors);
    case RFX_MSG_HEARTBEAT: return rfx_decode_heartbeat(f->payload, f->payload_len, &m->body.heartbeat);
    case RFX_MSG_FAULT: return rfx_decode_fault(f->payload, f->payload_len, &m->body.fault);
    case RFX_MSG_ACK: return rfx_decode_ack(f->payload, f->payload_len, &m->body.ack);
    case RFX_MSG_GET_LINK_STATS: return rfx_decode_get_link_stats(f->payload, f->payload_len);
    case RFX_MSG_LINK_STATS: return rfx_decode_link_stats(f->payload, f->payload_len, &m->body.link_stats);
    default: return RFX_ERR_TYPE;
    }
}

/* ---- Incremental decoder ------------------------------------------------------------------------ */

void rfx_decoder_init(rfx_decoder *d) {
    memset(d, 0, sizeof *d);
}

void rfx_decoder_count(rfx_decoder *d, rfx_status error) {
    if (error == RFX_OK) {
        return;
    }
    if (d->stats.frames > 0) {
        d->stats.frames--;
    }
    if (error == RFX_ERR_TYPE) {
        d->stats.type_errors++;
    } else {
        d->stats.payload_errors++;
    }
}

rfx_push_result rfx_decoder_push(rfx_decoder *d, uint8_t byte, rfx_frame_view *view, rfx_status *error) {
    size_t raw_len = 0;
    size_t len;
    rfx_status st;
    if (byte != 0x00) {
        if (d->len < sizeof d->encoded) {
            d->encoded[d->len++] = byte;
        } else {
            d->overflow = 1;
        }
        return RFX_PUSH_NONE;
    }
    /* 0x00 ends a frame: whatever happens next, the decoder starts over clean. */
    len = d->len;
    d->len = 0;
    if (d->overflow) {
        d->overflow = 0;
        st = RFX_ERR_LENGTH;
        d->stats.long_errors++;
    } else if (len == 0) {
        return RFX_PUSH_NONE; /* idle delimiter between frames */
    } else {
        st = rfx_cobs_decode(d->encoded, len, d->raw, sizeof d->raw, &raw_len);
        if (st == RFX_OK) {
            st = rfx_frame_parse(d->raw, raw_len, view);
        }
        switch (st) {
        case RFX_OK: break;
        case RFX_ERR_COBS: d->stats.cobs_errors++; break;
        case RFX_ERR_CRC: d->stats.crc_errors++; break;
        case RFX_ERR_VERSION: d->stats.version_errors++; break;
        case RFX_ERR_CAPACITY: /* decodes to more than any raw frame */
            st = RFX_ERR_LENGTH;
            d->stats.long_errors++;
            break;
        default:
            if (st == RFX_ERR_LENGTH && raw_len < RFX_MIN_RAW_FRAME) {
                d->stats.short_errors++;
            } else {
                st = RFX_ERR_LENGTH;
                d->stats.long_errors++;
            }
            break;
        }
    }
    if (st != RFX_OK) {
        if (error) {
            *error = st;
        }
        return RFX_PUSH_ERROR;
    }
    d->stats.frames++;
    if (d->have_seq && view->type != RFX_MSG_HELLO && view->seq != d->next_seq) {
        d->stats.sequence_gaps++;
    }
    d->have_seq = 1;
    d->next_seq = (uint16_t)(view->seq + 1u);
    return RFX_PUSH_FRAME;
}
