/*
 * Arduino Uno / Nano (ATmega328P at 16 MHz): which pin does what. The only file to change for another
 * ATmega328P board; README.md shows the wiring.
 *
 *   D0/D1  PD0/PD1  UART0 RX/TX to the host (the board's USB-serial chip)
 *   D2     PD2      cart encoder A        \  all four encoder pins on port D: one pin-change interrupt
 *   D4     PD4      cart encoder B         | (PCINT2) decodes both encoders 4x
 *   D3     PD3      pole encoder A         |
 *   D5     PD5      pole encoder B        /
 *   D7     PD7      e-stop, normally-closed switch to GND (internal pull-up: open or cut wire = stop)
 *   D8     PB0      motor direction (high = reverse)
 *   D9     PB1      motor PWM, OC1A, 20 kHz
 *   D13    PB5      status LED
 *   A0/A1  PC0/PC1  analog inputs 0 and 1
 */
#ifndef REFLEX_BOARD_UNO_H
#define REFLEX_BOARD_UNO_H

#include <avr/io.h>

#ifndef F_CPU
#define F_CPU 16000000UL
#endif

/* UART0 baud rate (fixed at build time; the host must match it). U2X mode: 115200 is 2.1 % fast. */
#ifndef BOARD_BAUD
#define BOARD_BAUD 115200UL
#endif

/* Quadrature encoders: PIND bits, pin-change group 2 (PCINT16…23 = PD0…PD7). */
#define BOARD_ENC_PIN PIND
#define BOARD_ENC_PORT PORTD
#define BOARD_ENC_DDR DDRD
#define BOARD_ENC0_A PD2
#define BOARD_ENC0_B PD4
#define BOARD_ENC1_A PD3
#define BOARD_ENC1_B PD5
#define BOARD_ENC_PCMSK PCMSK2
#define BOARD_ENC_PCIE PCIE2
#define BOARD_ENC_VECT PCINT2_vect

/* Motor 0: PWM on OC1A (Timer1, fast PWM with ICR1 as top) and a direction pin. */
#define BOARD_MOTOR_PWM_HZ 20000UL
#define BOARD_MOTOR_PWM_DDR DDRB
#define BOARD_MOTOR_PWM_BIT PB1
#define BOARD_MOTOR_DIR_PORT PORTB
#define BOARD_MOTOR_DIR_DDR DDRB
#define BOARD_MOTOR_DIR_BIT PB0

/* E-stop input with pull-up: reads high when pressed or disconnected. */
#define BOARD_ESTOP_PIN PIND
#define BOARD_ESTOP_PORT PORTD
#define BOARD_ESTOP_DDR DDRD
#define BOARD_ESTOP_BIT PD7

/* Status LED (the Uno's "L" LED). */
#define BOARD_LED_PORT PORTB
#define BOARD_LED_DDR DDRB
#define BOARD_LED_BIT PB5

/* Analog inputs: ADC multiplexer channels, sampled round-robin. */
#define BOARD_ADC_COUNT 2
#define BOARD_ADC_CHANNELS {0, 1}

/* Hardware watchdog timeout (avr/wdt.h constant): a main loop stuck this long resets the MCU. */
#define BOARD_WDT_TIMEOUT WDTO_120MS

#endif /* REFLEX_BOARD_UNO_H */
