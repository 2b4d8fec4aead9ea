#!/usr/bin/env bash
# The vision bundle on the GPU machine (docs/training.md "Vision bundle"), in two device calls
# back to back (the machine keeps .device-data/ only while warm, 30 s after a call):
#
#   record  (call 1, ~9 min) demonstrations with both cameras' images, 15 worker threads, under a
#           time limit: episodes handed out initial state by initial state (--order interleaved),
#           so whatever finishes covers every task and noise level evenly. Into .device-data/vision-demos.
#   train   (call 2, ~9 min) trains on them and exports the bundle(s) into $OUT.
#   both    record and train in one call, with smaller budgets (a fallback when the machine was
#           given back between the two calls).
#   local   both steps on this machine at toy scale (2 tasks x 2 initial states, seconds of
#           training), to test the commands before spending device time.
#
# Before the calls (on this machine, from the repo root, main holding this branch):
#   bash scripts/device-bundle.sh                                # .device (Node, MuJoCo, ORT) + .device-build (the CLI)
#   scripts/device-tree.sh keep package.json assets/libero python   # what travels besides carry
# Call 1: carry [".device", ".device-build"], command
#   source .device/setup.sh && bash python/training/device_vision.sh record
# Call 2 (at once): no carry, command
#   bash python/training/device_vision.sh train
# Then: /tmp/device-tree.sh restore. $OUT comes back with: record: expert.json, record.log;
# train: vision/ (5 files), train.log, metrics.json (and vision-parallel.tar with PARALLEL_S > 0).
#
# Settings (environment): RECORD_S (time limit of the recording, default 500), TRIALS (100),
# NOISE (0,0.1,0.2,0.3,0.4), WORKERS (15), RENDER (128), IMAGE (64), AE_S (25), MAIN_S (360),
# PARALLEL_S (0: no parallel twin), BATCH (1024), EXTRA (more training flags).
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:?usage: device_vision.sh record|train|both|local}
OUT=${OUT:-.device-data/out}
DATA=${DATA:-.device-data/vision-demos}
RUN=${RUN:-.device-data/vision-train}
mkdir -p "$OUT"
RECORD_S=${RECORD_S:-500}
TRIALS=${TRIALS:-100}
NOISE=${NOISE:-0,0.1,0.2,0.3,0.4}
WORKERS=${WORKERS:-15}
RENDER=${RENDER:-128}
IMAGE=${IMAGE:-64}
AE_S=${AE_S:-25}
MAIN_S=${MAIN_S:-360}
PARALLEL_S=${PARALLEL_S:-0}
BATCH=${BATCH:-1024}
EXTRA=${EXTRA:-}
RSD=${RSD:-node .device-build/rsd.mjs}
PY=${PY:-python3}
TASKS=${TASKS:-}
export PYTHONUNBUFFERED=1

demo_command() {
  echo "rsd expert --suite libero_spatial ${TASKS:+--tasks $TASKS }--trials $TRIALS --noise $NOISE --seed 0 --order interleaved --time-limit $RECORD_S --workers $WORKERS --cameras agentview,robot0_eye_in_hand --render-size $RENDER --image-size $IMAGE --record DIR --json"
}

record() {
  rm -rf "$DATA"
  local t0=$SECONDS
  # shellcheck disable=SC2046
  $RSD $(demo_command | sed "s|^rsd ||; s|DIR|$DATA|") >"$OUT/expert.json"
  {
    echo "recorded in $((SECONDS - t0)) s: $(wc -l <"$DATA/demonstrations.jsonl") episodes, $(du -sh "$DATA" | cut -f1)"
    $PY - "$OUT/expert.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print('time limit:', d.get('timeLimited'), ' workers:', d['workers'], ' wall s: %.0f' % (d['wallMs'] / 1000))
for t in d['perTask']:
    print('task %d: %d/%d successful' % (t['taskId'], t['successes'], t['trials']))
eps = d['episodes']
print('steps: %d in %d episodes' % (sum(e['steps'] for e in eps), len(eps)))
PY
    nproc; free -g | head -2; df -h . | tail -1
  } 2>&1 | tee "$OUT/record.log"
}

train() {
  [[ -s $DATA/demonstrations.jsonl ]] || { echo "device_vision.sh: $DATA/demonstrations.jsonl is missing (was the machine given back after the recording? then run 'both')" >&2; exit 3; }
  local par=(--no-parallel)
  [[ $PARALLEL_S != 0 ]] && par=(--parallel-s "$PARALLEL_S")
  rm -rf "$RUN"
  (cd python && $PY -m training.train --observation vision --demos "../$DATA/demonstrations.jsonl" --out "../$RUN" --seed 0 \
    --ae-s "$AE_S" --main-s "$MAIN_S" "${par[@]}" --batch "$BATCH" --no-deterministic \
    --demo-command "$(demo_command)" ${GIT_COMMIT:+--git-commit $GIT_COMMIT} $EXTRA) 2>&1 | tee "$OUT/train-console.log" | grep -v Warning || true
  cp "$RUN/train.log" "$RUN/metrics.json" "$OUT/" 2>/dev/null || true
  [[ -f $RUN/vision/bundle.json ]] || { echo "device_vision.sh: no bundle was written" >&2; exit 4; }
  # $OUT brings back at most 8 files of 16 MiB each, two folders down.
  rm -f "$OUT/train-console.log"
  mkdir -p "$OUT/vision"
  cp "$RUN"/vision/* "$OUT/vision/"
  [[ -d $RUN/vision-parallel ]] && tar cf "$OUT/vision-parallel.tar" -C "$RUN" vision-parallel
  ls -la "$OUT" "$OUT/vision"
}

case $mode in
  record) record ;;
  train) train ;;
  both)
    RECORD_S=${BOTH_RECORD_S:-210} MAIN_S=${BOTH_MAIN_S:-240} AE_S=${BOTH_AE_S:-20}
    record
    train ;;
  local)
    # Toy scale on this machine: the same commands, the repo's CLI and this machine's Python.
    RSD="node bin/rsd.mjs" PY=${PY:-python3} TASKS=0,1 TRIALS=${TRIALS_LOCAL:-2} NOISE=0,0.2 WORKERS=2 RECORD_S=120 \
      AE_S=5 MAIN_S=20 PARALLEL_S=10 BATCH=64 EXTRA="--small --val-fraction 0.5 --device cpu $EXTRA" \
      DATA=.device-data/local-demos RUN=.device-data/local-train OUT=.device-data/local-out
    export RSD PY TASKS TRIALS NOISE WORKERS RECORD_S AE_S MAIN_S PARALLEL_S BATCH EXTRA DATA RUN OUT
    mkdir -p "$OUT"
    record
    train ;;
  *) echo "usage: device_vision.sh record|train|both|local" >&2; exit 2 ;;
esac
