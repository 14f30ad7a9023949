/*
 * A small host for the wire protocol, for checking a device end to end: the firmware under simavr, or a
 * real board on a serial port.
 *
 *   link-check PATH [--baud 115200] [--duty 0.5] [--watchdog-ms 0] [--estop-pid PID | --estop-prompt]
 *
 * --watchdog-ms asks the device for a longer command watchdog in HELLO (0: its default): on a loaded
 * machine this process can be descheduled for longer than a 30 ms watchdog, which the device rightly
 * treats as a silent host.
 *
 * Steps (each must pass, or it exits 1 saying which and why):
 *   1. handshake: HELLO → IDENTIFY naming cartpole-rig with 2 sensors and 1 actuator;
 *   2. round trips: 200 DISARM → ACK, latency p50/p99 reported;
 *   3. arm and drive: ARM → ACK OK, then ACTUATE (duty, default 0.5) every period for 1 s; SENSORS arrive
 *      every period with ARMED set. On a real rig the motor turns for that second: use --duty 0 to keep it still;
 *   4. failsafe: commands stop; a FAULT(WATCHDOG) must arrive within watchdog + one period (+ link slack),
 *      and the next SENSORS has ARMED clear and FAULT set;
 *   5. bad frames: three runs of garbage and a truncated ACTUATE(-1); the device's link counters
 *      (GET_LINK_STATS) must count exactly four bad frames, every frame sent around them as valid, no
 *      sequence gap and no bytes lost, and ARM must still be answered;
 *   6. e-stop, with --estop-pid (SIGUSR1 to firmware-sim presses and releases it) or --estop-prompt (asks
 *      you to press and release the real one): while armed and driven, pressing it must bring
 *      FAULT(ESTOP); ARM is refused while it is held and accepted once it is released.
 * One line of figures on stdout at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "reflex_protocol.h"

static int fd = -1;
static rfx_decoder decoder;
static rfx_message msg;
static uint16_t seq;
static unsigned sensors_seen;
static uint8_t last_status;
/* SENSORS while driving: the first and the last, to report how the encoder counts moved. */
static int recording;
static rfx_sensors first_sensors, last_sensors;
static unsigned recorded;
/* Consecutive SENSORS whose device timestamps are not one period apart (± half a period: the timestamp is
 * the sampling time, which trails the period's start by up to one pass of the firmware's main loop). */
static unsigned period_gaps;
static uint32_t period_us;

static void note_sensors(const rfx_sensors *s) {
    sensors_seen++;
    last_status = s->status;
    if (recording) {
        if (recorded++ == 0) {
            first_sensors = *s;
        } else {
            uint64_t dt = s->timestamp_us - last_sensors.timestamp_us;
            if (dt < period_us / 2 || dt > period_us + period_us / 2) {
                period_gaps++;
            }
        }
        last_sensors = *s;
    }
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void fail(const char *step, const char *why) {
    fprintf(stderr, "link-check: %s: %s\n", step, why);
    exit(1);
}

static void send_message(rfx_message *m) {
    uint8_t wire[RFX_MAX_WIRE_FRAME];
    size_t len = 0;
    size_t off = 0;
    m->seq = seq++;
    if (rfx_message_encode(m, wire, sizeof wire, &len) != RFX_OK) {
        fail("send", "cannot encode a message");
    }
    while (off < len) {
        ssize_t n = write(fd, wire + off, len - off);
        if (n > 0) {
            off += (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            fail("send", strerror(errno));
        }
    }
}

static void send_type(uint8_t type) {
    static rfx_message m;
    memset(&m, 0, sizeof m);
    m.type = type;
    send_message(&m);
}

static void send_actuate(float v) {
    static rfx_message m;
    memset(&m, 0, sizeof m);
    m.type = RFX_MSG_ACTUATE;
    m.body.actuate.count = 1;
    m.body.actuate.values[0] = v;
    send_message(&m);
}

/* Waits until `deadline_ms` for a message of `type` (0: any); SENSORS are counted on the way. */
static int wait_for(uint8_t type, double deadline_ms) {
    for (;;) {
        uint8_t buf[256];
        ssize_t n;
        ssize_t i;
        double left = deadline_ms - now_ms();
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0) {
            return 0;
        }
        if (poll(&p, 1, (int)left + 1) <= 0) {
            continue;
        }
        n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            continue;
        }
        for (i = 0; i < n; i++) {
            rfx_frame_view f;
            if (rfx_decoder_push(&decoder, buf[i], &f, NULL) != RFX_PUSH_FRAME) {
                continue;
            }
            if (rfx_message_decode(&f, &msg) != RFX_OK) {
                continue;
            }
            if (msg.type == RFX_MSG_SENSORS) {
                note_sensors(&msg.body.sensors);
            }
            if (type == 0 || msg.type == type) {
                /* Unread bytes of this chunk are dropped: callers wait for one reply at a time. */
                if (i + 1 < n) {
                    ssize_t j;
                    for (j = i + 1; j < n; j++) {
                        rfx_frame_view g;
                        if (rfx_decoder_push(&decoder, buf[j], &g, NULL) == RFX_PUSH_FRAME) {
                            static rfx_message extra;
                            if (rfx_message_decode(&g, &extra) == RFX_OK && extra.type == RFX_MSG_SENSORS) {
                                note_sensors(&extra.body.sensors);
                            }
                        }
                    }
                }
                return 1;
            }
        }
    }
}

