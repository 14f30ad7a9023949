/*
 * A robot as the firmware sees it: its name, control period and channel table. Each channel names the HAL
 * input or output it comes from or goes to, and the scale between HAL units and the channel's unit.
 * The table is what IDENTIFY announces; SENSORS and ACTUATE carry values in table order.
 */
#ifndef REFLEX_ROBOT_H
#define REFLEX_ROBOT_H

#include <stdint.h>

/** Where a sensor value comes from. */
typedef enum {
    ROBOT_FROM_ENCODER = 1, /* hal_encoder.read(index): counts */
    ROBOT_FROM_ADC = 2      /* hal_adc.read(index): 0…1023 */
} robot_source;

/** Where an actuator value goes. */
typedef enum {
    ROBOT_TO_MOTOR = 1 /* hal_motor.set(index, value × scale), scale in HAL duty units per channel unit */
} robot_sink;

typedef struct {
    const char *name;
    const char *unit;
    float min;
    float max;
    uint8_t source; /* robot_source */
    uint8_t index;
    /** Channel units per HAL unit (1 for raw counts). */
    float scale;
} robot_sensor;

typedef struct {
    const char *name;
    const char *unit;
    /** Finite values outside [min, max] are clamped; NaN and infinities are a fault (PROTOCOL.md §6.3). */
    float min;
    float max;
    /** Applied when disarmed, on a fault, on e-stop and at reset. */
    float safe;
    uint8_t sink; /* robot_sink */
    uint8_t index;
    /** HAL units per channel unit (HAL_DUTY_MAX for a duty in -1…1). */
    float scale;
} robot_actuator;

/** Most channels the firmware handles (well under the protocol's 16, to save RAM). */
#define ROBOT_MAX_SENSORS 8
#define ROBOT_MAX_ACTUATORS 4

typedef struct {
    const char *name;
    uint8_t fw_major, fw_minor, fw_patch;
    /** Control period: one sensor sample and one SENSORS frame per period. */
    uint32_t period_us;
    /** Watchdog when HELLO asks for the default; 0: 2 × period + RFX_WATCHDOG_MARGIN_MS. */
    uint16_t default_watchdog_ms;
    uint8_t sensor_count;
    const robot_sensor *sensors;
    uint8_t actuator_count;
    const robot_actuator *actuators;
} robot;

/** The robot this firmware image is built for (robot_cartpole_rig.c). */
extern const robot robot_cartpole_rig;

#endif /* REFLEX_ROBOT_H */
