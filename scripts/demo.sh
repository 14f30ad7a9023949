#!/usr/bin/env bash
# The end-to-end demo: train → policy file → virtual robot on a pseudo-terminal → fixed-rate loop over it.
# Every process this script starts is stopped when it ends, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
REFLEX=${REFLEX:-.build/release/reflex}
RUN_DIR=${RUN_DIR:-runs/demo}
DURATION=${DURATION:-20}
SEED=${SEED:-1}
mkdir -p "$RUN_DIR"
LINK="$RUN_DIR/cartpole.tty"
POLICY="$RUN_DIR/cartpole.safetensors"

robot_pid=""
cleanup() {
  if [ -n "$robot_pid" ] && kill -0 "$robot_pid" 2>/dev/null; then
    kill -TERM "$robot_pid" 2>/dev/null || true
    wait "$robot_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

echo "==> 1/3  Training a CartPole policy with PPO (seed $SEED)"
# Until every one of the 100 evaluation episodes lasts the 500 steps (the preset stops at a mean of 475,
# CartPole-v1's threshold): the run below is twice an episode long, and a policy that drops a few
# episodes can drift off the track in the second half.
"$REFLEX" train cartpole --seed "$SEED" --out "$POLICY" --set ppo.solved_return=500
"$REFLEX" eval "$POLICY" --episodes 100 --seed 7

echo
echo "==> 2/3  Starting the virtual robot: the CartPole plant behind the wire protocol on a pseudo-terminal"
rm -f "$LINK"
"$REFLEX" virtual-robot cartpole --link "$LINK" &
robot_pid=$!
for _ in $(seq 1 100); do [ -e "$LINK" ] && break; sleep 0.05; done
[ -e "$LINK" ] || { echo "virtual robot did not publish $LINK" >&2; exit 1; }

echo
echo "==> 3/3  Running the policy on the fixed-rate control loop over the serial link for ${DURATION} s"
status=0
"$REFLEX" run --policy "$POLICY" --port "$LINK" --duration "$DURATION" || status=$?

cleanup
robot_pid=""
echo
if [ "$status" -eq 0 ]; then
  echo "Demo finished: the policy kept the pole up over the serial link. Policy: $POLICY"
else
  echo "Demo finished with status $status (see above)." >&2
fi
exit "$status"
