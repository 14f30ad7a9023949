/*
 * Reflex wire protocol v1: framing, CRC and message layouts, written once in portable C99.
 *
 * Compiled into the Swift package (target CBridge) and into the microcontroller firmware, so:
 * no allocation, nothing from libc beyond <stdint.h>, <stddef.h> and <string.h>, and every field is
 * written byte by byte in little-endian order (never a struct copied onto the wire).
 * The normative description is ../PROTOCOL.md; this header mirrors it.
 */
#ifndef REFLEX_PROTOCOL_H
#define REFLEX_PROTOCOL_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Limits ------------------------------------------------------------------------------------- */

/** Protocol version carried in byte 0 of every frame. */
#define RFX_PROTOCOL_VERSION 1u
/** Bytes before the payload: version u8, type u8, sequence u16 LE. */
#define RFX_HEADER_SIZE 4u
/** Bytes after the payload: CRC-16/CCITT-FALSE, little-endian. */
#define RFX_CRC_SIZE 2u
/** Largest payload. Chosen so a whole raw frame fits one COBS block (254 bytes). */
#define RFX_MAX_PAYLOAD 248u
/** Smallest raw (COBS-decoded) frame: header + CRC, empty payload. */
#define RFX_MIN_RAW_FRAME (RFX_HEADER_SIZE + RFX_CRC_SIZE)
/** Largest raw (COBS-decoded) frame. */
#define RFX_MAX_RAW_FRAME (RFX_HEADER_SIZE + RFX_MAX_PAYLOAD + RFX_CRC_SIZE)
/** Largest COBS-encoded frame without its delimiter: one overhead byte per started 254-byte block. */
#define RFX_MAX_COBS_FRAME (RFX_MAX_RAW_FRAME + (RFX_MAX_RAW_FRAME + 253u) / 254u)
/** Largest frame on the wire, including the trailing 0x00 delimiter (256). */
#define RFX_MAX_WIRE_FRAME (RFX_MAX_COBS_FRAME + 1u)
/** Longest string (device name, host name, channel name, unit), in bytes of UTF-8. */
#define RFX_MAX_STRING 32u
/** Most sensor channels, and most actuator channels, one device may have. */
#define RFX_MAX_CHANNELS 16u
/** Watchdog added on top of two control periods when HELLO asks for the default. */
#define RFX_WATCHDOG_MARGIN_MS 10u
/** The device answers HELLO with IDENTIFY within this many milliseconds. */
#define RFX_HANDSHAKE_REPLY_MS 100u
/** The device answers ARM and DISARM with ACK within this many milliseconds. */
#define RFX_ACK_REPLY_MS 100u

/** The computed limits again as enumerators, so languages that import only simple macros (Swift) see them. */
enum {
    RFX_LIMIT_MAX_RAW_FRAME = RFX_MAX_RAW_FRAME,
    RFX_LIMIT_MAX_COBS_FRAME = RFX_MAX_COBS_FRAME,
    RFX_LIMIT_MAX_WIRE_FRAME = RFX_MAX_WIRE_FRAME
};

/* ---- Codes -------------------------------------------------------------------------------------- */

/** Result of every function in this library. */
typedef enum {
    RFX_OK = 0,
    RFX_ERR_CAPACITY = 1,  /* output buffer too small, or a limit exceeded while encoding */
    RFX_ERR_COBS = 2,      /* COBS decoding failed (a code byte points past the end, or a 0x00 inside) */
    RFX_ERR_LENGTH = 3,    /* frame shorter than header + CRC, longer than the maximum, or payload size wrong */
    RFX_ERR_CRC = 4,       /* CRC mismatch */
    RFX_ERR_VERSION = 5,   /* version byte is not RFX_PROTOCOL_VERSION */
    RFX_ERR_TYPE = 6,      /* unknown message type */
    RFX_ERR_VALUE = 7      /* a field holds a value the layout forbids (string too long, count too large) */
} rfx_status;

/** Message types (byte 1 of a frame). */
typedef enum {
    RFX_MSG_HELLO = 0x01,     /* host -> device */
    RFX_MSG_IDENTIFY = 0x02,  /* device -> host */
    RFX_MSG_ARM = 0x03,       /* host -> device */
    RFX_MSG_DISARM = 0x04,    /* host -> device */
    RFX_MSG_ACTUATE = 0x05,   /* host -> device */
    RFX_MSG_SENSORS = 0x06,   /* device -> host */
    RFX_MSG_HEARTBEAT = 0x07, /* both directions */
    RFX_MSG_FAULT = 0x08,     /* device -> host */
    RFX_MSG_ACK = 0x09,       /* device -> host, answers ARM and DISARM */
    RFX_MSG_GET_LINK_STATS = 0x0A, /* host -> device, asks for LINK_STATS */
    RFX_MSG_LINK_STATS = 0x0B      /* device -> host, the device's receive counters */
} rfx_message_type;