/* GET_LINK_STATS → LINK_STATS answering it; exits naming the step when none comes. */
static void ask_link_stats(const char *step, rfx_link_stats *out) {
    uint16_t s = seq;
    double deadline = now_ms() + 1000;
    send_type(RFX_MSG_GET_LINK_STATS);
    for (;;) {
        if (!wait_for(RFX_MSG_LINK_STATS, deadline)) {
            fail(step, "no LINK_STATS within 1 s of GET_LINK_STATS (firmware older than 1.1?)");
        }
        if (msg.body.link_stats.request_seq == s) {
            *out = msg.body.link_stats;
            return;
        }
    }
}

static uint32_t bad_frames(const rfx_link_stats *s) {
    return s->cobs_errors + s->crc_errors + s->version_errors + s->short_errors + s->long_errors +
           s->payload_errors + s->type_errors;
}

/* Presses or releases the e-stop: a signal to firmware-sim, or a person at the rig. */
static void estop_action(long pid, const char *what) {
    if (pid > 0) {
        if (kill((pid_t)pid, SIGUSR1) != 0) {
            fail("e-stop", "cannot signal the simulator (--estop-pid)");
        }
    } else {
        fprintf(stderr, "link-check: %s the e-stop now (within 10 s)\n", what);
    }
}

/* Keeps commanding `duty` every period until a message of `type` arrives or `timeout_ms` passes. */
static int drive_until(uint8_t type, float duty, uint32_t period_us_, double timeout_ms) {
    double end = now_ms() + timeout_ms;
    while (now_ms() < end) {
        send_actuate(duty);
        if (wait_for(type, now_ms() + period_us_ / 1000.0)) {
            return 1;
        }
    }
    return 0;
}

