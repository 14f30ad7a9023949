/* The emulated ATmega328P behind mcu_sim.h. The UART bridge is written here rather than taken from
 * simavr's uart_pty: that one has a fixed link name (/tmp/simavr-uart0) and a thread whose stop can hang. */
#define _GNU_SOURCE
#include "mcu_sim.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <avr_ioport.h>
#include <avr_timer.h>
#include <avr_uart.h>
#include <sim_avr.h>
#include <sim_cycle_timers.h>
#include <sim_elf.h>
#include <sim_irq.h>
#include <sim_time.h>

#define MCU "atmega328p"
#define FREQUENCY 16000000u
/* board_uno.h: Timer1 PWM period (20 kHz), direction PB0, e-stop PD7, encoders on PD2/PD4 and PD3/PD5. */
#define PWM_PERIOD_COUNTS 800u
#define DIR_PORT 'B'
#define DIR_PIN 0
#define ESTOP_PIN 7
/* ATmega328P SRAM: 0x100…0x8FF. */
#define RAM_START 0x100u
#define RAM_END 0x8FFu
#define STACK_PAINT 0xA5u
/* .noinit follows .bss and is not in the ELF's bss size: leave this much for it. */
#define NOINIT_ALLOWANCE 16u
/* Shortest time between two encoder edges: the pin-change interrupt takes about 4 µs. */
#define MIN_EDGE_CYCLES (20u * (FREQUENCY / 1000000u))

typedef struct {
    struct mcu_sim *sim;
    int pin_a, pin_b;
    int64_t count;
    int64_t target;
    avr_cycle_count_t interval;
} sim_encoder;

struct mcu_sim {
    avr_t *avr;
    char link[256];
    int master_fd;
    int slave_fd;
    avr_irq_t *uart_input;
    int uart_xon;
    uint8_t in_fifo[4096]; /* host bytes not yet taken by the emulated UART */
    size_t in_head, in_len;
    uint8_t out_buf[4096]; /* firmware bytes not yet written to the pty */
    size_t out_len;
    unsigned long long bytes_dropped;
    uint8_t port_d_mask, port_d_value;
    sim_encoder encoders[2];
    uint32_t pwm_counts;
    int direction_reverse;
    double duty;
    mcu_sim_motor_fn motor_fn;
    void *motor_context;
    uint32_t ram_used;
    uint32_t hang_pc;
    int hung;
    unsigned resets;
    uint64_t last_reset_us;
    int stopped_reported;
};