/** Bits of the status byte in SENSORS and HEARTBEAT. */
#define RFX_STATUS_ARMED 0x01u      /* actuators follow ACTUATE */
#define RFX_STATUS_FAULT 0x02u      /* a FAULT happened since the last successful ARM */
#define RFX_STATUS_CONFIGURED 0x04u /* a HELLO has been answered since the link came up */

/** FAULT codes. Every FAULT means: the device has disarmed and its actuators hold their safe values. */
typedef enum {
    RFX_FAULT_WATCHDOG = 1,       /* armed and no ACTUATE/HEARTBEAT within the watchdog time; detail = ms since the last one */
    RFX_FAULT_ESTOP = 2,          /* emergency stop input; detail = device specific */
    RFX_FAULT_BAD_COMMAND = 3,    /* a command that cannot be obeyed; detail = message type */
    RFX_FAULT_OUT_OF_RANGE = 4,   /* ACTUATE value NaN or infinite; detail = channel index */
    RFX_FAULT_CHANNEL_COUNT = 5,  /* ACTUATE count differs from the actuator count; detail = count received */
    RFX_FAULT_INTERNAL = 6        /* firmware error (overrun, sensor failure); detail = device specific */
} rfx_fault_code;

/** ACK results. */
typedef enum {
    RFX_ACK_OK = 0,             /* done: the status now reflects the request */
    RFX_ACK_NOT_CONFIGURED = 1, /* ARM before a HELLO was answered */
    RFX_ACK_REFUSED = 2         /* the device cannot arm now (e-stop held, sensor failure) */
} rfx_ack_result;

/* ---- CRC and COBS ------------------------------------------------------------------------------- */

/** CRC-16/CCITT-FALSE step: poly 0x1021, MSB first. Start from 0xFFFF. */
uint16_t rfx_crc16_update(uint16_t crc, uint8_t byte);
/** CRC-16/CCITT-FALSE of `len` bytes (init 0xFFFF, no reflection, xorout 0; "123456789" -> 0x29B1). */
uint16_t rfx_crc16(const uint8_t *data, size_t len);

/** COBS-encodes `len` bytes into `dst` (no delimiter appended). */
rfx_status rfx_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap, size_t *out_len);
/** Decodes COBS bytes (without delimiter) into `dst`. RFX_ERR_COBS on malformed input. */
rfx_status rfx_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap, size_t *out_len);

/* ---- Little-endian field access ----------------------------------------------------------------- */

/** Appends fields to a buffer; once a write does not fit, `status` stays RFX_ERR_CAPACITY. */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    rfx_status status;
} rfx_writer;

/** Reads fields from a buffer; once a read runs past the end, `status` stays RFX_ERR_LENGTH. */
typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    rfx_status status;
} rfx_reader;

void rfx_writer_init(rfx_writer *w, uint8_t *buf, size_t cap);
void rfx_put_u8(rfx_writer *w, uint8_t v);
void rfx_put_u16(rfx_writer *w, uint16_t v);
void rfx_put_u32(rfx_writer *w, uint32_t v);
void rfx_put_u64(rfx_writer *w, uint64_t v);
/** IEEE-754 binary32 bits, little-endian (NaN and infinities pass through unchanged). */
void rfx_put_f32(rfx_writer *w, float v);
/** u8 length then bytes; RFX_ERR_VALUE if `len` > RFX_MAX_STRING. */
void rfx_put_string(rfx_writer *w, const char *s, size_t len);

void rfx_reader_init(rfx_reader *r, const uint8_t *buf, size_t len);
uint8_t rfx_get_u8(rfx_reader *r);
uint16_t rfx_get_u16(rfx_reader *r);
uint32_t rfx_get_u32(rfx_reader *r);
uint64_t rfx_get_u64(rfx_reader *r);
float rfx_get_f32(rfx_reader *r);

/* ---- Frames ------------------------------------------------------------------------------------- */

/** A checked raw frame; `payload` points into the buffer given to rfx_frame_parse. */
typedef struct {
    uint8_t version;
    uint8_t type;
    uint16_t seq;
    const uint8_t *payload;
    size_t payload_len;
} rfx_frame_view;

/**
 * Builds a wire frame: header + payload + CRC, COBS-encoded, followed by one 0x00.
 * `out` needs RFX_MAX_WIRE_FRAME bytes for any payload.
 */
rfx_status rfx_frame_encode(uint8_t type, uint16_t seq, const uint8_t *payload, size_t payload_len,
                            uint8_t *out, size_t cap, size_t *out_len);
/** Checks a raw (COBS-decoded) frame: length, CRC, version. Does not check the type. */
rfx_status rfx_frame_parse(const uint8_t *raw, size_t raw_len, rfx_frame_view *view);