static void check_estop(long pid, float duty) {
    double timeout = pid > 0 ? 2000.0 : 10000.0;
    send_type(RFX_MSG_ARM);
    if (!wait_for(RFX_MSG_ACK, now_ms() + 1000) || msg.body.ack.result != RFX_ACK_OK) {
        fail("e-stop", "ARM before pressing the e-stop was not acknowledged OK (is it pressed already?)");
    }
    estop_action(pid, "press");
    if (!drive_until(RFX_MSG_FAULT, duty, period_us, timeout)) {
        fail("e-stop", "no FAULT after the e-stop was pressed");
    }
    if (msg.body.fault.code != RFX_FAULT_ESTOP) {
        fail("e-stop", "the FAULT after pressing the e-stop is not ESTOP");
    }
    send_type(RFX_MSG_ARM);
    if (!wait_for(RFX_MSG_ACK, now_ms() + 1000) || msg.body.ack.result != RFX_ACK_REFUSED) {
        fail("e-stop", "ARM while the e-stop is held was not refused");
    }
    estop_action(pid, "release");
    {
        double end = now_ms() + timeout;
        int ok = 0;
        while (!ok && now_ms() < end) {
            send_type(RFX_MSG_ARM);
            ok = wait_for(RFX_MSG_ACK, now_ms() + 1000) && msg.body.ack.result == RFX_ACK_OK;
            if (!ok) {
                struct timespec ts = {0, 100000000};
                nanosleep(&ts, NULL);
            }
        }
        if (!ok) {
            fail("e-stop", "ARM was not accepted after the e-stop was released");
        }
    }
    send_type(RFX_MSG_DISARM);
    wait_for(RFX_MSG_ACK, now_ms() + 1000);
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static speed_t baud_constant(long baud) {
    switch (baud) {
    case 9600: return B9600;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 500000: return B500000;
    case 1000000: return B1000000;
    default: return 0;
    }
}

int main(int argc, char **argv) {
    struct termios t;
    long baud = 115200;
    float duty = 0.5f;
    long watchdog_request = 0;
    long estop_pid = 0;
    int estop_prompt = 0;
    const char *path = NULL;
    double rtt[200];
    int i;
    unsigned sensors_before;
    double t0;
    uint16_t watchdog_ms;
    double last_command = 0;
    double fault_after;
    uint16_t fault_detail;
    unsigned long long fault_at_us;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--baud") == 0 && i + 1 < argc) {
            baud = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--watchdog-ms") == 0 && i + 1 < argc) {
            char *end = NULL;
            watchdog_request = strtol(argv[++i], &end, 10);
            if (!end || *end != 0 || watchdog_request < 0 || watchdog_request > 65535) {
                fprintf(stderr, "link-check: --watchdog-ms \"%s\" is not a number of ms in 0…65535\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--estop-pid") == 0 && i + 1 < argc) {
            estop_pid = strtol(argv[++i], NULL, 10);
            if (estop_pid <= 0) {
                fprintf(stderr, "link-check: --estop-pid \"%s\" is not a process id\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--estop-prompt") == 0) {
            estop_prompt = 1;
        } else if (strcmp(argv[i], "--duty") == 0 && i + 1 < argc) {
            char *end = NULL;
            duty = strtof(argv[++i], &end);
            if (!end || *end != 0 || !(duty >= -1.0f && duty <= 1.0f)) {
                fprintf(stderr, "link-check: --duty \"%s\" is not a number in -1…1\n", argv[i]);
                return 2;
            }
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            path = NULL;
            break;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: link-check PATH [--baud 115200] [--duty 0.5] [--watchdog-ms 0] "
                        "[--estop-pid PID | --estop-prompt]\n");
        return 2;
    }
    if (!baud_constant(baud)) {
        fprintf(stderr, "link-check: unsupported baud rate %ld\n", baud);
        return 2;
    }
    fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        fprintf(stderr, "link-check: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        cfsetispeed(&t, baud_constant(baud));
        cfsetospeed(&t, baud_constant(baud));
        tcsetattr(fd, TCSANOW, &t);
        tcflush(fd, TCIOFLUSH);
    }
    rfx_decoder_init(&decoder);

    /* 1. Handshake (an Uno resets when the port opens: its bootloader needs up to ~2 s). */
    {
        static rfx_message hello;
        int attempt;
        int got = 0;
        static const uint8_t zero = 0;
        if (write(fd, &zero, 1) != 1) {
            fail("handshake", "cannot write to the link");
        }
        memset(&hello, 0, sizeof hello);
        hello.type = RFX_MSG_HELLO;
        hello.body.hello.protocol_version = 1;
        hello.body.hello.watchdog_ms = (uint16_t)watchdog_request;
        hello.body.hello.host_name.len = 10;
        memcpy(hello.body.hello.host_name.bytes, "link-check", 10);
        for (attempt = 0; attempt < 8 && !got; attempt++) {
            send_message(&hello);
            got = wait_for(RFX_MSG_IDENTIFY, now_ms() + 300);
        }
        if (!got) {
            fail("handshake", "no IDENTIFY after 8 HELLOs, 300 ms apart");
        }
        if (msg.body.identify.device_name.len != 12 || memcmp(msg.body.identify.device_name.bytes, "cartpole-rig", 12) != 0 ||
            msg.body.identify.sensor_count != 2 || msg.body.identify.actuator_count != 1) {
            fail("handshake", "IDENTIFY is not cartpole-rig with 2 sensors and 1 actuator");
        }
        watchdog_ms = msg.body.identify.watchdog_ms;
        period_us = msg.body.identify.period_us;
    }
    /* 2. Round trips. */
    for (i = 0; i < 200; i++) {
        uint16_t s = seq;
        double start = now_ms();
        send_type(RFX_MSG_DISARM);
        for (;;) {
            if (!wait_for(RFX_MSG_ACK, start + 1000)) {
                fail("round trips", "no ACK to DISARM within 1 s");
            }
            if (msg.body.ack.acked_seq == s) {
                break;
            }
        }
        rtt[i] = now_ms() - start;
    }
    qsort(rtt, 200, sizeof rtt[0], compare);
    /* 3. Arm and drive. */
    send_type(RFX_MSG_ARM);
    if (!wait_for(RFX_MSG_ACK, now_ms() + 1000) || msg.body.ack.result != RFX_ACK_OK ||
        !(msg.body.ack.status & RFX_STATUS_ARMED)) {
        fail("arm", "no ACK OK with ARMED set");
    }
    sensors_before = sensors_seen;
    recording = 1;
    t0 = now_ms();
    {
        double period_ms = period_us / 1000.0;
        int periods = (int)(1000.0 / period_ms);
        for (i = 0; i < periods; i++) {
            send_actuate(duty);
            last_command = now_ms();
            while (now_ms() < t0 + period_ms * (i + 1)) {
                if (wait_for(RFX_MSG_FAULT, t0 + period_ms * (i + 1))) {
                    fail("drive", "FAULT while commands were flowing every period");
                }
            }
        }
        /* Judged on the device's clock: an emulator on a busy machine may run slower than the wall clock. */
        (void)sensors_before;
        if (recorded < 10 || period_gaps != 0) {
            fprintf(stderr, "link-check: %u SENSORS, %u not one period (%u µs ± half) after the previous one\n", recorded,
                    period_gaps, period_us);
            fail("drive", "SENSORS did not arrive once per device period");
        }
    }
    recording = 0;
    if (!(last_status & RFX_STATUS_ARMED)) {
        fprintf(stderr, "link-check: %u SENSORS in 1 s, last status 0x%02x\n", sensors_seen - sensors_before, last_status);
        fail("drive", "SENSORS do not show ARMED while driving");
    }
    /* 4. Failsafe: stop sending. */
    /* Generous on the wall clock (an emulator may run slower than real time); exact on the device's below. */
    if (!wait_for(RFX_MSG_FAULT, last_command + 10.0 * (watchdog_ms + period_us / 1000.0) + 1000)) {
        fail("failsafe", "no FAULT after commands stopped");
    }
    fault_after = now_ms() - last_command;
    fault_detail = msg.body.fault.detail;
    fault_at_us = (unsigned long long)msg.body.fault.timestamp_us;
    if (msg.body.fault.code != RFX_FAULT_WATCHDOG) {
        fail("failsafe", "FAULT code is not WATCHDOG");
    }
    if (msg.body.fault.detail < watchdog_ms || msg.body.fault.detail > watchdog_ms + period_us / 1000u) {
        fprintf(stderr, "link-check: watchdog %u ms, FAULT detail %u ms\n", watchdog_ms, msg.body.fault.detail);
        fail("failsafe", "the watchdog fired outside [watchdog, watchdog + one period]");
    }
    if (!wait_for(RFX_MSG_SENSORS, now_ms() + 1000) || (msg.body.sensors.status & RFX_STATUS_ARMED) ||
        !(msg.body.sensors.status & RFX_STATUS_FAULT)) {
        fail("failsafe", "SENSORS after the FAULT do not show FAULT set and ARMED clear");
    }
    /* 5. Bad frames are counted by kind, and the link still works. */
    {
        static const uint8_t garbage[] = {0x13, 0x37, 0xFF, 0x00, 0x05, 0x01, 0x02, 0x00, 0x09, 0x01, 0x00};
        static rfx_message reverse;
        uint8_t wire[RFX_MAX_WIRE_FRAME];
        size_t len = 0;
        rfx_link_stats before, after;
        char why[256];
        ask_link_stats("bad frames", &before);
        if (write(fd, garbage, sizeof garbage) != (ssize_t)sizeof garbage) {
            fail("bad frames", "cannot write to the link");
        }
        /* The first half of an ACTUATE(-1), then a delimiter: it must not move the motor. */
        memset(&reverse, 0, sizeof reverse);
        reverse.type = RFX_MSG_ACTUATE;
        reverse.seq = 0xBEEF;
        reverse.body.actuate.count = 1;
        reverse.body.actuate.values[0] = -1.0f;
        if (rfx_message_encode(&reverse, wire, sizeof wire, &len) != RFX_OK) {
            fail("bad frames", "cannot encode a message");
        }
        wire[len / 2] = 0;
        if (write(fd, wire, len / 2 + 1) != (ssize_t)(len / 2 + 1)) {
            fail("bad frames", "cannot write to the link");
        }
        send_type(RFX_MSG_ARM);
        if (!wait_for(RFX_MSG_ACK, now_ms() + 1000) || msg.body.ack.result != RFX_ACK_OK) {
            fail("bad frames", "ARM after garbage was not acknowledged");
        }
        send_type(RFX_MSG_DISARM);
        wait_for(RFX_MSG_ACK, now_ms() + 1000);
        ask_link_stats("bad frames", &after);
        snprintf(why, sizeof why,
                 "device counted %u bad frames (4 sent), %u valid (3 sent: ARM, DISARM, GET_LINK_STATS), "
                 "%u sequence gaps, %u bytes lost",
                 bad_frames(&after) - bad_frames(&before), after.frames - before.frames,
                 after.sequence_gaps - before.sequence_gaps, after.rx_overruns - before.rx_overruns);
        if (bad_frames(&after) - bad_frames(&before) != 4 || after.frames - before.frames != 3 ||
            after.sequence_gaps != before.sequence_gaps || after.rx_overruns != before.rx_overruns) {
            fail("bad frames", why);
        }
        if (after.cobs_errors - before.cobs_errors < 3) {
            fail("bad frames", "the three runs of garbage were not counted as COBS errors");
        }
        printf("link-check: link counters: %s; since reset: %u frames, COBS %u, CRC %u, short %u, long %u, "
               "payload %u, type %u, version %u, gaps %u, bytes lost %u, frames not sent %u\n",
               why, after.frames, after.cobs_errors, after.crc_errors, after.short_errors, after.long_errors,
               after.payload_errors, after.type_errors, after.version_errors, after.sequence_gaps, after.rx_overruns,
               after.tx_dropped);
    }
    /* 6. E-stop. */
    if (estop_pid > 0 || estop_prompt) {
        check_estop(estop_pid, duty);
        printf("link-check: e-stop: FAULT(ESTOP) while driven, ARM refused while held, accepted after release\n");
    }
    if (recorded >= 2 && last_sensors.timestamp_us > first_sensors.timestamp_us && last_sensors.count >= 2) {
        double dt = (double)(last_sensors.timestamp_us - first_sensors.timestamp_us) / 1e6;
        printf("link-check: sensors 0 and 1 moved %+.0f and %+.0f over %.3f s of device time: rates=%.1f,%.1f counts/s\n",
               (double)(last_sensors.values[0] - first_sensors.values[0]),
               (double)(last_sensors.values[1] - first_sensors.values[1]), dt,
               (last_sensors.values[0] - first_sensors.values[0]) / dt,
               (last_sensors.values[1] - first_sensors.values[1]) / dt);
    }
    printf("link-check: ok; round trip p50 %.2f ms p99 %.2f ms (200 DISARM/ACK); watchdog %u ms fired %.1f ms "
           "after the last command (FAULT detail %u ms, device time fault_at_us=%llu); %u SENSORS received\n",
           rtt[99], rtt[197], watchdog_ms, fault_after, fault_detail, fault_at_us, sensors_seen);
    close(fd);
    return 0;
}
