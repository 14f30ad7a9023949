/*
 * The HAL on an ATmega328P: UART0 with interrupt-driven ring buffers, 4x quadrature decoding on one
 * pin-change interrupt, Timer1 PWM for the motor, round-robin ADC, Timer0 as the microsecond clock,
 * e-stop input, LED and the hardware watchdog. Pins come from board_uno.h.
 */
#include "board_uno.h"
#include "hal.h"

#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/wdt.h>
#include <util/atomic.h>

/* ---- Reset -------------------------------------------------------------------------------------- */

/* MCUSR at reset (WDRF set: the hardware watchdog fired). Kept for a debugger; cleared on power-up only. */
uint8_t board_reset_cause __attribute__((section(".noinit")));

/* Runs before main and before .data is set up: after a watchdog reset the watchdog stays enabled at its
 * shortest timeout, which would reset the MCU again before main could kick it. */
void board_early_init(void) __attribute__((naked, used, section(".init3")));
void board_early_init(void) {
    board_reset_cause = MCUSR;
    MCUSR = 0;
    wdt_disable();
}

/* ---- Serial ------------------------------------------------------------------------------------- */

/* TX holds the longest frame (IDENTIFY, ~113 bytes for cartpole-rig) behind a SENSORS frame (~26). */
#define RX_SIZE 64u
#define TX_SIZE 160u

static volatile uint8_t rx_buf[RX_SIZE];
static volatile uint8_t rx_head, rx_tail; /* ISR writes head, main loop advances tail */
static volatile uint32_t rx_lost;
static volatile uint8_t tx_buf[TX_SIZE];
static volatile uint8_t tx_head, tx_tail; /* main loop writes head, ISR advances tail */

static uint8_t ring_next(uint8_t i, uint8_t size) {
    return (uint8_t)(i + 1u == size ? 0u : i + 1u);
}

ISR(USART_RX_vect) {
    uint8_t flags = UCSR0A;
    uint8_t byte = UDR0;
    uint8_t next = ring_next(rx_head, RX_SIZE);
    if (flags & _BV(DOR0)) {
        rx_lost++; /* the hardware lost a byte before this one */
    }
    if (next == rx_tail) {
        rx_lost++;
        return;
    }
    rx_buf[rx_head] = byte;
    rx_head = next;
}

ISR(USART_UDRE_vect) {
    if (tx_tail == tx_head) {
        UCSR0B &= (uint8_t)~_BV(UDRIE0);
        return;
    }
    UDR0 = tx_buf[tx_tail];
    tx_tail = ring_next(tx_tail, TX_SIZE);
}

static void serial_init(void) {
    UBRR0 = (uint16_t)((F_CPU + 4u * BOARD_BAUD) / (8u * BOARD_BAUD) - 1u);
    UCSR0A = _BV(U2X0);
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00); /* 8N1 */
    UCSR0B = _BV(RXEN0) | _BV(TXEN0) | _BV(RXCIE0);
}

static int16_t serial_read(void) {
    uint8_t byte;
    if (rx_tail == rx_head) {
        return -1;
    }
    byte = rx_buf[rx_tail];
    rx_tail = ring_next(rx_tail, RX_SIZE);
    return byte;
}

static size_t serial_tx_free(void) {
    uint8_t head = tx_head;
    uint8_t tail;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { tail = tx_tail; }
    /* One slot stays empty to tell full from empty. */
    return head >= tail ? (size_t)(TX_SIZE - 1u - (head - tail)) : (size_t)(tail - head - 1u);
}

static uint8_t serial_write(const uint8_t *data, size_t len) {
    size_t i;
    uint8_t head = tx_head;
    if (serial_tx_free() < len) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        tx_buf[head] = data[i];
        head = ring_next(head, TX_SIZE);
    }
    tx_head = head;
    UCSR0B |= _BV(UDRIE0);
    return 1;
}

static uint32_t serial_rx_overruns(void) {
    uint32_t n;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { n = rx_lost; }
    return n;
}

static const hal_serial avr_serial = {serial_init, serial_read, serial_tx_free, serial_write, serial_rx_overruns};

/* ---- Quadrature encoders ------------------------------------------------------------------------ */

