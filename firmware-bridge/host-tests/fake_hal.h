/*
 * A fake board for running the firmware application on the host: a clock the test advances, serial
 * buffers the test fills and drains, encoder counts and ADC values it sets, and the motor duty, LED and
 * watchdog kicks it reads back. One global instance (the HAL tables are plain functions, as on the MCU).
 */
#ifndef REFLEX_FAKE_HAL_H
#define REFLEX_FAKE_HAL_H

#include <stddef.h>
#include <stdint.h>

#include "hal.h"

#define FAKE_RX_CAPACITY 8192u
#define FAKE_TX_CAPACITY 65536u

typedef struct {
    uint64_t now_us;
    /* Host -> device bytes: the device reads rx[rx_pos..rx_len). */
    uint8_t rx[FAKE_RX_CAPACITY];
    size_t rx_len;
    size_t rx_pos;
    /* Device -> host bytes, in order. */
    uint8_t tx[FAKE_TX_CAPACITY];
    size_t tx_len;
    /** When nonzero, tx_free() reports at most this many bytes (a host that stopped reading: use 1). */
    size_t tx_free_limit;
    /** What rx_overruns() reports (bytes the UART lost). */
    uint32_t rx_overruns;
    int32_t encoder[2];
    uint16_t adc[2];
    int16_t motor[2];
    /** Times motor->set was called (so a test can tell "never driven" from "driven to 0"). */
    uint32_t motor_writes;
    uint8_t estop;
    uint8_t led;
    uint32_t watchdog_kicks;
    uint8_t watchdog_enabled;
    /** Bitmask of the HAL tables whose init ran (1 << position in struct hal). */
    uint32_t inits;
} fake_board;

extern fake_board fake;
extern const hal fake_hal;

/** Clears the board: time 0, empty buffers, encoders 0, e-stop released. */
void fake_reset(void);
/** Queues bytes for the device to read; returns 0 if they do not fit (the caller polls first). */
int fake_rx(const uint8_t *data, size_t len);

#endif /* REFLEX_FAKE_HAL_H */