/* ---- Messages ----------------------------------------------------------------------------------- */

/** A length-prefixed string (not NUL-terminated). */
typedef struct {
    uint8_t len;
    char bytes[RFX_MAX_STRING];
} rfx_string;

typedef struct {
    uint8_t protocol_version;
    /** Watchdog the host asks for, in ms; 0 = the device default (2 x period + RFX_WATCHDOG_MARGIN_MS). */
    uint16_t watchdog_ms;
    rfx_string host_name;
} rfx_hello;

typedef struct {
    rfx_string name;
    rfx_string unit;
    float min;
    float max;
    /** Actuators only (ignored for sensors and not on the wire for them). */
    float safe_value;
} rfx_channel;

/** Host-side convenience form (~2.5 KB); firmware can stream IDENTIFY with rfx_put_identify_* instead. */
typedef struct {
    uint8_t fw_major, fw_minor, fw_patch;
    uint32_t period_us;
    /** Watchdog the device applies after this HELLO, in ms. */
    uint16_t watchdog_ms;
    rfx_string device_name;
    uint8_t sensor_count;
    rfx_channel sensors[RFX_MAX_CHANNELS];
    uint8_t actuator_count;
    rfx_channel actuators[RFX_MAX_CHANNELS];
} rfx_identify;

typedef struct {
    uint8_t count;
    float values[RFX_MAX_CHANNELS];
} rfx_actuate;

typedef struct {
    /** Device time in microseconds since it started (u64, never wraps in practice). */
    uint64_t timestamp_us;
    uint8_t status;
    uint8_t count;
    float values[RFX_MAX_CHANNELS];
} rfx_sensors;

typedef struct {
    uint8_t status;
} rfx_heartbeat;

typedef struct {
    uint8_t code;
    uint16_t detail;
    /** Device time in microseconds when the fault happened. */
    uint64_t timestamp_us;
} rfx_fault;

typedef struct {
    uint16_t acked_seq;
    uint8_t acked_type;
    uint8_t result;
    uint8_t status;
} rfx_ack;

/**
 * The device's link counters (LINK_STATS), counted since the device started (a HELLO does not clear them;
 * hosts compare two replies). Every counter is a u32 that wraps at 2^32.
 */
typedef struct {
    /** Sequence number of the GET_LINK_STATS answered. */
    uint16_t request_seq;
    /** Device time of the reply, µs since start. */
    uint64_t timestamp_us;
    /** Frames that passed every check of PROTOCOL.md §2 (the GET_LINK_STATS answered included). */
    uint32_t frames;
    uint32_t cobs_errors;
    uint32_t crc_errors;
    uint32_t version_errors;
    /** Raw frame shorter than header + CRC (6 bytes). */
    uint32_t short_errors;
    /** More bytes before the delimiter than any frame has. */
    uint32_t long_errors;
    /** Payload size or contents wrong for its type. */
    uint32_t payload_errors;
    /** Type the receiver does not know. */
    uint32_t type_errors;
    /** Valid frames whose sequence number was not the previous one plus one (frames lost between them). */
    uint32_t sequence_gaps;
    /** Bytes lost before the decoder saw them (the receive buffer was full). */
    uint32_t rx_overruns;
    /** Frames the device did not send (its transmit buffer was full). */
    uint32_t tx_dropped;
} rfx_link_stats;

/* Payload encoders: write the payload only (no header, no CRC) through a writer. */
void rfx_put_hello(rfx_writer *w, const rfx_hello *m);
void rfx_put_identify(rfx_writer *w, const rfx_identify *m);
/** Streaming IDENTIFY, for firmware: header, then `sensor_count` sensor channels, then the actuator count and channels. */
void rfx_put_identify_header(rfx_writer *w, uint8_t major, uint8_t minor, uint8_t patch, uint32_t period_us,
                             uint16_t watchdog_ms, const char *name, size_t name_len, uint8_t sensor_count);
void rfx_put_channel(rfx_writer *w, const char *name, size_t name_len, const char *unit, size_t unit_len,
                     float min, float max, int is_actuator, float safe_value);
void rfx_put_actuate(rfx_writer *w, const rfx_actuate *m);
void rfx_put_sensors(rfx_writer *w, const rfx_sensors *m);
void rfx_put_heartbeat(rfx_writer *w, const rfx_heartbeat *m);
void rfx_put_fault(rfx_writer *w, const rfx_fault *m);
void rfx_put_ack(rfx_writer *w, const rfx_ack *m);
void rfx_put_link_stats(rfx_writer *w, const rfx_link_stats *m);

