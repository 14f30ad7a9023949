/*
 * Runs the firmware image on an emulated ATmega328P (libsimavr) with UART0 on a pseudo-terminal.
 *
 *   firmware-sim FIRMWARE.elf --link PATH [--encoder-rates CART,POLE] [--hang-at-ms MS --hang-pc ADDR]
 *                [--free-run] [--quiet]
 *
 * The host opens PATH (a symlink to the pty) and talks the wire protocol to the real firmware. Emulated
 * time is held to wall-clock time (the emulator runs 3–4x faster free-running), so the firmware's 20 ms
 * period and watchdog mean what they say; --free-run lets it run ahead. The e-stop pin is held released;
 * SIGUSR1 toggles it. --encoder-rates turns the two quadrature encoders at constant rates (counts per
 * second of emulated time, signed; A leads B when counting up), one edge at a time on the real pins, so
 * the firmware's pin-change decoding is exercised. Every change of the motor output is printed to stdout as
 *   motor t_us=<emulated µs> duty=<signed fraction>
 * so tests can measure the failsafe on the pins. --hang-at-ms parks the CPU at ADDR (give the firmware's
 * `_exit`: interrupts off, an endless loop) at that emulated time, to check that the hardware watchdog
 * resets it; the reset is reported on stderr. SIGINT/SIGTERM end it (the link is removed).
 *
 * The UART bridge is written here rather than taken from simavr's uart_pty: that one has a fixed link
 * name (/tmp/simavr-uart0) and a thread whose stop can hang.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <avr_ioport.h>
#include <avr_timer.h>
#include <avr_uart.h>
#include <sim_avr.h>
#include <sim_elf.h>
#include <sim_irq.h>
#include <sim_time.h>

#define MCU "atmega328p"
#define FREQUENCY 16000000u
/* board_uno.h: PWM top of Timer1 (20 kHz), direction PB0, e-stop PD7. */
#define PWM_PERIOD_COUNTS 800u
#define DIR_PORT 'B'
#define DIR_PIN 0
#define ESTOP_PIN 7
/* ATmega328P SRAM: 0x100…0x8FF. */
#define RAM_START 0x100u
#define RAM_END 0x8FFu
#define STACK_PAINT 0xA5u
#define NOINIT_ALLOWANCE 16u

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

/* ---- UART0 <-> pty ---- */

static avr_t *avr;
static int master_fd = -1;
static avr_irq_t *uart_input;
static int uart_xon = 1;
static uint8_t in_fifo[4096]; /* bytes from the host not yet taken by the emulated UART */
static size_t in_head, in_len;
static uint8_t out_buf[4096]; /* bytes from the firmware not yet written to the pty */
static size_t out_len;
static unsigned long long bytes_dropped;

static void feed_uart(void) {
    while (uart_xon && in_len > 0) {
        uint8_t b = in_fifo[in_head];
        in_head = (in_head + 1) % sizeof in_fifo;
        in_len--;
        avr_raise_irq(uart_input, b);
    }
}

static void on_uart_xon(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)value; (void)param;
    uart_xon = 1;
    feed_uart();
}

static void on_uart_xoff(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)value; (void)param;
    uart_xon = 0;
}

static void on_uart_output(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)param;
    if (out_len < sizeof out_buf) {
        out_buf[out_len++] = (uint8_t)value;
    } else {
        bytes_dropped++;
    }
}