/* Count change for (previous AB state << 2 | new AB state); A leading B counts up; a skipped state is 0. */
static const int8_t quadrature_step[16] = {0, -1, 1, 0, 1, 0, 0, -1, -1, 0, 0, 1, 0, 1, -1, 0};
static volatile int32_t encoder_counts[2];
static volatile uint8_t encoder_state[2];

static uint8_t encoder_ab(uint8_t pins, uint8_t a_bit, uint8_t b_bit) {
    return (uint8_t)((((pins >> a_bit) & 1u) << 1) | ((pins >> b_bit) & 1u));
}

ISR(BOARD_ENC_VECT) {
    uint8_t pins = BOARD_ENC_PIN;
    uint8_t s0 = encoder_ab(pins, BOARD_ENC0_A, BOARD_ENC0_B);
    uint8_t s1 = encoder_ab(pins, BOARD_ENC1_A, BOARD_ENC1_B);
    encoder_counts[0] += quadrature_step[(encoder_state[0] << 2) | s0];
    encoder_counts[1] += quadrature_step[(encoder_state[1] << 2) | s1];
    encoder_state[0] = s0;
    encoder_state[1] = s1;
}

static void encoder_init(void) {
    uint8_t mask = _BV(BOARD_ENC0_A) | _BV(BOARD_ENC0_B) | _BV(BOARD_ENC1_A) | _BV(BOARD_ENC1_B);
    uint8_t pins;
    BOARD_ENC_DDR &= (uint8_t)~mask;
    BOARD_ENC_PORT |= mask; /* pull-ups for open-collector encoders */
    pins = BOARD_ENC_PIN;
    encoder_state[0] = encoder_ab(pins, BOARD_ENC0_A, BOARD_ENC0_B);
    encoder_state[1] = encoder_ab(pins, BOARD_ENC1_A, BOARD_ENC1_B);
    BOARD_ENC_PCMSK |= mask;
    PCICR |= _BV(BOARD_ENC_PCIE);
}

static int32_t encoder_read(uint8_t index) {
    int32_t n;
    if (index >= 2) {
        return 0;
    }
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { n = encoder_counts[index]; }
    return n;
}

static const hal_encoder avr_encoder = {encoder_init, 2, encoder_read};

/* ---- Motor PWM ---------------------------------------------------------------------------------- */

#define PWM_TOP ((uint16_t)(F_CPU / BOARD_MOTOR_PWM_HZ - 1u))

static void motor_init(void) {
    BOARD_MOTOR_DIR_PORT &= (uint8_t)~_BV(BOARD_MOTOR_DIR_BIT);
    BOARD_MOTOR_DIR_DDR |= _BV(BOARD_MOTOR_DIR_BIT);
    PORTB &= (uint8_t)~_BV(BOARD_MOTOR_PWM_BIT);
    BOARD_MOTOR_PWM_DDR |= _BV(BOARD_MOTOR_PWM_BIT);
    TCCR1A = _BV(WGM11);                          /* fast PWM, top ICR1 (mode 14); OC1A disconnected */
    TCCR1B = _BV(WGM13) | _BV(WGM12) | _BV(CS10); /* no prescaler: 16 MHz / 800 = 20 kHz */
    ICR1 = PWM_TOP;
    OCR1A = 0;
}

static void motor_set(uint8_t index, int16_t duty) {
    uint16_t magnitude;
    if (index != 0) {
        return;
    }
    if (duty > HAL_DUTY_MAX) {
        duty = HAL_DUTY_MAX;
    } else if (duty < -HAL_DUTY_MAX) {
        duty = -HAL_DUTY_MAX;
    }
    magnitude = (uint16_t)(duty < 0 ? -duty : duty);
    if (duty < 0) {
        BOARD_MOTOR_DIR_PORT |= _BV(BOARD_MOTOR_DIR_BIT);
    } else {
        BOARD_MOTOR_DIR_PORT &= (uint8_t)~_BV(BOARD_MOTOR_DIR_BIT);
    }
    if (magnitude == 0) {
        /* Fast PWM still emits a one-cycle pulse at OCR1A = 0: disconnect the pin so zero is really off. */
        TCCR1A = _BV(WGM11);
        OCR1A = 0;
        return;
    }
    OCR1A = (uint16_t)(((uint32_t)magnitude * (PWM_TOP + 1u)) / HAL_DUTY_MAX);
    TCCR1A = _BV(WGM11) | _BV(COM1A1);
}

