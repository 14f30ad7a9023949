/* The fake board behind fake_hal.h. */
#include "fake_hal.h"

#include <string.h>

fake_board fake;

void fake_reset(void) {
    memset(&fake, 0, sizeof fake);
}

int fake_rx(const uint8_t *data, size_t len) {
    if (fake.rx_pos == fake.rx_len) {
        fake.rx_pos = 0;
        fake.rx_len = 0;
    }
    if (len > FAKE_RX_CAPACITY - fake.rx_len) {
        return 0;
    }
    memcpy(&fake.rx[fake.rx_len], data, len);
    fake.rx_len += len;
    return 1;
}

static void serial_init(void) { fake.inits |= 1u << 0; }

static int16_t serial_read(void) {
    if (fake.rx_pos >= fake.rx_len) {
        return -1;
    }
    return fake.rx[fake.rx_pos++];
}

static size_t serial_tx_free(void) {
    size_t room = FAKE_TX_CAPACITY - fake.tx_len;
    if (fake.tx_free_limit != 0 && fake.tx_free_limit - 1 < room) {
        room = fake.tx_free_limit - 1; /* a limit of 1 means "full" */
    }
    return room;
}

static uint8_t serial_write(const uint8_t *data, size_t len) {
    if (len > serial_tx_free()) {
        return 0;
    }
    memcpy(&fake.tx[fake.tx_len], data, len);
    fake.tx_len += len;
    return 1;
}

static uint32_t serial_rx_overruns(void) { return fake.rx_overruns; }

static const hal_serial fake_serial = {serial_init, serial_read, serial_tx_free, serial_write, serial_rx_overruns};

static void encoder_init(void) { fake.inits |= 1u << 1; }
static int32_t encoder_read(uint8_t index) { return index < 2 ? fake.encoder[index] : 0; }
static const hal_encoder fake_encoder = {encoder_init, 2, encoder_read};

static void motor_init(void) { fake.inits |= 1u << 2; }
static void motor_set(uint8_t index, int16_t duty) {
    if (index < 2) {
        fake.motor[index] = duty;
    }
    fake.motor_writes++;
}
static const hal_motor fake_motor = {motor_init, 2, motor_set};

static void adc_init(void) { fake.inits |= 1u << 3; }
static uint16_t adc_read(uint8_t index) { return index < 2 ? fake.adc[index] : 0; }
static const hal_adc fake_adc = {adc_init, 2, adc_read};

static void clock_init(void) { fake.inits |= 1u << 4; }
static uint64_t clock_now_us(void) { return fake.now_us; }
static const hal_clock fake_clock = {clock_init, clock_now_us};

static void estop_init(void) { fake.inits |= 1u << 5; }
static uint8_t estop_active(void) { return fake.estop; }
static const hal_estop fake_estop = {estop_init, estop_active};

static void led_init(void) { fake.inits |= 1u << 6; }
static void led_set(uint8_t on) { fake.led = on; }
static const hal_led fake_led = {led_init, led_set};

static void watchdog_init(void) {
    fake.inits |= 1u << 7;
    fake.watchdog_enabled = 1;
}
static void watchdog_kick(void) { fake.watchdog_kicks++; }
static const hal_watchdog fake_watchdog = {watchdog_init, watchdog_kick};

const hal fake_hal = {&fake_serial, &fake_encoder, &fake_motor, &fake_adc,
                      &fake_clock, &fake_estop, &fake_led, &fake_watchdog};