static void pump_link(void) {
    /* Host -> firmware. */
    while (in_len < sizeof in_fifo) {
        uint8_t chunk[256];
        size_t room = sizeof in_fifo - in_len;
        ssize_t n = read(master_fd, chunk, room < sizeof chunk ? room : sizeof chunk);
        ssize_t i;
        if (n <= 0) {
            break; /* EAGAIN: nothing waiting; EIO: no host has the link open */
        }
        for (i = 0; i < n; i++) {
            in_fifo[(in_head + in_len) % sizeof in_fifo] = chunk[i];
            in_len++;
        }
    }
    feed_uart();
    /* Firmware -> host: a host that is not reading loses bytes, as with a real UART. */
    if (out_len > 0) {
        ssize_t n = write(master_fd, out_buf, out_len);
        if (n > 0) {
            memmove(out_buf, out_buf + n, out_len - (size_t)n);
            out_len -= (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            bytes_dropped += out_len;
            out_len = 0;
        }
    }
}

/* ---- Motor pins ---- */

static uint32_t pwm_counts;
static int direction_reverse;
static int quiet;
static double last_duty = 0.0;

static void report_motor(void) {
    double duty = (direction_reverse ? -1.0 : 1.0) * (double)pwm_counts / PWM_PERIOD_COUNTS;
    if (duty == last_duty) {
        return;
    }
    last_duty = duty;
    if (!quiet) {
        printf("motor t_us=%llu duty=%+.4f\n", (unsigned long long)avr_cycles_to_usec(avr, avr->cycle), duty);
        fflush(stdout);
    }
}

static void on_pwm(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)param;
    pwm_counts = value;
    report_motor();
}

static void on_direction(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)param;
    direction_reverse = value != 0;
    report_motor();
}

/* ---- Port D inputs: e-stop and encoders ---- */

/* The inputs have the firmware's pull-ups: simavr's "external state" is what an input pin reads when
 * nothing else drives it, and it is set for the whole port at once, so all driven bits are kept here. */
static uint8_t port_d_mask, port_d_value;

static void drive_port_d(int pin, int high) {
    avr_ioport_external_t e;
    port_d_mask |= (uint8_t)(1u << pin);
    if (high) {
        port_d_value |= (uint8_t)(1u << pin);
    } else {
        port_d_value &= (uint8_t)~(1u << pin);
    }
    memset(&e, 0, sizeof e);
    e.name = 'D';
    e.mask = port_d_mask;
    e.value = port_d_value;
    avr_ioctl(avr, AVR_IOCTL_IOPORT_SET_EXTERNAL('D'), &e);
    avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), pin), high ? 1 : 0);
}

static void set_estop(int pressed) {
    drive_port_d(ESTOP_PIN, pressed);
}

/* board_uno.h: cart encoder A/B on PD2/PD4, pole encoder A/B on PD3/PD5. */
typedef struct {
    int pin_a, pin_b;
    double rate; /* counts per second, signed */
    long long count;
} sim_encoder;

static sim_encoder encoders[2] = {{2, 4, 0.0, 0}, {3, 5, 0.0, 0}};

/* Quadrature phase of a count: 00, 10, 11, 01 (A, B), so A leads B when counting up. */
static void drive_encoder(const sim_encoder *e) {
    static const int a_of_phase[4] = {0, 1, 1, 0};
    static const int b_of_phase[4] = {0, 0, 1, 1};
    int phase = (int)(e->count & 3);
    drive_port_d(e->pin_a, a_of_phase[phase]);
    drive_port_d(e->pin_b, b_of_phase[phase]);
}

static avr_cycle_count_t encoder_step(struct avr_t *a, avr_cycle_count_t when, void *param) {
    sim_encoder *e = param;
    (void)a;
    e->count += e->rate > 0 ? 1 : -1;
    drive_encoder(e);
    return when + (avr_cycle_count_t)((double)FREQUENCY / (e->rate > 0 ? e->rate : -e->rate));
}

/* Drives the e-stop and encoder pins and starts the encoders turning (again, after a reset). */
static void start_inputs(int estop_pressed) {
    int i;
    set_estop(estop_pressed);
    for (i = 0; i < 2; i++) {
        drive_encoder(&encoders[i]);
        avr_cycle_timer_cancel(avr, encoder_step, &encoders[i]);
        if (encoders[i].rate != 0.0) {
            /* Start after the firmware's setup (~10 ms) so its first pin sample sees a settled state. */
            avr_cycle_timer_register(avr, FREQUENCY / 100u, encoder_step, &encoders[i]);
        }
    }
}

/* ---- Main ---- */

static uint32_t ram_used;

/* Bytes of stack ever used: from the top of RAM down to the lowest byte that lost its paint. */
static unsigned stack_high_water(void) {
    uint32_t a = ram_used;
    while (a <= RAM_END && avr->data[a] == STACK_PAINT) {
        a++;
    }
    return (unsigned)(RAM_END + 1u - a);
}

