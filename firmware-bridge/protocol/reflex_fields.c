/* Little-endian field writers and readers: the only place bytes meet multi-byte values. */
#include "reflex_protocol.h"

#include <string.h>

void rfx_writer_init(rfx_writer *w, uint8_t *buf, size_t cap) {
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->status = RFX_OK;
}

static int rfx_writer_room(rfx_writer *w, size_t n) {
    if (w->status != RFX_OK) {
        return 0;
    }
    if (n > w->cap - w->len) {
        w->status = RFX_ERR_CAPACITY;
        return 0;
    }
    return 1;
}

void rfx_put_u8(rfx_writer *w, uint8_t v) {
    if (rfx_writer_room(w, 1)) {
        w->buf[w->len++] = v;
    }
}

void rfx_put_u16(rfx_writer *w, uint16_t v) {
    if (rfx_writer_room(w, 2)) {
        w->buf[w->len++] = (uint8_t)(v & 0xFFu);
        w->buf[w->len++] = (uint8_t)(v >> 8);
    }
}

void rfx_put_u32(rfx_writer *w, uint32_t v) {
    if (rfx_writer_room(w, 4)) {
        uint8_t i;
        for (i = 0; i < 4; i++) {
            w->buf[w->len++] = (uint8_t)((v >> (8u * i)) & 0xFFu);
        }
    }
}

void rfx_put_u64(rfx_writer *w, uint64_t v) {
    if (rfx_writer_room(w, 8)) {
        uint8_t i;
        for (i = 0; i < 8; i++) {
            w->buf[w->len++] = (uint8_t)((v >> (8u * i)) & 0xFFu);
        }
    }
}

void rfx_put_f32(rfx_writer *w, float v) {
    uint32_t bits;
    /* Bits through memcpy: no aliasing tricks, no assumptions about the host's byte order. */
    memcpy(&bits, &v, sizeof bits);
    rfx_put_u32(w, bits);
}

void rfx_put_string(rfx_writer *w, const char *s, size_t len) {
    if (w->status != RFX_OK) {
        return;
    }
    if (len > RFX_MAX_STRING) {
        w->status = RFX_ERR_VALUE;
        return;
    }
    if (rfx_writer_room(w, 1 + len)) {
        w->buf[w->len++] = (uint8_t)len;
        if (len > 0) {
            memcpy(&w->buf[w->len], s, len);
            w->len += len;
        }
    }
}

void rfx_reader_init(rfx_reader *r, const uint8_t *buf, size_t len) {
    r->buf = buf;
    r->len = len;
    r->pos = 0;
    r->status = RFX_OK;
}

static int rfx_reader_has(rfx_reader *r, size_t n) {
    if (r->status != RFX_OK) {
        return 0;
    }
    if (n > r->len - r->pos) {
        r->status = RFX_ERR_LENGTH;
        return 0;
    }
    return 1;
}

uint8_t rfx_get_u8(rfx_reader *r) {
    if (!rfx_reader_has(r, 1)) {
        return 0;
    }
    return r->buf[r->pos++];
}

uint16_t rfx_get_u16(rfx_reader *r) {
    uint16_t v;
    if (!rfx_reader_has(r, 2)) {
        return 0;
    }
    v = (uint16_t)(r->buf[r->pos] | ((uint16_t)r->buf[r->pos + 1] << 8));
    r->pos += 2;
    return v;
}

uint32_t rfx_get_u32(rfx_reader *r) {
    uint32_t v = 0;
    uint8_t i;
    if (!rfx_reader_has(r, 4)) {
        return 0;
    }
    for (i = 0; i < 4; i++) {
        v |= (uint32_t)r->buf[r->pos++] << (8u * i);
    }
    return v;
}

uint64_t rfx_get_u64(rfx_reader *r) {
    uint64_t v = 0;
    uint8_t i;
    if (!rfx_reader_has(r, 8)) {
        return 0;
    }
    for (i = 0; i < 8; i++) {
        v |= (uint64_t)r->buf[r->pos++] << (8u * i);
    }
    return v;
}

float rfx_get_f32(rfx_reader *r) {
    uint32_t bits = rfx_get_u32(r);
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}
