# Firmware, its host tests and its fuzzers. Included from the top-level Makefile:
#
#   include firmware-bridge/firmware.mk
#
#   make firmware        AVR image: firmware-bridge/build/firmware.elf and .hex, with a size report
#   make test-firmware   host tests (ASan + UBSan) and a short fuzz run of each fuzzer (a few seconds)
#   make bench-fuzz      a longer fuzz run, reporting executions and crashes
#   make firmware-sim    the simavr harness (firmware on an emulated ATmega328P, UART0 on a pty) and link-check
#   make test-firmware-sim  firmware in the loop: the .elf under simavr, driven over its pty (about 5 s)
#
# Needs gcc-avr and avr-libc (firmware), cc (host tests), a clang with libFuzzer (fuzzers; Swift's
# toolchain clang has it), and libsimavr-dev, libsimavrparts1, libelf-dev, pkg-config (firmware-sim). Paths are relative to this file, so the fragment works from any include site.

FW_DIR      := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
FW_BUILD    := $(FW_DIR)/build
FW_SRC      := $(FW_DIR)/firmware
FW_PROTO    := $(FW_DIR)/protocol

AVR_CC      ?= avr-gcc
AVR_OBJCOPY ?= avr-objcopy
AVR_SIZE    ?= avr-size
FW_MCU      ?= atmega328p
FW_F_CPU    ?= 16000000UL
FW_BAUD     ?= 115200UL
FW_CFLAGS   := -mmcu=$(FW_MCU) -DF_CPU=$(FW_F_CPU) -DBOARD_BAUD=$(FW_BAUD) -std=gnu99 -Os -g \
               -Wall -Wextra -Werror -ffunction-sections -fdata-sections \
               -I$(FW_SRC) -I$(FW_PROTO)/include
FW_LDFLAGS  := -mmcu=$(FW_MCU) -Wl,--gc-sections

