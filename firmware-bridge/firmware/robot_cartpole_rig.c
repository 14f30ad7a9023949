/*
 * cartpole-rig: a cart on a belt driven by a DC motor through an H-bridge, with quadrature encoders on the
 * cart's motor shaft and on the pole's hinge (simulators/cartpole-rig.yaml describes the same channels).
 *
 * The firmware reports raw encoder counts and takes a signed PWM duty: converting counts to metres and
 * radians is the policy's business (the robot description carries the scales), so the firmware never
 * needs recalibrating when a pulley or an encoder changes.
 */
#include "robot.h"

#include "hal.h"

#include <math.h>

static const robot_sensor cartpole_rig_sensors[] = {
    /* Cart position: motor-shaft encoder, counts since power-up (+ = cart to the right). */
    {"cart_encoder", "counts", -INFINITY, INFINITY, ROBOT_FROM_ENCODER, 0, 1.0f},
    /* Pole angle: hinge encoder, counts since power-up (0 = the pole's position at power-up). */
    {"pole_encoder", "counts", -INFINITY, INFINITY, ROBOT_FROM_ENCODER, 1, 1.0f},
};

static const robot_actuator cartpole_rig_actuators[] = {
    /* Signed PWM duty of the motor: +1 full forward (cart to the right), -1 full reverse, 0 coast. */
    {"motor_duty", "duty", -1.0f, 1.0f, 0.0f, ROBOT_TO_MOTOR, 0, (float)HAL_DUTY_MAX},
};

const robot robot_cartpole_rig = {
    "cartpole-rig",
    1, 0, 0,
    20000u, /* 50 Hz, the control period of the simulated rig */
    0u,     /* default watchdog: 2 × 20 ms + 10 ms = 50 ms */
    (uint8_t)(sizeof cartpole_rig_sensors / sizeof cartpole_rig_sensors[0]),
    cartpole_rig_sensors,
    (uint8_t)(sizeof cartpole_rig_actuators / sizeof cartpole_rig_actuators[0]),
    cartpole_rig_actuators,
};