/* Payload decoders: the whole payload must be consumed exactly (RFX_ERR_LENGTH otherwise). */
rfx_status rfx_decode_hello(const uint8_t *p, size_t len, rfx_hello *m);
rfx_status rfx_decode_identify(const uint8_t *p, size_t len, rfx_identify *m);
rfx_status rfx_decode_arm(const uint8_t *p, size_t len);
rfx_status rfx_decode_disarm(const uint8_t *p, size_t len);
rfx_status rfx_decode_actuate(const uint8_t *p, size_t len, rfx_actuate *m);
rfx_status rfx_decode_sensors(const uint8_t *p, size_t len, rfx_sensors *m);
rfx_status rfx_decode_heartbeat(const uint8_t *p, size_t len, rfx_heartbeat *m);
rfx_status rfx_decode_fault(const uint8_t *p, size_t len, rfx_fault *m);
rfx_status rfx_decode_ack(const uint8_t *p, size_t len, rfx_ack *m);
rfx_status rfx_decode_get_link_stats(const uint8_t *p, size_t len);
rfx_status rfx_decode_link_stats(const uint8_t *p, size_t len, rfx_link_stats *m);

/** Any message, tagged by type. */
typedef struct {
    uint8_t type;
    uint16_t seq;
    union {
        rfx_hello hello;
        rfx_identify identify;
        rfx_actuate actuate;
        rfx_sensors sensors;
        rfx_heartbeat heartbeat;
        rfx_fault fault;
        rfx_ack ack;
        rfx_link_stats link_stats;
    } body;
} rfx_message;

/** Encodes a whole message into a wire frame (COBS + 0x00); `out` needs RFX_MAX_WIRE_FRAME bytes. */
rfx_status rfx_message_encode(const rfx_message *m, uint8_t *out, size_t cap, size_t *out_len);
/** Decodes the payload of a checked frame by its type (RFX_ERR_TYPE for unknown types). */
rfx_status rfx_message_decode(const rfx_frame_view *frame, rfx_message *m);

/* ---- Incremental decoder ------------------------------------------------------------------------ */

/**
 * Counters of a byte stream. Every non-empty run of bytes before a 0x00 lands in exactly one of them:
 * `frames` or one error counter (a frame that rfx_decoder_push delivered and whose type or payload the
 * caller then rejects moves from `frames` to an error counter through rfx_decoder_count).
 */
typedef struct {
    uint32_t frames;      /* valid frames */
    uint32_t cobs_errors;
    uint32_t crc_errors;
    uint32_t version_errors;
    uint32_t short_errors;   /* raw frame shorter than header + CRC: a fragment, a lone byte of noise */
    uint32_t long_errors;    /* longer than any frame (overflowed the buffer): a lost delimiter, a flood */
    uint32_t payload_errors; /* payload size or contents wrong for its type (found by the caller) */
    uint32_t type_errors;    /* unknown type (found by the caller) */
    /** Valid frames whose sequence number was not the previous valid frame's plus one. */
    uint32_t sequence_gaps;
} rfx_decoder_stats;

/** Byte-at-a-time frame decoder with a fixed buffer; resynchronizes on every 0x00. */
typedef struct {
    uint8_t encoded[RFX_MAX_COBS_FRAME];
    size_t len;
    /** More bytes arrived than any valid frame has: discard until the next 0x00. */
    uint8_t overflow;
    uint8_t raw[RFX_MAX_RAW_FRAME];
    /** A valid frame was seen: `next_seq` is the sequence number the next one should carry. */
    uint8_t have_seq;
    uint16_t next_seq;
    rfx_decoder_stats stats;
} rfx_decoder;

void rfx_decoder_init(rfx_decoder *d);

/** Result of feeding one byte. */
typedef enum {
    RFX_PUSH_NONE = 0,   /* byte stored, no frame ended (or an empty frame between two 0x00) */
    RFX_PUSH_FRAME = 1,  /* a valid frame ended: `view` points into the decoder and stays valid until the next push */
    RFX_PUSH_ERROR = 2   /* a frame ended but was malformed; counted in stats, `*error` says why */
} rfx_push_result;

/**
 * Feeds one byte. On RFX_PUSH_FRAME the frame passed length, COBS, CRC and version checks and is counted in
 * `frames` (the type and payload are checked by rfx_message_decode; report failures there with
 * rfx_decoder_count). Its sequence number is compared with the previous valid frame's (a gap is counted),
 * except a HELLO's, which starts a new count: a host that reconnects may start anywhere.
 */
rfx_push_result rfx_decoder_push(rfx_decoder *d, uint8_t byte, rfx_frame_view *view, rfx_status *error);
/**
 * The frame the last push delivered turned out malformed (RFX_ERR_TYPE: unknown type; RFX_ERR_LENGTH or
 * RFX_ERR_VALUE: payload wrong for its type): it moves from `frames` to that error counter.
 */
void rfx_decoder_count(rfx_decoder *d, rfx_status error);

#ifdef __cplusplus
}
#endif

#endif /* REFLEX_PROTOCOL_H */
