#!/usr/bin/env python3
"""Runs the tasks of `reflex bench train` with Stable-Baselines3 (rl-zoo hyperparameters) in the same
session as Reflex, and prints the ratio Reflex / SB3 for each figure. Not part of CI (`make bench-peers`).

Each task stops at the same threshold Reflex uses, checked the same way: the deterministic policy's mean
return over fresh evaluation episodes (CartPole-v1: ≥ 475 over 100; Pendulum-v1: ≥ −200 over 10), after
every rollout (PPO) or every 500 steps (SAC). Wall seconds include the evaluations, as Reflex's do.

Usage: python bench_peers.py --reflex .build/release/reflex [--seeds 1 2 3]
"""
import argparse
import json
import statistics
import subprocess
import sys
import time

import gymnasium
import numpy as np
import torch
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env


def linear(start):
    return lambda progress: progress * start


# rl-baselines3-zoo hyperparameters (hyperparams/ppo.yml, sac.yml) for these tasks.
TASKS = {
    "cartpole_ppo": dict(
        env="CartPole-v1", algo=PPO, n_envs=8, budget=100_000, target=475.0, episodes=100, every=None,
        kwargs=dict(n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98, n_epochs=20, ent_coef=0.0,
                    learning_rate=linear(1e-3), clip_range=linear(0.2))),
    "pendulum_ppo": dict(
        env="Pendulum-v1", algo=PPO, n_envs=4, budget=100_000, target=-200.0, episodes=10, every=None,
        kwargs=dict(n_steps=1024, gae_lambda=0.95, gamma=0.9, n_epochs=10, ent_coef=0.0, learning_rate=1e-3,
                    clip_range=0.2, use_sde=True, sde_sample_freq=4)),
    "pendulum_sac": dict(
        env="Pendulum-v1", algo=SAC, n_envs=1, budget=20_000, target=-200.0, episodes=10, every=500,
        kwargs=dict(learning_rate=1e-3)),
}


class StopWhenSolved(BaseCallback):
    """Evaluates the deterministic policy after each rollout (PPO) or every `every` steps (SAC) and stops
    training at the target."""

    def __init__(self, env_id, target, episodes, every, seed):
        super().__init__()
        self.eval_env = gymnasium.vector.SyncVectorEnv([lambda: gymnasium.make(env_id)] * episodes)
        self.target, self.episodes, self.every, self.seed = target, episodes, every, seed
        self.next_eval = every or 0
        self.solved, self.last_mean = False, float("nan")

    def evaluate(self):
        obs, _ = self.eval_env.reset(seed=self.seed + self.num_timesteps)
        returns = np.zeros(self.episodes)
        done = np.zeros(self.episodes, dtype=bool)
        while not done.all():
            actions, _ = self.model.predict(obs, deterministic=True)
            obs, rewards, terminated, truncated, _ = self.eval_env.step(actions)
            returns += np.where(done, 0, rewards)
            done |= terminated | truncated
        self.last_mean = float(returns.mean())
        self.solved = self.last_mean >= self.target

    def _on_rollout_end(self):
        if self.every is None:
            self.evaluate()

    def _on_step(self):
        if self.every is not None and self.num_timesteps >= self.next_eval:
            self.next_eval += self.every
            self.evaluate()
        return not self.solved


def run_sb3(name, seed):
    task = TASKS[name]
    torch.manual_seed(seed)
    env = make_vec_env(task["env"], n_envs=task["n_envs"], seed=seed)
    model = task["algo"]("MlpPolicy", env, seed=seed, verbose=0, device="cpu", **task["kwargs"])
    callback = StopWhenSolved(task["env"], task["target"], task["episodes"], task["every"], seed)
    start = time.perf_counter()
    model.learn(total_timesteps=task["budget"], callback=callback)
    seconds = time.perf_counter() - start
    return dict(wall_seconds=seconds, env_steps=int(model.num_timesteps), mean_return=callback.last_mean, solved=callback.solved)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reflex", default=".build/release/reflex")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    torch.set_num_threads(2)

    seeds = [str(s) for s in args.seeds]
    reflex = json.loads(subprocess.run(
        [args.reflex, "bench", "train", "--json", *[a for s in seeds for a in ("--seeds", s)]], check=True, capture_output=True, text=True).stdout)["train"]
    figures = {"cartpole_ppo": reflex, "pendulum_ppo": reflex["pendulum_ppo"], "pendulum_sac": reflex["pendulum_sac"]}

    print(f"peers: Stable-Baselines3 (rl-zoo settings), torch {torch.__version__}, seeds {' '.join(seeds)}")
    print(f"{'task':<14} {'Reflex s':>9} {'SB3 s':>8} {'Reflex/SB3':>10}   {'Reflex steps':>12} {'SB3 steps':>10} {'ratio':>6}")
    for name in TASKS:
        runs = [run_sb3(name, s) for s in args.seeds]
        for r in runs:
            if not r["solved"]:
                print(f"  note: SB3 {name} did not reach the target within its budget (mean {r['mean_return']:.1f})", file=sys.stderr)
        sb3_seconds = statistics.median(r["wall_seconds"] for r in runs)
        sb3_steps = statistics.median(r["env_steps"] for r in runs)
        ours = figures[name]
        print(f"{name:<14} {ours['median_wall_seconds']:9.2f} {sb3_seconds:8.2f} {ours['median_wall_seconds'] / sb3_seconds:10.3f}   "
              f"{ours['median_env_steps']:12.0f} {sb3_steps:10.0f} {ours['median_env_steps'] / sb3_steps:6.2f}")


if __name__ == "__main__":
    main()
