/*
 * The firmware image on an emulated ATmega328P (libsimavr), with the cartpole-rig board's pins
 * (board_uno.h) as plain C calls: UART0 on a pseudo-terminal, the two quadrature encoders, the motor's
 * PWM and direction pins, the e-stop. Used by the firmware-sim command, and meant as the C shim a
 * hardware-in-the-loop host calls (Swift cannot import simavr's ioctl macros).
 *
 * Emulated time only advances inside mcu_sim_run; pacing it against the wall clock is the caller's job.
 * One thread owns a sim. simavr keeps some global state: one sim per process.
 */
#ifndef REFLEX_MCU_SIM_H
#define REFLEX_MCU_SIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mcu_sim mcu_sim;

/** Called on every change of the motor output, with the emulated time and the signed duty (-1…1). */
typedef void (*mcu_sim_motor_fn)(void *context, uint64_t t_us, double duty);

/**
 * Loads `elf` onto a fresh 16 MHz ATmega328P with the e-stop released and the encoders at 0.
 * Returns NULL with a message in `error` (file missing, not an AVR image).
 */
mcu_sim *mcu_sim_open(const char *elf, char *error, size_t error_len);

/**
 * Publishes UART0 as a pseudo-terminal, with a symlink at `link` (an existing file there is replaced).
 * Returns 0, or -1 with a message in `error`. Without a link, the UART's output is discarded.
 */
int mcu_sim_open_link(mcu_sim *sim, const char *link, char *error, size_t error_len);

/** File descriptor of the pty's controller end (to wait for host input), or -1. */
int mcu_sim_link_fd(const mcu_sim *sim);

/**
 * Runs `us` microseconds of emulated time, moving bytes between the pty and UART0 as it goes.
 * Returns 0, or -1 if the MCU stopped or crashed (the message is printed to stderr once).
 */
int mcu_sim_run(mcu_sim *sim, uint64_t us);

/** Emulated time since power-up, in µs. */
uint64_t mcu_sim_now_us(const mcu_sim *sim);

/**
 * Moves encoder `index` (0: cart, 1: pole) to `counts`, one quadrature edge at a time spread evenly over
 * the next `over_us` µs of emulated time (edges at least 20 µs apart, so the firmware's pin-change
 * interrupt sees each one). A leads B when counting up. Call again at any time with a new target.
 */
void mcu_sim_set_encoder(mcu_sim *sim, int index, int64_t counts, uint32_t over_us);

/** Count the pins of encoder `index` currently show. */
int64_t mcu_sim_encoder(const mcu_sim *sim, int index);

/** Signed motor duty on the pins: PWM compare value over the PWM period, negative when DIR is high. */
double mcu_sim_motor_duty(const mcu_sim *sim);

void mcu_sim_on_motor(mcu_sim *sim, mcu_sim_motor_fn fn, void *context);

/** Presses (1) or releases (0) the e-stop input. */
void mcu_sim_set_estop(mcu_sim *sim, int pressed);

/**
 * Test hook: parks the CPU at flash byte address `pc` with interrupts off (give the firmware's `_exit`),
 * as a hung firmware would be. mcu_sim_resets counts the resets that follow (the AVR watchdog's).
 */
void mcu_sim_hang(mcu_sim *sim, uint32_t pc);
unsigned mcu_sim_resets(const mcu_sim *sim);
/** Emulated time of the last reset after a hang, µs. */
uint64_t mcu_sim_last_reset_us(const mcu_sim *sim);

/** Deepest stack the firmware has used so far, in bytes, and the RAM left for it above .data/.bss. */
unsigned mcu_sim_stack_high_water(const mcu_sim *sim, unsigned *available);

/** Bytes the firmware sent that could not be written to the pty (no host reading). */
unsigned long long mcu_sim_bytes_dropped(const mcu_sim *sim);

/** Removes the link and frees everything (never waits on a thread). */
void mcu_sim_close(mcu_sim *sim);

#ifdef __cplusplus
}
#endif

#endif /* REFLEX_MCU_SIM_H */
