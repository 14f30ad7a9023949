/*
 * cartpole-rig: a cart on a belt driven by a DC motor through an H-bridge, with quadrature encoders on the
 * motor shaft and on the pole's pivot. Channels, ranges and period are those of simulators/cartpole-rig.yaml,
 * which the policy was trained on: keep the two in step (the host refuses a channel mismatch).
 *
 * The firmware reports raw encoder counts and takes a signed PWM duty: converting counts to metres and
 * radians is the robot description's business (its `raw.scale`), so the firmware never needs changing
 * when a pulley or an encoder does. Counts are relative to power-up: reset the board with the cart at the
 * centre of the rail and the pole held upright.
 */
#include "robot.h"

#include "hal.h"

static const robot_sensor cartpole_rig_sensors[] = {
    /* Cart position: motor-shaft encoder, 2048 counts per revolution; ±25000 counts is ±0.49 m of belt. */
    {"cart_encoder", "counts", -25000.0f, 25000.0f, ROBOT_FROM_ENCODER, 0, 1.0f},
    /* Pole angle: pivot encoder, 2048 counts per revolution; ±1024 counts is ±π from upright. */
    {"pole_encoder", "counts", -1024.0f, 1024.0f, ROBOT_FROM_ENCODER, 1, 1.0f},
};

static const robot_actuator cartpole_rig_actuators[] = {
    /* Signed PWM duty of the H-bridge: +1 full forward, -1 full reverse, 0 off (the safe value). */
    {"motor_duty", "1", -1.0f, 1.0f, 0.0f, ROBOT_TO_MOTOR, 0, (float)HAL_DUTY_MAX},
};

const robot robot_cartpole_rig = {
    "cartpole-rig",
    1, 1, 0, /* 1.1: answers GET_LINK_STATS */
    10000u, /* 100 Hz: control_period 0.01 s */
    0u,     /* default watchdog: 2 × 10 ms + 10 ms = 30 ms */
    (uint8_t)(sizeof cartpole_rig_sensors / sizeof cartpole_rig_sensors[0]),
    cartpole_rig_sensors,
    (uint8_t)(sizeof cartpole_rig_actuators / sizeof cartpole_rig_actuators[0]),
    cartpole_rig_actuators,
};
