/*
 * The Reflex firmware application: the wire protocol (PROTOCOL.md) on top of the HAL, for one robot's
 * channel table. It never touches a register, so the same file runs on the MCU and in the host tests.
 *
 * Main loop: app_init once, then app_poll as often as possible (each call handles the bytes that have
 * arrived, the e-stop, the command watchdog and, when due, one control period).
 *
 * Failsafe, independent of the host: the actuators hold their safe values unless the device is armed;
 * it disarms (and sends FAULT) when no valid ACTUATE or HEARTBEAT arrived within the watchdog time, on
 * e-stop, and on a malformed ACTUATE; DISARM, HELLO and reset disarm too. Only an explicit ARM resumes.
 */
#ifndef REFLEX_APP_H
#define REFLEX_APP_H

#include <stdint.h>

#include "hal.h"
#include "reflex_protocol.h"
#include "robot.h"

/** Largest payload this firmware sends (its IDENTIFY is the longest); more is refused at app_init. */
#define APP_MAX_PAYLOAD 128u
/** Longest frame this firmware sends: header, payload, CRC, one COBS code byte, the 0x00 delimiter. */
#define APP_MAX_WIRE (APP_MAX_PAYLOAD + RFX_MIN_RAW_FRAME + 2u)
/** At most this many received bytes are handled per app_poll, so a flood cannot starve the watchdog. */
#define APP_MAX_BYTES_PER_POLL 64u

/** Counters, for tests and a debugger (the link's receive counters live in the decoder: GET_LINK_STATS asks for them). */
typedef struct {
    uint32_t periods;
    /** Periods that started more than one period late; the missed ones are skipped, not replayed. */
    uint32_t overruns;
    uint32_t frames_sent;
    /** Frames not sent because the transmit buffer was full (a host that does not read). */
    uint32_t frames_dropped;
    /** Valid frames whose payload did not match their type, or device-to-host types sent to us. */
    uint32_t bad_messages;
    uint32_t handshakes;
    uint32_t arms;
    uint32_t faults;
    /** ACTUATE or HEARTBEAT received while disarmed (ignored, PROTOCOL.md §6.3). */
    uint32_t ignored_commands;
} app_stats;

/** All the firmware's state (about 1 KB: the decoder's buffers and one outgoing frame). */
typedef struct {
    const hal *hal;
    const robot *robot;
    rfx_decoder decoder;
    /** app_init found the channel table unusable (app_status): stay safe, answer nothing. */
    uint8_t broken;
    uint8_t configured;
    uint8_t armed;
    /** A FAULT was sent since the last successful ARM (status bit). */
    uint8_t fault_latched;
    /** Last FAULT code sent (rfx_fault_code), 0 if none since reset. */
    uint8_t last_fault;
    uint16_t watchdog_ms;
    uint16_t tx_seq;
    uint64_t watchdog_us;
    /** Device time of the last valid ACTUATE/HEARTBEAT (or of the ARM). */
    uint64_t last_command_us;
    /** Device time at which the next period starts. */
    uint64_t next_period_us;
    /** Values being applied, in channel units, one per actuator. */
    float held[ROBOT_MAX_ACTUATORS];
    app_stats stats;
    uint8_t payload[APP_MAX_PAYLOAD];
    uint8_t wire[APP_MAX_WIRE];
} app;

/** Result of app_init. */
typedef enum {
    APP_OK = 0,
    APP_ERR_TOO_MANY_CHANNELS = 1, /* more channels than ROBOT_MAX_* or the HAL has */
    APP_ERR_IDENTIFY_TOO_LONG = 2, /* the channel table's IDENTIFY does not fit APP_MAX_PAYLOAD */
    APP_ERR_BAD_TABLE = 3          /* a channel's range or safe value is unusable */
} app_status;

/**
 * Initializes every HAL table, puts the actuators at their safe values and checks the channel table.
 * On an error the application stays disarmed forever (app_poll still kicks the watchdog, answers nothing).
 */
app_status app_init(app *a, const hal *h, const robot *r);

/** One pass of the main loop; returns without waiting. */
void app_poll(app *a);

/** Status byte (PROTOCOL.md §3). */
uint8_t app_status_byte(const app *a);

#endif /* REFLEX_APP_H */
