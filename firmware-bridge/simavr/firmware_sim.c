/*
 * Runs the firmware image on an emulated ATmega328P (mcu_sim.h, libsimavr) with UART0 on a pseudo-terminal.
 *
 *   firmware-sim FIRMWARE.elf --link PATH [--encoder-rates CART,POLE] [--hang-at-ms MS --hang-pc ADDR]
 *                [--free-run] [--quiet]
 *
 * The host opens PATH (a symlink to the pty) and talks the wire protocol to the real firmware. Emulated
 * time is paced to the wall clock (the emulator runs 3–4x faster free-running), so the firmware's period
 * and watchdog mean what they say; when the machine is too busy to keep up, emulated time falls behind
 * rather than catching up in a burst. --free-run lets it run as fast as it can. The e-stop is held
 * released; SIGUSR1 toggles it. --encoder-rates turns the two quadrature encoders at constant rates
 * (counts per second of emulated time, signed), one edge at a time on the real pins. --hang-at-ms parks
 * the CPU at ADDR (give the firmware's `_exit`: interrupts off, an endless loop) at that emulated time, to
 * check that the hardware watchdog resets it; the reset is reported on stderr. Every change of the motor
 * output is printed to stdout as
 *   motor t_us=<emulated µs> duty=<signed fraction>
 * SIGINT/SIGTERM end it (the link is removed).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcu_sim.h"

/* Emulated time per step of the main loop: fine enough for the UART and the pacing. */
#define STEP_US 125u

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t estop_toggles;

static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void on_usr1(int sig) {
    (void)sig;
    estop_toggles++;
}

static void print_motor(void *context, uint64_t t_us, double duty) {
    (void)context;
    printf("motor t_us=%llu duty=%+.4f\n", (unsigned long long)t_us, duty);
    fflush(stdout);
}

static uint64_t wall_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int parse_rates(const char *text, double rates[2]) {
    char *end = NULL;
    rates[0] = strtod(text, &end);
    if (!end || *end != ',') {
        return 0;
    }
    rates[1] = strtod(end + 1, &end);
    return *end == 0 && rates[0] >= -1e6 && rates[0] <= 1e6 && rates[1] >= -1e6 && rates[1] <= 1e6;
}

