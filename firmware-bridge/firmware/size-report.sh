#!/bin/sh
# Prints flash and RAM used by a firmware .elf against the ATmega328P's 32 KB flash and 2 KB RAM.
# Flash = .text + .data (initial values are stored in flash); RAM = .data + .bss + .noinit (the stack
# takes what is left). Usage: size-report.sh AVR_SIZE FIRMWARE.elf
set -eu
size_tool=$1
elf=$2
"$size_tool" -A "$elf" | awk -v elf="$elf" '
  $1 == ".text"   { text = $2 }
  $1 == ".data"   { data = $2 }
  $1 == ".bss"    { bss = $2 }
  $1 == ".noinit" { noinit = $2 }
  END {
    flash = text + data; ram = data + bss + noinit
    printf "%s: flash %d of 32768 bytes (%.1f%%), RAM %d of 2048 bytes (%.1f%%, %d left for the stack)\n",
      elf, flash, 100 * flash / 32768, ram, 100 * ram / 2048, 2048 - ram
    if (flash > 32768 || ram > 2048) { print "firmware does not fit the ATmega328P" > "/dev/stderr"; exit 1 }
  }'
