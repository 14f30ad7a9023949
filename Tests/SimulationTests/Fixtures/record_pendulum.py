#!/usr/bin/env python3
"""Records Pendulum-v1 reference trajectories from Gymnasium for Reflex's parity test.

Usage: pip install gymnasium && python3 record_pendulum.py > pendulum_trajectories.csv

Each trajectory starts from a chosen state (set on env.unwrapped.state after reset) or from
reset(seed=...), then follows a torque sequence until truncated (TimeLimit, 200 steps; Pendulum never
terminates). One CSV row per step; row step=0 is the start state (action, reward and flags empty there).
State columns are Gymnasium's float64 state (env.unwrapped.state) printed with repr (shortest
round-trip); the action is the float32 torque passed to step (widened exactly); obs_* columns the
float32 observation widened to float64 exactly; the reward is float64.
"""
import math
import sys

import gymnasium
import numpy as np

MAX_STEPS = 200


def constant(u):
    return lambda step, state: u


def seeded_random(seed, scale=2.0):
    rng = np.random.default_rng(seed)
    return lambda step, state: float(rng.uniform(-scale, scale))


def beyond_limits(step, state):
    # Torques outside ±2 exercise the clipping; a NaN-free sequence.
    return [3.5, -7.0, 2.0001, -2.5][step % 4]


def swing_up(step, state):
    # Energy pumping then a PD law near the top: covers wrap-around of θ and the speed limit.
    th, thdot = state
    wrapped = ((th + math.pi) % (2 * math.pi)) - math.pi
    if abs(wrapped) < 0.6:
        return float(np.clip(-10.0 * wrapped - 2.0 * thdot, -2.0, 2.0))
    return 2.0 if thdot >= 0 else -2.0


# name, start (a 2-tuple θ, θ̇, or an int seed for reset(seed=...)), policy
TRAJECTORIES = [
    ("down_zero", (math.pi, 0.0), constant(0.0)),
    ("up_zero", (0.0, 0.0), constant(0.0)),
    ("near_up_push", (0.1, -0.2), constant(1.0)),
    ("reset1_random1", 1, seeded_random(1)),
    ("reset2_max", 2, constant(2.0)),
    ("reset3_min", 3, constant(-2.0)),
    ("clip_torque", (0.5, 0.5), beyond_limits),
    ("fast_spin", (-1.0, 7.9), constant(2.0)),
    ("wound_up", (13.0, -3.0), seeded_random(5)),
    ("swing_up_down", (math.pi - 0.01, 0.0), swing_up),
    ("swing_up_reset42", 42, swing_up),
    ("random_wide7", (2.0, -1.0), seeded_random(7, 4.0)),
]


def main():
    out = sys.stdout
    out.write(f"# Pendulum-v1 reference trajectories, gymnasium {gymnasium.__version__}, numpy {np.__version__}\n")
    out.write("# recorded by record_pendulum.py; row step=0 is the start state\n")
    out.write("trajectory,step,action,theta,theta_dot,obs_cos,obs_sin,obs_theta_dot,reward,terminated,truncated\n")
    env = gymnasium.make("Pendulum-v1")
    for name, start, policy in TRAJECTORIES:
        if isinstance(start, int):
            obs, _ = env.reset(seed=start)
        else:
            env.reset(seed=0)
            env.unwrapped.state = np.array(start, dtype=np.float64)
            obs = env.unwrapped._get_obs()
        state = np.array(env.unwrapped.state, dtype=np.float64)
        write_row(out, name, 0, "", state, obs, "", "", "")
        for step in range(1, MAX_STEPS + 1):
            action = np.array([policy(step - 1, state)], dtype=np.float32)
            obs, reward, terminated, truncated, _ = env.step(action)
            state = np.array(env.unwrapped.state, dtype=np.float64)
            write_row(out, name, step, repr(float(action[0])), state, obs, reward, int(terminated), int(truncated))
            if terminated or truncated:
                print(f"{name}: {step} steps, terminated={terminated} truncated={truncated}", file=sys.stderr)
                break
    env.close()


def write_row(out, name, step, action, state, obs, reward, terminated, truncated):
    values = [repr(float(v)) for v in state] + [repr(float(v)) for v in np.asarray(obs, dtype=np.float32)]
    reward_text = "" if reward == "" else repr(float(reward))
    out.write(",".join([name, str(step), action] + values + [reward_text, str(terminated), str(truncated)]) + "\n")


if __name__ == "__main__":
    main()
