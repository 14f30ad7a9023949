#!/usr/bin/env python3
"""Records CartPole-v1 reference trajectories from Gymnasium for Reflex's parity test.

Usage: pip install gymnasium && python3 record_cartpole.py > cartpole_trajectories.csv

Each trajectory starts from a chosen state (set on env.unwrapped.state after reset) or from
reset(seed=...), then follows an action sequence until terminated or truncated (TimeLimit, 500 steps).
One CSV row per step; row step=0 is the start state (action, reward and flags empty there).
State columns are Gymnasium's float64 state (env.unwrapped.state) printed with repr (shortest
round-trip), obs_* columns the float32 observation widened to float64 exactly.
"""
import sys

import gymnasium
import numpy as np

MAX_STEPS = 500


def constant(a):
    return lambda step, state: a


def alternating(step, state):
    return step % 2


def seeded_random(seed):
    rng = np.random.default_rng(seed)
    return lambda step, state: int(rng.integers(0, 2))


def balance(step, state):
    # A hand-tuned linear state-feedback law that keeps the pole up and the cart near the middle;
    # only the resulting action sequence matters (the Swift test replays actions, not the law).
    x, x_dot, theta, theta_dot = state
    return 1 if 0.1 * x + 0.5 * x_dot + 10.0 * theta + 2.0 * theta_dot > 0 else 0


# name, start (a 4-tuple, or an int seed for reset(seed=...)), policy
TRAJECTORIES = [
    ("zero_left", (0.0, 0.0, 0.0, 0.0), constant(0)),
    ("zero_right", (0.0, 0.0, 0.0, 0.0), constant(1)),
    ("zero_alternating", (0.0, 0.0, 0.0, 0.0), alternating),
    ("reset1_random1", 1, seeded_random(1)),
    ("reset2_left", 2, constant(0)),
    ("small_alternating", (0.03, -0.02, 0.04, -0.01), alternating),
    ("near_right_edge_right", (2.3, 0.5, 0.1, 0.0), constant(1)),
    ("near_left_edge_random7", (-2.35, -0.3, -0.05, 0.2), seeded_random(7)),
    ("near_angle_limit_left", (0.0, 0.0, 0.2094, 0.0), constant(0)),
    ("near_angle_limit_right", (0.0, 0.0, -0.209, -0.1), constant(1)),
    ("fast_spin_random3", (0.5, 2.0, -0.1, -2.0), seeded_random(3)),
    ("balance_small", (0.01, -0.02, 0.03, 0.04), balance),
    ("balance_reset42", 42, balance),
    ("random11", (0.04, 0.04, -0.04, 0.04), seeded_random(11)),
]


def main():
    out = sys.stdout
    out.write(f"# CartPole-v1 reference trajectories, gymnasium {gymnasium.__version__}, numpy {np.__version__}\n")
    out.write("# recorded by record_cartpole.py; row step=0 is the start state\n")
    out.write("trajectory,step,action,x,x_dot,theta,theta_dot,obs_x,obs_x_dot,obs_theta,obs_theta_dot,reward,terminated,truncated\n")
    env = gymnasium.make("CartPole-v1")
    for name, start, policy in TRAJECTORIES:
        if isinstance(start, int):
            obs, _ = env.reset(seed=start)
        else:
            obs, _ = env.reset(seed=0)
            env.unwrapped.state = np.array(start, dtype=np.float64)
            obs = np.array(env.unwrapped.state, dtype=np.float32)
        state = np.array(env.unwrapped.state, dtype=np.float64)
        write_row(out, name, 0, "", state, obs, "", "", "")
        for step in range(1, MAX_STEPS + 1):
            action = policy(step - 1, state)
            obs, reward, terminated, truncated, _ = env.step(action)
            state = np.array(env.unwrapped.state, dtype=np.float64)
            write_row(out, name, step, action, state, obs, reward, int(terminated), int(truncated))
            if terminated or truncated:
                print(f"{name}: {step} steps, terminated={terminated} truncated={truncated}", file=sys.stderr)
                break
    env.close()


def write_row(out, name, step, action, state, obs, reward, terminated, truncated):
    values = [repr(float(v)) for v in state] + [repr(float(v)) for v in np.asarray(obs, dtype=np.float32)]
    reward_text = "" if reward == "" else repr(float(reward))
    out.write(",".join([name, str(step), str(action)] + values + [reward_text, str(terminated), str(truncated)]) + "\n")


if __name__ == "__main__":
    main()