static const hal_motor avr_motor = {motor_init, 1, motor_set};

/* ---- ADC ---------------------------------------------------------------------------------------- */

static const uint8_t adc_channels[BOARD_ADC_COUNT] = BOARD_ADC_CHANNELS;
static volatile uint16_t adc_values[BOARD_ADC_COUNT];
static volatile uint8_t adc_current;

ISR(ADC_vect) {
    adc_values[adc_current] = ADC;
    adc_current = (uint8_t)(adc_current + 1u == BOARD_ADC_COUNT ? 0u : adc_current + 1u);
    ADMUX = (uint8_t)(_BV(REFS0) | adc_channels[adc_current]);
    ADCSRA |= _BV(ADSC);
}

static void adc_init(void) {
    adc_current = 0;
    ADMUX = (uint8_t)(_BV(REFS0) | adc_channels[0]); /* AVcc reference */
    /* 16 MHz / 128 = 125 kHz ADC clock: one conversion every 104 µs, both inputs every ~0.2 ms. */
    ADCSRA = _BV(ADEN) | _BV(ADIE) | _BV(ADSC) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0);
}

static uint16_t adc_read(uint8_t index) {
    uint16_t v;
    if (index >= BOARD_ADC_COUNT) {
        return 0;
    }
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { v = adc_values[index]; }
    return v;
}

static const hal_adc avr_adc = {adc_init, BOARD_ADC_COUNT, adc_read};

/* ---- Clock -------------------------------------------------------------------------------------- */

/* Timer0 at 16 MHz / 64: one tick is 4 µs, one overflow 1024 µs. 64 bits: a 32-bit count would wrap
 * after 51 days, and the application's deadlines with it. */
static volatile uint64_t clock_overflows;

ISR(TIMER0_OVF_vect) {
    clock_overflows++;
}

static void clock_init(void) {
    TCCR0A = 0;
    TCNT0 = 0;
    TIFR0 = _BV(TOV0);
    TIMSK0 = _BV(TOIE0);
    TCCR0B = _BV(CS01) | _BV(CS00);
}

static uint64_t clock_now_us(void) {
    uint64_t overflows;
    uint8_t ticks;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
        overflows = clock_overflows;
        ticks = TCNT0;
        /* An overflow that happened inside this block has not been counted by its ISR yet. */
        if ((TIFR0 & _BV(TOV0)) && ticks < 255u) {
            overflows++;
        }
    }
    return ((overflows << 8) | ticks) * (64u / (F_CPU / 1000000UL));
}

static const hal_clock avr_clock = {clock_init, clock_now_us};

/* ---- E-stop, LED, watchdog ---------------------------------------------------------------------- */

static void estop_init(void) {
    BOARD_ESTOP_DDR &= (uint8_t)~_BV(BOARD_ESTOP_BIT);
    BOARD_ESTOP_PORT |= _BV(BOARD_ESTOP_BIT);
}

static uint8_t estop_active(void) {
    return (BOARD_ESTOP_PIN & _BV(BOARD_ESTOP_BIT)) ? 1u : 0u;
}

static const hal_estop avr_estop = {estop_init, estop_active};

static void led_init(void) {
    BOARD_LED_DDR |= _BV(BOARD_LED_BIT);
}

static void led_set(uint8_t on) {
    if (on) {
        BOARD_LED_PORT |= _BV(BOARD_LED_BIT);
    } else {
        BOARD_LED_PORT &= (uint8_t)~_BV(BOARD_LED_BIT);
    }
}

static const hal_led avr_led = {led_init, led_set};

static void watchdog_init(void) {
    wdt_enable(BOARD_WDT_TIMEOUT);
}

static void watchdog_kick(void) {
    wdt_reset();
}

static const hal_watchdog avr_watchdog = {watchdog_init, watchdog_kick};

/* ---- The board ---------------------------------------------------------------------------------- */

const hal board_hal = {&avr_serial, &avr_encoder, &avr_motor, &avr_adc, &avr_clock, &avr_estop, &avr_led, &avr_watchdog};
