#!/bin/sh
# Firmware in the loop, smoke test: the real firmware image on an emulated ATmega328P, driven over its
# UART pty by link-check (handshake, round trips, arm and drive, watchdog failsafe, bad frames). Then the
# emulated motor pins must show the commanded duty and the return to 0 at the FAULT's device time, and the
# encoder counts reported in SENSORS must follow the quadrature signals the emulator puts on the pins.
# link-check also presses the e-stop (SIGUSR1 to firmware-sim) while driving, and releases it.
# Before all that, the firmware is hung on purpose (CPU parked in _exit, interrupts off) and its hardware
# watchdog must reset it within 150 ms; the checks then run on the firmware that came back.
# Usage: smoke.sh FIRMWARE_SIM LINK_CHECK FIRMWARE.elf
set -eu
sim=$1
check=$2
elf=$3
dir=$(mktemp -d "${TMPDIR:-/tmp}/reflex-firmware-sim.XXXXXX")
link="$dir/uart0"
pins="$dir/pins.log"
# Cart encoder forward at 1000 counts/s, pole encoder backward at 250 counts/s (emulated time).
cart_rate=1000
pole_rate=-250
exit_pc=$(avr-nm "$elf" | awk '$3 == "_exit" { print "0x" $1 }')
if [ -z "$exit_pc" ]; then
    echo "smoke: no _exit symbol in $elf (avr-nm missing?)" >&2
    exit 1
fi
"$sim" "$elf" --link "$link" --encoder-rates "$cart_rate,$pole_rate" --hang-at-ms 200 --hang-pc "$exit_pc" \
    >"$pins" 2>"$dir/sim.err" &
pid=$!
cleanup() {
    if kill -0 "$pid" 2>/dev/null; then
        kill -INT "$pid" 2>/dev/null || true
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    grep -h "stack high-water" "$dir/sim.err" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM
i=0
while [ ! -e "$link" ]; do
    if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 50 ]; then
        echo "smoke: firmware-sim did not publish $link" >&2
        cat "$dir/sim.err" >&2
        exit 1
    fi
    sleep 0.1
    i=$((i + 1))
done
i=0
while ! grep -q "reset by its watchdog" "$dir/sim.err"; do
    if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 50 ]; then
        echo "smoke: the hung firmware was not reset by its watchdog" >&2
        cat "$dir/sim.err" >&2
        exit 1
    fi
    sleep 0.1
    i=$((i + 1))
done
reset_us=$(sed -n 's/.*reset by its watchdog \([0-9]*\) µs.*/\1/p' "$dir/sim.err")
if [ "$reset_us" -gt 150000 ]; then
    echo "smoke: the hardware watchdog reset the hung firmware after $reset_us µs (more than 150 ms)" >&2
    exit 1
fi
echo "smoke: hung firmware reset by the AVR watchdog after $reset_us µs (emulated)"
# A 250 ms command watchdog: this shared machine can deschedule link-check for longer than the default
# 30 ms (the firmware's watchdog timing itself is checked to the step in the host tests).
out=$(timeout 60 "$check" "$link" --watchdog-ms 250 --estop-pid "$pid") || { echo "smoke: link-check failed" >&2; cat "$dir/sim.err" >&2; exit 1; }
echo "$out"
fault_us=$(echo "$out" | sed -n 's/.*fault_at_us=\([0-9]*\).*/\1/p')
# The pins: +0.5 while driven, then 0 at the FAULT's timestamp. The device clock starts after the C runtime
# and app_init (about 1 ms of emulated time after the reset), so emulated time leads device time by that much.
grep -q '^motor .*duty=+0.5000$' "$pins" || { echo "smoke: the motor pins never showed duty 0.5" >&2; cat "$pins" >&2; exit 1; }
zero_us=$(awk '/^motor / && /duty=\+0.5000$/ { driven = 1 } driven && /^motor / && /duty=\+0.0000$/ { sub("t_us=", "", $2); print $2; exit }' "$pins")
if [ -z "$zero_us" ]; then
    echo "smoke: the motor pins never returned to 0 after being driven" >&2
    cat "$pins" >&2
    exit 1
fi
# The device clock restarted at the watchdog reset.
reset_at_us=$(sed -n 's/.*reset_at_us=\([0-9]*\).*/\1/p' "$dir/sim.err")
late=$((zero_us - reset_at_us - fault_us))
if [ $late -gt 2000 ] || [ $late -lt 0 ]; then
    echo "smoke: motor went to 0 at ${zero_us} µs, FAULT says ${fault_us} µs (emulated time)" >&2
    exit 1
fi
rates=$(echo "$out" | sed -n 's/.*rates=\([-0-9.]*,[-0-9.]*\) counts.*/\1/p')
if ! echo "$rates" | awk -F, -v c="$cart_rate" -v p="$pole_rate" '
    function off(x, want) { return (x - want) / want }
    { ok = off($1, c) < 0.02 && off($1, c) > -0.02 && off($2, p) < 0.02 && off($2, p) > -0.02; exit !ok }'; then
    echo "smoke: encoder rates in SENSORS were \"$rates\", the pins turned at $cart_rate,$pole_rate counts/s" >&2
    exit 1
fi
echo "smoke: motor pins at 0 ${late} µs (emulated) after the FAULT's device timestamp, boot offset included; firmware in the loop OK"