# The application and the protocol are portable; hal_avr.c and main_avr.c are the only AVR files.
FW_APP_SOURCES := $(FW_SRC)/app.c $(FW_SRC)/robot_cartpole_rig.c $(wildcard $(FW_PROTO)/*.c)
FW_SOURCES  := $(FW_APP_SOURCES) $(FW_SRC)/hal_avr.c $(FW_SRC)/main_avr.c
FW_HEADERS  := $(wildcard $(FW_SRC)/*.h) $(FW_PROTO)/include/reflex_protocol.h

HOST_CC     ?= cc
HOST_CFLAGS := -std=c99 -Wall -Wextra -Werror -pedantic -g -O1 -fsanitize=address,undefined \
               -fno-sanitize-recover=all -fno-omit-frame-pointer -I$(FW_SRC) -I$(FW_PROTO)/include
FW_HOST_TESTS := $(FW_DIR)/host-tests

# libFuzzer ships with clang's compiler-rt: Swift's toolchain clang has it; Debian's clang needs libclang-rt-dev.
FUZZ_CC     ?= clang
FUZZ_CFLAGS := -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fuse-ld=lld \
               -I$(FW_SRC) -I$(FW_PROTO)/include -I$(FW_HOST_TESTS)
FW_FUZZ     := $(FW_DIR)/fuzz
FW_FUZZERS  := decoder handler
FUZZ_SHORT_SECONDS ?= 3
FUZZ_LONG_SECONDS  ?= 60

.PHONY: firmware test-firmware test-firmware-host test-firmware-fuzz bench-fuzz firmware-sim test-firmware-sim

firmware: $(FW_BUILD)/firmware.hex
	@$(FW_DIR)/firmware/size-report.sh $(AVR_SIZE) $(FW_BUILD)/firmware.elf

$(FW_BUILD)/firmware.elf: $(FW_SOURCES) $(FW_HEADERS) $(FW_DIR)/firmware.mk
	@mkdir -p $(FW_BUILD)
	$(AVR_CC) $(FW_CFLAGS) $(FW_LDFLAGS) $(FW_SOURCES) -o $@

$(FW_BUILD)/firmware.hex: $(FW_BUILD)/firmware.elf
	$(AVR_OBJCOPY) -O ihex -R .eeprom $< $@

$(FW_BUILD)/host-tests: $(wildcard $(FW_HOST_TESTS)/*.c $(FW_HOST_TESTS)/*.h) $(FW_APP_SOURCES) $(FW_HEADERS)
	@mkdir -p $(FW_BUILD)
	$(HOST_CC) $(HOST_CFLAGS) $(wildcard $(FW_HOST_TESTS)/*.c) $(FW_APP_SOURCES) -lm -o $@

test-firmware-host: $(FW_BUILD)/host-tests
	$(FW_BUILD)/host-tests $(FW_PROTO)/tests/golden_frames.txt

$(FW_BUILD)/fuzz-decoder: $(FW_FUZZ)/fuzz_decoder.c $(wildcard $(FW_PROTO)/*.c) $(FW_HEADERS)
	@mkdir -p $(FW_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FW_FUZZ)/fuzz_decoder.c $(wildcard $(FW_PROTO)/*.c) -o $@

$(FW_BUILD)/fuzz-handler: $(FW_FUZZ)/fuzz_handler.c $(FW_HOST_TESTS)/fake_hal.c $(FW_APP_SOURCES) $(FW_HEADERS)
	@mkdir -p $(FW_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FW_FUZZ)/fuzz_handler.c $(FW_HOST_TESTS)/fake_hal.c $(FW_APP_SOURCES) -o $@

# Each fuzzer starts from its committed seed corpus; new inputs go to a scratch copy, never into git.
test-firmware-fuzz: $(addprefix $(FW_BUILD)/fuzz-,$(FW_FUZZERS))
	@for f in $(FW_FUZZERS); do \
	  $(FW_FUZZ)/run-fuzzer.sh $(FW_BUILD)/fuzz-$$f $(FW_FUZZ)/corpus/$$f $(FW_BUILD)/corpus-$$f $(FUZZ_SHORT_SECONDS) || exit 1; \
	done

test-firmware: test-firmware-host test-firmware-fuzz

bench-fuzz: $(addprefix $(FW_BUILD)/fuzz-,$(FW_FUZZERS))
	@for f in $(FW_FUZZERS); do \
	  $(FW_FUZZ)/run-fuzzer.sh $(FW_BUILD)/fuzz-$$f $(FW_FUZZ)/corpus/$$f $(FW_BUILD)/corpus-$$f $(FUZZ_LONG_SECONDS) || exit 1; \
	done

FW_SIMAVR   := $(FW_DIR)/simavr

$(FW_BUILD)/firmware-sim: $(FW_SIMAVR)/firmware_sim.c $(FW_SIMAVR)/mcu_sim.c $(FW_SIMAVR)/mcu_sim.h
	@mkdir -p $(FW_BUILD)
	$(HOST_CC) -std=gnu99 -O2 -Wall -Wextra -Werror $$(pkg-config --cflags simavr) $(FW_SIMAVR)/firmware_sim.c \
	    $(FW_SIMAVR)/mcu_sim.c $$(pkg-config --libs simavr) -lutil -o $@

$(FW_BUILD)/link-check: $(FW_SIMAVR)/link_check.c $(wildcard $(FW_PROTO)/*.c) $(FW_PROTO)/include/reflex_protocol.h
	@mkdir -p $(FW_BUILD)
	$(HOST_CC) -std=gnu99 -O2 -Wall -Wextra -Werror -I$(FW_PROTO)/include $< $(wildcard $(FW_PROTO)/*.c) -o $@

firmware-sim: $(FW_BUILD)/firmware-sim $(FW_BUILD)/link-check

test-firmware-sim: firmware $(FW_BUILD)/firmware-sim $(FW_BUILD)/link-check
	$(FW_SIMAVR)/smoke.sh $(FW_BUILD)/firmware-sim $(FW_BUILD)/link-check $(FW_BUILD)/firmware.elf