static void set_error(char *error, size_t len, const char *fmt, ...) {
    va_list ap;
    if (!error || len == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(error, len, fmt, ap);
    va_end(ap);
}

/* ---- UART0 <-> pty ---- */

static void feed_uart(mcu_sim *s) {
    while (s->uart_xon && s->in_len > 0) {
        uint8_t b = s->in_fifo[s->in_head];
        s->in_head = (s->in_head + 1) % sizeof s->in_fifo;
        s->in_len--;
        avr_raise_irq(s->uart_input, b);
    }
}

static void on_uart_xon(struct avr_irq_t *irq, uint32_t value, void *param) {
    mcu_sim *s = param;
    (void)irq; (void)value;
    s->uart_xon = 1;
    feed_uart(s);
}

static void on_uart_xoff(struct avr_irq_t *irq, uint32_t value, void *param) {
    mcu_sim *s = param;
    (void)irq; (void)value;
    s->uart_xon = 0;
}

static void on_uart_output(struct avr_irq_t *irq, uint32_t value, void *param) {
    mcu_sim *s = param;
    (void)irq;
    if (s->master_fd < 0) {
        return;
    }
    if (s->out_len < sizeof s->out_buf) {
        s->out_buf[s->out_len++] = (uint8_t)value;
    } else {
        s->bytes_dropped++;
    }
}

static void pump_link(mcu_sim *s) {
    if (s->master_fd < 0) {
        return;
    }
    while (s->in_len < sizeof s->in_fifo) {
        uint8_t chunk[256];
        size_t room = sizeof s->in_fifo - s->in_len;
        ssize_t n = read(s->master_fd, chunk, room < sizeof chunk ? room : sizeof chunk);
        ssize_t i;
        if (n <= 0) {
            break; /* EAGAIN: nothing waiting */
        }
        for (i = 0; i < n; i++) {
            s->in_fifo[(s->in_head + s->in_len) % sizeof s->in_fifo] = chunk[i];
            s->in_len++;
        }
    }
    feed_uart(s);
    /* A host that is not reading loses bytes, as with a real UART. */
    if (s->out_len > 0) {
        ssize_t n = write(s->master_fd, s->out_buf, s->out_len);
        if (n > 0) {
            memmove(s->out_buf, s->out_buf + n, s->out_len - (size_t)n);
            s->out_len -= (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            s->bytes_dropped += s->out_len;
            s->out_len = 0;
        }
    }
}

/* ---- Port D inputs: e-stop and encoders ---- */

/* The inputs have the firmware's pull-ups: simavr's "external state" is what an input pin reads when
 * nothing else drives it, and it is set for the whole port at once, so all driven bits are kept here. */
static void drive_port_d(mcu_sim *s, int pin, int high) {
    avr_ioport_external_t e;
    s->port_d_mask |= (uint8_t)(1u << pin);
    if (high) {
        s->port_d_value |= (uint8_t)(1u << pin);
    } else {
        s->port_d_value &= (uint8_t)~(1u << pin);
    }
    memset(&e, 0, sizeof e);
    e.name = 'D';
    e.mask = s->port_d_mask;
    e.value = s->port_d_value;
    avr_ioctl(s->avr, AVR_IOCTL_IOPORT_SET_EXTERNAL('D'), &e);
    avr_raise_irq(avr_io_getirq(s->avr, AVR_IOCTL_IOPORT_GETIRQ('D'), pin), high ? 1 : 0);
}

void mcu_sim_set_estop(mcu_sim *s, int pressed) {
    drive_port_d(s, ESTOP_PIN, pressed);
}

/* Quadrature phase of a count: 00, 10, 11, 01 (A, B), so A leads B when counting up. */
static void drive_encoder(sim_encoder *e) {
    static const int a_of_phase[4] = {0, 1, 1, 0};
    static const int b_of_phase[4] = {0, 0, 1, 1};
    int phase = (int)(e->count & 3);
    drive_port_d(e->sim, e->pin_a, a_of_phase[phase]);
    drive_port_d(e->sim, e->pin_b, b_of_phase[phase]);
}

static avr_cycle_count_t encoder_step(struct avr_t *avr, avr_cycle_count_t when, void *param) {
    sim_encoder *e = param;
    (void)avr;
    if (e->count == e->target) {
        return 0;
    }
    e->count += e->target > e->count ? 1 : -1;
    drive_encoder(e);
    return e->count == e->target ? 0 : when + e->interval;
}

void mcu_sim_set_encoder(mcu_sim *s, int index, int64_t counts, uint32_t over_us) {
    sim_encoder *e;
    uint64_t steps;
    if (index < 0 || index > 1) {
        return;
    }
    e = &s->encoders[index];
    e->target = counts;
    /* Re-registering every time also restarts an encoder after a reset, which cancels simavr's timers. */
    avr_cycle_timer_cancel(s->avr, encoder_step, e);
    if (e->count == e->target) {
        return;
    }
    steps = (uint64_t)(e->target > e->count ? e->target - e->count : e->count - e->target);
    e->interval = (avr_cycle_count_t)((uint64_t)over_us * (FREQUENCY / 1000000u) / steps);
    if (e->interval < MIN_EDGE_CYCLES) {
        e->interval = MIN_EDGE_CYCLES;
    }
    avr_cycle_timer_register(s->avr, e->interval, encoder_step, e);
}

int64_t mcu_sim_encoder(const mcu_sim *s, int index) {
    return index >= 0 && index <= 1 ? s->encoders[index].count : 0;
}

/* ---- Motor pins ---- */

static void report_motor(mcu_sim *s) {
    double duty = (s->direction_reverse ? -1.0 : 1.0) * (double)s->pwm_counts / PWM_PERIOD_COUNTS;
    if (duty == s->duty) {
        return;
    }
    s->duty = duty;
    if (s->motor_fn) {
        s->motor_fn(s->motor_context, mcu_sim_now_us(s), duty);
    }
}

static void on_pwm(struct avr_irq_t *irq, uint32_t value, void *param) {
    mcu_sim *s = param;
    (void)irq;
    s->pwm_counts = value;
    report_motor(s);
}

static void on_direction(struct avr_irq_t *irq, uint32_t value, void *param) {
    mcu_sim *s = param;
    (void)irq;
    s->direction_reverse = value != 0;
    report_motor(s);
}

double mcu_sim_motor_duty(const mcu_sim *s) {
    return s->duty;
}

void mcu_sim_on_motor(mcu_sim *s, mcu_sim_motor_fn fn, void *context) {
    s->motor_fn = fn;
    s->motor_context = context;
}

/* ---- Lifecycle ---- */

mcu_sim *mcu_sim_open(const char *elf, char *error, size_t error_len) {
    elf_firmware_t fw;
    mcu_sim *s;
    uint32_t flags = 0;
    int i;
    if (access(elf, R_OK) != 0) {
        set_error(error, error_len, "cannot read firmware %s: %s", elf, strerror(errno));
        return NULL;
    }
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(elf, &fw) != 0) {
        set_error(error, error_len, "%s is not an AVR ELF image", elf);
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        set_error(error, error_len, "out of memory");
        return NULL;
    }
    s->master_fd = -1;
    s->slave_fd = -1;
    s->uart_xon = 1;
    s->avr = avr_make_mcu_by_name(MCU);
    if (!s->avr) {
        set_error(error, error_len, "this simavr has no %s", MCU);
        free(s);
        return NULL;
    }
    avr_init(s->avr);
    s->avr->log = LOG_WARNING;
    avr_load_firmware(s->avr, &fw);
    s->avr->frequency = FREQUENCY;
    s->avr->vcc = s->avr->avcc = s->avr->aref = 5000; /* mV: a 5 V board */

    /* UART0: no console printing, no sleeping when the firmware polls an empty receiver. */
    avr_ioctl(s->avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~(uint32_t)(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);
    avr_ioctl(s->avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    s->uart_input = avr_io_getirq(s->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    avr_irq_register_notify(avr_io_getirq(s->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), on_uart_output, s);
    avr_irq_register_notify(avr_io_getirq(s->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON), on_uart_xon, s);
    avr_irq_register_notify(avr_io_getirq(s->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF), on_uart_xoff, s);
    avr_irq_register_notify(avr_io_getirq(s->avr, AVR_IOCTL_TIMER_GETIRQ('1'), TIMER_IRQ_OUT_PWM0), on_pwm, s);
    avr_irq_register_notify(avr_io_getirq(s->avr, AVR_IOCTL_IOPORT_GETIRQ(DIR_PORT), DIR_PIN), on_direction, s);

    s->encoders[0] = (sim_encoder){s, 2, 4, 0, 0, MIN_EDGE_CYCLES};
    s->encoders[1] = (sim_encoder){s, 3, 5, 0, 0, MIN_EDGE_CYCLES};
    mcu_sim_set_estop(s, 0); /* the normally-closed switch holds the pin low: released */
    for (i = 0; i < 2; i++) {
        drive_encoder(&s->encoders[i]);
    }
    /* Paint the RAM above .data/.bss (the C runtime does not touch it) to measure the stack's high-water
     * mark; after the first instruction, as the reset that starts the run clears the RAM. */
    avr_run(s->avr);
    s->ram_used = RAM_START + fw.datasize + fw.bsssize + NOINIT_ALLOWANCE;
    if (s->ram_used <= RAM_END) {
        memset(s->avr->data + s->ram_used, STACK_PAINT, RAM_END + 1u - s->ram_used);
    }
    return s;
}

int mcu_sim_open_link(mcu_sim *s, const char *link, char *error, size_t error_len) {
    char name[256];
    struct termios t;
    if (strlen(link) >= sizeof s->link) {
        set_error(error, error_len, "link path %s is too long", link);
        return -1;
    }
    if (openpty(&s->master_fd, &s->slave_fd, name, NULL, NULL) != 0) {
        set_error(error, error_len, "cannot open a pseudo-terminal: %s", strerror(errno));
        return -1;
    }
    /* Raw: no echo, no line discipline between the host and the UART. */
    tcgetattr(s->slave_fd, &t);
    cfmakeraw(&t);
    tcsetattr(s->slave_fd, TCSANOW, &t);
    fcntl(s->master_fd, F_SETFL, fcntl(s->master_fd, F_GETFL) | O_NONBLOCK);
    /* The slave end stays open here so the link survives a host closing and reopening it. */
    if (unlink(link) != 0 && errno != ENOENT) {
        set_error(error, error_len, "cannot replace %s: %s", link, strerror(errno));
        return -1;
    }
    if (symlink(name, link) != 0) {
        set_error(error, error_len, "cannot create link %s -> %s: %s", link, name, strerror(errno));
        return -1;
    }
    strcpy(s->link, link);
    return 0;
}

int mcu_sim_link_fd(const mcu_sim *s) {
    return s->master_fd;
}

uint64_t mcu_sim_now_us(const mcu_sim *s) {
    return avr_cycles_to_usec(s->avr, s->avr->cycle);
}

int mcu_sim_run(mcu_sim *s, uint64_t us) {
    avr_cycle_count_t end = s->avr->cycle + (avr_cycle_count_t)us * (FREQUENCY / 1000000u);
    unsigned n = 0;
    int state = cpu_Running;
    pump_link(s);
    while (s->avr->cycle < end) {
        state = avr_run(s->avr);
        if (state == cpu_Done || state == cpu_Crashed) {
            if (!s->stopped_reported) {
                s->stopped_reported = 1;
                fprintf(stderr, "mcu-sim: the emulated MCU %s at pc 0x%04x\n",
                        state == cpu_Crashed ? "crashed" : "stopped", s->avr->pc);
            }
            return -1;
        }
        if (s->hung && (s->avr->pc < s->hang_pc || s->avr->pc > s->hang_pc + 4u)) {
            s->hung = 0;
            s->resets++;
            s->last_reset_us = mcu_sim_now_us(s);
        }
        if (++n % 1024u == 0) {
            pump_link(s);
        }
    }
    pump_link(s);
    return 0;
}

void mcu_sim_hang(mcu_sim *s, uint32_t pc) {
    s->hang_pc = pc;
    s->hung = 1;
    s->avr->pc = pc;
    s->avr->sreg[S_I] = 0; /* no interrupt may pull it out: only a reset can */
}

unsigned mcu_sim_resets(const mcu_sim *s) {
    return s->resets;
}

uint64_t mcu_sim_last_reset_us(const mcu_sim *s) {
    return s->last_reset_us;
}

unsigned mcu_sim_stack_high_water(const mcu_sim *s, unsigned *available) {
    uint32_t a = s->ram_used;
    if (available) {
        *available = s->ram_used <= RAM_END ? (unsigned)(RAM_END + 1u - s->ram_used) : 0u;
    }
    while (a <= RAM_END && s->avr->data[a] == STACK_PAINT) {
        a++;
    }
    return a <= RAM_END ? (unsigned)(RAM_END + 1u - a) : 0u;
}

unsigned long long mcu_sim_bytes_dropped(const mcu_sim *s) {
    return s->bytes_dropped;
}

void mcu_sim_close(mcu_sim *s) {
    if (!s) {
        return;
    }
    if (s->link[0]) {
        unlink(s->link);
    }
    if (s->master_fd >= 0) {
        close(s->master_fd);
    }
    if (s->slave_fd >= 0) {
        close(s->slave_fd);
    }
    avr_terminate(s->avr);
    free(s);
}