static uint64_t wall_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int open_link(const char *link) {
    int slave_fd;
    char name[256];
    struct termios t;
    if (openpty(&master_fd, &slave_fd, name, NULL, NULL) != 0) {
        fprintf(stderr, "firmware-sim: cannot open a pseudo-terminal: %s\n", strerror(errno));
        return -1;
    }
    /* Raw on both sides: no echo, no line discipline between the host and the UART. */
    tcgetattr(slave_fd, &t);
    cfmakeraw(&t);
    tcsetattr(slave_fd, TCSANOW, &t);
    fcntl(master_fd, F_SETFL, fcntl(master_fd, F_GETFL) | O_NONBLOCK);
    /* The slave stays open here so the link survives a host closing and reopening it. */
    if (unlink(link) != 0 && errno != ENOENT) {
        fprintf(stderr, "firmware-sim: cannot replace %s: %s\n", link, strerror(errno));
        return -1;
    }
    if (symlink(name, link) != 0) {
        fprintf(stderr, "firmware-sim: cannot create link %s -> %s: %s\n", link, name, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *elf = NULL;
    const char *link = NULL;
    int free_run = 0;
    double hang_at_ms = -1.0;
    long hang_pc = -1;
    int hung = 0;
    uint64_t hung_at_us = 0;
    int i;
    elf_firmware_t fw;
    uint32_t flags = 0;
    int estop = 0;
    sig_atomic_t toggles_seen = 0;
    uint64_t start;
    uint64_t lag_ns = 0;
    unsigned long lag_events = 0;
    int state = cpu_Running;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--link") == 0 && i + 1 < argc) {
            link = argv[++i];
        } else if (strcmp(argv[i], "--encoder-rates") == 0 && i + 1 < argc) {
            char *end = NULL;
            encoders[0].rate = strtod(argv[++i], &end);
            if (!end || *end != ',') {
                fprintf(stderr, "firmware-sim: --encoder-rates \"%s\" is not CART,POLE (counts/s)\n", argv[i]);
                return 2;
            }
            encoders[1].rate = strtod(end + 1, &end);
            if (*end != 0 || encoders[0].rate > 1e6 || encoders[0].rate < -1e6 || encoders[1].rate > 1e6 ||
                encoders[1].rate < -1e6) {
                fprintf(stderr, "firmware-sim: --encoder-rates \"%s\": two numbers within ±1e6 counts/s\n", argv[i]);
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
            elf = NULL;
            break;
        }
    }
    if ((hang_at_ms >= 0) != (hang_pc >= 0)) {
        fprintf(stderr, "firmware-sim: --hang-at-ms and --hang-pc go together\n");
        return 2;
    }
    if (!elf || !link) {
        fprintf(stderr, "usage: firmware-sim FIRMWARE.elf --link PATH [--encoder-rates CART,POLE] [--free-run] [--quiet]\n");
        return 2;
    }
    if (access(elf, R_OK) != 0) {
        fprintf(stderr, "firmware-sim: cannot read firmware %s: %s\n", elf, strerror(errno));
        return 1;
    }
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(elf, &fw) != 0) {
        fprintf(stderr, "firmware-sim: %s is not an AVR ELF image\n", elf);
        return 1;
    }
    avr = avr_make_mcu_by_name(MCU);
    if (!avr) {
        fprintf(stderr, "firmware-sim: this simavr has no %s\n", MCU);
        return 1;
    }
    avr_init(avr);
    avr->log = LOG_WARNING;
    avr_load_firmware(avr, &fw);
    avr->frequency = FREQUENCY;
    avr->vcc = avr->avcc = avr->aref = 5000; /* mV: a 5 V board */
    /* Paint the RAM above .data/.bss (the C runtime does not touch it) to measure the stack's high-water mark.
     * .noinit follows .bss and is not in bsssize: NOINIT_ALLOWANCE bytes are left out for it.
     * Painted after the first instruction, as the reset that starts the run clears the RAM. */
    ram_used = RAM_START + fw.datasize + fw.bsssize + NOINIT_ALLOWANCE;

    if (open_link(link) != 0) {
        return 1;
    }
    /* UART0: no console printing, no sleeping when the firmware polls an empty receiver. */
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~(uint32_t)(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    uart_input = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), on_uart_output, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON), on_uart_xon, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF), on_uart_xoff, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_TIMER_GETIRQ('1'), TIMER_IRQ_OUT_PWM0), on_pwm, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(DIR_PORT), DIR_PIN), on_direction, NULL);
    start_inputs(0); /* e-stop released: the normally-closed switch holds the pin low */

    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
    signal(SIGUSR1, on_usr1);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr, "firmware-sim: %s on an emulated %s at %u MHz, UART0 at %s%s\n", elf, MCU, FREQUENCY / 1000000u,
            link, free_run ? " (free-running)" : "");

    start = wall_ns();
    state = avr_run(avr);
    if (ram_used <= RAM_END) {
        memset(avr->data + ram_used, STACK_PAINT, RAM_END + 1u - ram_used);
    }
    while (!stop_requested && state != cpu_Done && state != cpu_Crashed) {
        int k;
        for (k = 0; k < 2000 && state != cpu_Done && state != cpu_Crashed; k++) {
            state = avr_run(avr);
        }
        pump_link();
        if (hang_at_ms >= 0 && !hung && avr_cycles_to_usec(avr, avr->cycle) >= (uint64_t)(hang_at_ms * 1000.0)) {
            hung = 1;
            hung_at_us = avr_cycles_to_usec(avr, avr->cycle);
            avr->pc = (avr_flashaddr_t)hang_pc;
            avr->sreg[S_I] = 0; /* no interrupt may pull it out: only a reset can */
            fprintf(stderr, "firmware-sim: firmware hung on purpose at t_us=%llu\n", (unsigned long long)hung_at_us);
        } else if (hung == 1 && (avr->pc < (avr_flashaddr_t)hang_pc || avr->pc > (avr_flashaddr_t)hang_pc + 4u)) {
            uint64_t now_us = avr_cycles_to_usec(avr, avr->cycle);
            hung = 2;
            fprintf(stderr, "firmware-sim: MCU reset by its watchdog %llu µs after the hang, reset_at_us=%llu\n",
                    (unsigned long long)(now_us - hung_at_us), (unsigned long long)now_us);
            /* A reset cancels simavr's cycle timers: the encoders keep turning, as the real ones would. */
            start_inputs(estop);
        }
        if (estop_toggles != toggles_seen) {
            toggles_seen = estop_toggles;
            estop = !estop;
            set_estop(estop);
            fprintf(stderr, "firmware-sim: e-stop %s\n", estop ? "pressed" : "released");
        }
        if (!free_run) {
            uint64_t emulated = avr_cycles_to_nsec(avr, avr->cycle);
            uint64_t wall = wall_ns() - start;
            if (wall > emulated + 2000000u) {
                /* Fell behind (a busy machine): do not catch up in a burst, which would squeeze emulated
                 * periods together and make the firmware's watchdog see a silent host. Drop the debt. */
                start += wall - emulated;
                lag_ns += wall - emulated;
                lag_events++;
            } else if (emulated > wall + 200000u) {
                /* Ahead of the wall clock: wait, but wake for host input. */
                struct pollfd p = {master_fd, POLLIN, 0};
                uint64_t ahead = emulated - wall;
                struct timespec ts = {(time_t)(ahead / 1000000000u), (long)(ahead % 1000000000u)};
                ppoll(&p, 1, &ts, NULL);
            }
        }
    }
    unlink(link);
    if (state == cpu_Crashed) {
        fprintf(stderr, "firmware-sim: the emulated MCU crashed at pc 0x%04x\n", avr->pc);
        return 1;
    }
    fprintf(stderr,
            "firmware-sim: stopped after %.3f s emulated, %.3f s behind the wall clock (%lu times), %llu output bytes "
            "dropped, stack high-water %u of %u bytes\n",
            (double)avr_cycles_to_usec(avr, avr->cycle) / 1e6, (double)lag_ns / 1e9, lag_events, bytes_dropped,
            stack_high_water(), (unsigned)(RAM_END + 1u - ram_used));
    return 0;
}