int main(int argc, char **argv) {
    const char *elf = NULL;
    const char *link = NULL;
    int free_run = 0;
    int quiet = 0;
    double rates[2] = {0.0, 0.0};
    double hang_at_ms = -1.0;
    long hang_pc = -1;
    int hang_state = 0; /* 0 not yet, 1 hung, 2 reset reported */
    uint64_t hung_at_us = 0;
    char error[512];
    mcu_sim *sim;
    int estop = 0;
    sig_atomic_t toggles_seen = 0;
    uint64_t start;
    uint64_t lag_ns = 0;
    unsigned long lag_events = 0;
    unsigned stack_used;
    unsigned stack_available;
    int i;
    int failed = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--link") == 0 && i + 1 < argc) {
            link = argv[++i];
        } else if (strcmp(argv[i], "--encoder-rates") == 0 && i + 1 < argc) {
            if (!parse_rates(argv[++i], rates)) {
                fprintf(stderr, "firmware-sim: --encoder-rates \"%s\" is not CART,POLE in counts/s (each within ±1e6)\n",
                        argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--hang-at-ms") == 0 && i + 1 < argc) {
            hang_at_ms = strtod(argv[++i], NULL);
        } else if (strcmp(argv[i], "--hang-pc") == 0 && i + 1 < argc) {
            hang_pc = strtol(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--free-run") == 0) {
            free_run = 1;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] != '-' && !elf) {
            elf = argv[i];
        } else {
            fprintf(stderr, "firmware-sim: unknown argument \"%s\"\n", argv[i]);
            return 2;
        }
    }
    if (!elf || !link) {
        fprintf(stderr, "usage: firmware-sim FIRMWARE.elf --link PATH [--encoder-rates CART,POLE] "
                        "[--hang-at-ms MS --hang-pc ADDR] [--free-run] [--quiet]\n");
        return 2;
    }
    if ((hang_at_ms >= 0) != (hang_pc >= 0)) {
        fprintf(stderr, "firmware-sim: --hang-at-ms and --hang-pc go together\n");
        return 2;
    }
    sim = mcu_sim_open(elf, error, sizeof error);
    if (!sim) {
        fprintf(stderr, "firmware-sim: %s\n", error);
        return 1;
    }
    if (mcu_sim_open_link(sim, link, error, sizeof error) != 0) {
        fprintf(stderr, "firmware-sim: %s\n", error);
        mcu_sim_close(sim);
        return 1;
    }
    if (!quiet) {
        mcu_sim_on_motor(sim, print_motor, NULL);
    }
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
    signal(SIGUSR1, on_usr1);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr, "firmware-sim: %s on an emulated ATmega328P at 16 MHz, UART0 at %s%s\n", elf, link,
            free_run ? " (free-running)" : "");

    start = wall_ns();
    while (!stop_requested) {
        uint64_t now;
        for (i = 0; i < 2; i++) {
            if (rates[i] != 0.0) {
                /* Targets from the emulated time at the end of this step, reached by then. */
                double t = (double)(mcu_sim_now_us(sim) + STEP_US) / 1e6;
                mcu_sim_set_encoder(sim, i, (int64_t)(rates[i] * t), STEP_US);
            }
        }
        if (mcu_sim_run(sim, STEP_US) != 0) {
            failed = 1;
            break;
        }
        now = mcu_sim_now_us(sim);
        if (hang_state == 0 && hang_at_ms >= 0 && now >= (uint64_t)(hang_at_ms * 1000.0)) {
            hang_state = 1;
            hung_at_us = now;
            mcu_sim_hang(sim, (uint32_t)hang_pc);
            fprintf(stderr, "firmware-sim: firmware hung on purpose at t_us=%llu\n", (unsigned long long)now);
        } else if (hang_state == 1 && mcu_sim_resets(sim) > 0) {
            hang_state = 2;
            fprintf(stderr, "firmware-sim: MCU reset by its watchdog %llu µs after the hang, reset_at_us=%llu\n",
                    (unsigned long long)(mcu_sim_last_reset_us(sim) - hung_at_us),
                    (unsigned long long)mcu_sim_last_reset_us(sim));
        }
        if (estop_toggles != toggles_seen) {
            toggles_seen = estop_toggles;
            estop = !estop;
            mcu_sim_set_estop(sim, estop);
            fprintf(stderr, "firmware-sim: e-stop %s\n", estop ? "pressed" : "released");
        }
        if (!free_run) {
            uint64_t emulated = now * 1000u;
            uint64_t wall = wall_ns() - start;
            if (wall > emulated + 2000000u) {
                /* Fell behind (a busy machine): do not catch up in a burst, which would squeeze emulated
                 * periods together and make the firmware's watchdog see a silent host. Drop the debt. */
                start += wall - emulated;
                lag_ns += wall - emulated;
                lag_events++;
            } else if (emulated > wall + 200000u) {
                /* Ahead of the wall clock: wait, but wake for host input. */
                struct pollfd p = {mcu_sim_link_fd(sim), POLLIN, 0};
                uint64_t ahead = emulated - wall;
                struct timespec ts = {(time_t)(ahead / 1000000000u), (long)(ahead % 1000000000u)};
                ppoll(&p, 1, &ts, NULL);
            }
        }
    }
    stack_used = mcu_sim_stack_high_water(sim, &stack_available);
    fprintf(stderr,
            "firmware-sim: stopped after %.3f s emulated, %.3f s behind the wall clock (%lu times), %llu output bytes "
            "dropped, stack high-water %u of %u bytes\n",
            (double)mcu_sim_now_us(sim) / 1e6, (double)lag_ns / 1e9, lag_events, mcu_sim_bytes_dropped(sim), stack_used,
            stack_available);
    mcu_sim_close(sim);
    return failed;
}
