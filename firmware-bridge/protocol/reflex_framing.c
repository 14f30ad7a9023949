/* CRC-16/CCITT-FALSE, COBS and frame assembly for the Reflex wire protocol (see ../PROTOCOL.md). */
#include "reflex_protocol.h"

#include <string.h>

uint16_t rfx_crc16_update(uint16_t crc, uint8_t byte) {
    uint8_t bit;
    crc ^= (uint16_t)((uint16_t)byte << 8);
    for (bit = 0; bit < 8; bit++) {
        if (crc & 0x8000u) {
            crc = (uint16_t)((crc << 1) ^ 0x1021u);
        } else {
            crc = (uint16_t)(crc << 1);
        }
    }
    return crc;
}

uint16_t rfx_crc16(const uint8_t *data, size_t len) {
    uint16_t crc = 0xFFFFu;
    size_t i;
    for (i = 0; i < len; i++) {
        crc = rfx_crc16_update(crc, data[i]);
    }
    return crc;
}

rfx_status rfx_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap, size_t *out_len) {
    size_t code_pos = 0; /* where the current block's code byte goes */
    size_t out = 1;
    uint8_t code = 1;
    size_t i;
    if (cap < 1) {
        return RFX_ERR_CAPACITY;
    }
    for (i = 0; i < len; i++) {
        if (src[i] == 0) {
            dst[code_pos] = code;
            code_pos = out++;
            code = 1;
            if (code_pos >= cap) {
                return RFX_ERR_CAPACITY;
            }
        } else {
            if (out >= cap) {
                return RFX_ERR_CAPACITY;
            }
            dst[out++] = src[i];
            code++;
            /* A full block of 254 data bytes: close it. A new block starts only if more data follows,
             * so a 254-byte run at the very end costs no extra code byte. */
            if (code == 0xFF && i + 1 < len) {
                dst[code_pos] = code;
                code_pos = out++;
                code = 1;
                if (code_pos >= cap) {
                    return RFX_ERR_CAPACITY;
                }
            }
        }
    }
    dst[code_pos] = code;
    *out_len = out;
    return RFX_OK;
}

rfx_status rfx_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap, size_t *out_len) {
    size_t in = 0;
    size_t out = 0;
    while (in < len) {
        uint8_t code = src[in++];
        uint8_t k;
        if (code == 0) {
            return RFX_ERR_COBS;
        }
        if ((size_t)(code - 1) > len - in) {
            return RFX_ERR_COBS;
        }
        for (k = 1; k < code; k++) {
            uint8_t b = src[in++];
            if (b == 0) {
                return RFX_ERR_COBS;
            }
            if (out >= cap) {
                return RFX_ERR_CAPACITY;
            }
            dst[out++] = b;
        }
        /* A block shorter than 254 data bytes stands for a zero, except at the very end. */
        if (code != 0xFF && in < len) {
            if (out >= cap) {
                return RFX_ERR_CAPACITY;
            }
            dst[out++] = 0;
        }
    }
    *out_len = out;
    return RFX_OK;
}

rfx_status rfx_frame_encode(uint8_t type, uint16_t seq, const uint8_t *payload, size_t payload_len,
                            uint8_t *out, size_t cap, size_t *out_len) {
    uint8_t raw[RFX_MAX_RAW_FRAME];
    size_t raw_len = 0;
    size_t cobs_len = 0;
    uint16_t crc;
    rfx_status st;
    if (payload_len > RFX_MAX_PAYLOAD) {
        return RFX_ERR_CAPACITY;
    }
    raw[raw_len++] = (uint8_t)RFX_PROTOCOL_VERSION;
    raw[raw_len++] = type;
    raw[raw_len++] = (uint8_t)(seq & 0xFFu);
    raw[raw_len++] = (uint8_t)(seq >> 8);
    if (payload_len > 0) {
        memcpy(&raw[raw_len], payload, payload_len);
        raw_len += payload_len;
    }
    crc = rfx_crc16(raw, raw_len);
    raw[raw_len++] = (uint8_t)(crc & 0xFFu);
    raw[raw_len++] = (uint8_t)(crc >> 8);
    if (cap < 1) {
        return RFX_ERR_CAPACITY;
    }
    st = rfx_cobs_encode(raw, raw_len, out, cap - 1, &cobs_len);
    if (st != RFX_OK) {
        return st;
    }
    out[cobs_len] = 0x00;
    *out_len = cobs_len + 1;
    return RFX_OK;
}

rfx_status rfx_frame_parse(const uint8_t *raw, size_t raw_len, rfx_frame_view *view) {
    uint16_t crc;
    uint16_t wire_crc;
    if (raw_len < RFX_MIN_RAW_FRAME || raw_len > RFX_MAX_RAW_FRAME) {
        return RFX_ERR_LENGTH;
    }
    crc = rfx_crc16(raw, raw_len - RFX_CRC_SIZE);
    wire_crc = (uint16_t)(raw[raw_len - 2] | ((uint16_t)raw[raw_len - 1] << 8));
    if (crc != wire_crc) {
        return RFX_ERR_CRC;
    }
    if (raw[0] != RFX_PROTOCOL_VERSION) {
        return RFX_ERR_VERSION;
    }
    view->version = raw[0];
    view->type = raw[1];
    view->seq = (uint16_t)(raw[2] | ((uint16_t)raw[3] << 8));
    view->payload = raw + RFX_HEADER_SIZE;
    view->payload_len = raw_len - RFX_MIN_RAW_FRAME;
    return RFX_OK;
}
