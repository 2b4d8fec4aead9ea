#!/usr/bin/env bash
# Packs the `rsd` CLI for the GPU machine (no Node, no npm, no network there): one ESM bundle in
# .device-build/ plus Node and onnxruntime-node from ../shared/tools/device-prep.sh in .device/.
# Then: run with carry [".device", ".device-build"] and the command
#   source .device/setup.sh && node .device-build/rsd.mjs bench engine --ep webgpu --small-ep cpu
# --no-mujoco leaves MuJoCo out (13 MB less; `bench engine` does not simulate), so that Node,
# onnxruntime and one bundle fit a call's 64 MiB: with scripts/device-tree.sh keep package.json,
# carry the bundle as an xz tarball (default: 26 MB) and unpack it there.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
grep -qxF '/.device-build/' .git/info/exclude 2>/dev/null || echo '/.device-build/' >>.git/info/exclude
# The CLI and its worker threads (engine/workers/spawn.ts finds <name>.mjs beside the bundle).
for entry in cli:engine/cli.ts sim-worker:engine/eval/sim-worker.ts expert-worker:engine/expert/worker.ts remote-echo-worker:engine/bench/remote-echo-worker.ts; do
npx esbuild "${entry#*:}" --bundle --platform=node --format=esm --target=node20 \
  --outfile=".device-build/${entry%%:*}.mjs" --external:onnxruntime-node --external:@mujoco/mujoco \
  --external:bufferutil --external:utf-8-validate --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
done
printf '%s\n' "const { main } = await import('./cli.mjs');" 'process.exitCode = await main(process.argv.slice(2));' >.device-build/rsd.mjs
packages=(onnxruntime-node onnxruntime-common @mujoco/mujoco)
[[ ${1:-} == --no-mujoco ]] && packages=(onnxruntime-node onnxruntime-common)
../shared/tools/device-prep.sh "${packages[@]}"
