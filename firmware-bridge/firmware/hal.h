/*
 * Hardware abstraction for the Reflex firmware: small tables of functions, one per peripheral kind.
 *
 * The application (app.c) sees the hardware only through these tables, so it builds and is tested on the
 * host against a fake HAL (../host-tests/fake_hal.c). The AVR implementation is hal_avr.c; which pin does
 * what on a given board lives in that board's file (board_uno.h).
 *
 * All functions are called from the main loop only (never from an interrupt), and none of them blocks.
 */
#ifndef REFLEX_HAL_H
#define REFLEX_HAL_H

#include <stddef.h>
#include <stdint.h>

/** Full-scale motor command: +HAL_DUTY_MAX is 100 % duty forward, -HAL_DUTY_MAX 100 % reverse. */
#define HAL_DUTY_MAX 10000

/** Byte-oriented serial link (UART0 on the AVR). Writes are all-or-nothing so frames are never split. */
typedef struct {
    void (*init)(void);
    /** Next received byte (0…255), or -1 when none is waiting. */
    int16_t (*read)(void);
    /** Bytes that write() would accept right now. */
    size_t (*tx_free)(void);
    /** Queues `len` bytes for sending; returns 0 and queues nothing when they do not all fit. */
    uint8_t (*write)(const uint8_t *data, size_t len);
    /** Bytes lost because the receive buffer was full (the frame they belonged to fails its CRC). */
    uint32_t (*rx_overruns)(void);
} hal_serial;

/** Quadrature encoder inputs, decoded 4x (every edge of A and B counts). */
typedef struct {
    void (*init)(void);
    uint8_t count;
    /** Signed position of encoder `index` in counts since power-up; wraps at 2^31. */
    int32_t (*read)(uint8_t index);
} hal_encoder;

/** H-bridge motor outputs: one PWM pin for the magnitude and one direction pin each. */
typedef struct {
    void (*init)(void);
    uint8_t count;
    /** Sets motor `index` to `duty` in -HAL_DUTY_MAX…HAL_DUTY_MAX (values outside are clamped). */
    void (*set)(uint8_t index, int16_t duty);
} hal_motor;

/** Analog inputs. */
typedef struct {
    void (*init)(void);
    uint8_t count;
    /** Latest conversion of input `index`, 0…1023 (10 bits, referenced to the supply). */
    uint16_t (*read)(uint8_t index);
} hal_adc;

/** Monotonic time since power-up. */
typedef struct {
    void (*init)(void);
    /** Microseconds since init; never goes backwards (u64: never wraps in practice). */
    uint64_t (*now_us)(void);
} hal_clock;

/** Emergency-stop input (a normally-closed switch: an open or cut wire reads as pressed). */
typedef struct {
    void (*init)(void);
    /** 1 while the e-stop is pressed (or its wiring is broken). */
    uint8_t (*active)(void);
} hal_estop;

/** Status LED. */
typedef struct {
    void (*init)(void);
    void (*set)(uint8_t on);
} hal_led;

/** Hardware watchdog that resets the MCU when the main loop stops calling kick(). */
typedef struct {
    void (*init)(void);
    void (*kick)(void);
} hal_watchdog;

/** One board: every peripheral the application uses. */
typedef struct {
    const hal_serial *serial;
    const hal_encoder *encoder;
    const hal_motor *motor;
    const hal_adc *adc;
    const hal_clock *clock;
    const hal_estop *estop;
    const hal_led *led;
    const hal_watchdog *watchdog;
} hal;

#endif /* REFLEX_HAL_H */
