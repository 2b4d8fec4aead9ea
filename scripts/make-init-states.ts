/**
 * Generates the project's own initial states (engine/libero/project-init-states.ts describes the
 * file format, the seeds and the splits; engine/libero/init-sampler.ts how one state is sampled,
 * settled and verified):
 *
 *   npx tsx scripts/make-init-states.ts [--tasks 0,3] [--check]
 *
 * writes assets/libero/init_states/libero_spatial/<task>.bin for each task (all 10 by default).
 * With --check it regenerates and compares with the stored files instead of writing (exit 1 on a
 * difference). The output is a pure function of the seeds, the generator and the MuJoCo build.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GENERATOR_VERSION, SETTLE_STEPS, emptyRejections, type RejectReason } from '../engine/sim/embedded/init-sampler.js';
import {
  FORMAT_VERSION,
  INIT_SPLITS,
  type InitSplit,
  type InitStatesHeader,
  ROW_STRIDE,
  encodeInitStates,
  flattenInitState,
  generateProjectInitState,
  projectInitStatesPath,
  readProjectInitStatesFile,
  sceneDims,
  splitRows,
  splitSeed,
} from '../engine/sim/embedded/project-init-states.js';
import { projectTask } from '../engine/libero/project-tasks.js';
import { NUM_WAIT_STEPS, suiteTask } from '../engine/libero/suites.js';
import { EmbeddedPhysics } from '../engine/sim/embedded/physics.js';

const SUITE = 'libero_spatial';
const SPLIT_ORDER: InitSplit[] = ['eval', 'demo'];

function parseArgs(argv: string[]): { tasks: number[]; check: boolean } {
  let tasks = Array.from({ length: 10 }, (_, i) => i);
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--check') check = true;
    else if (a === '--tasks') {
      const list = argv[++i];
      if (!list) throw new Error('--tasks needs a list such as 0,3');
      tasks = list.split(',').map((s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 0 || n > 9) throw new Error(`--tasks: ${s} is not a libero_spatial task id (0..9)`);
        return n;
      });
    } else throw new Error(`unknown argument ${a}; usage: npx tsx scripts/make-init-states.ts [--tasks 0,3] [--check]`);
  }
  return { tasks, check };
}

const { tasks, check } = parseArgs(process.argv.slice(2));
// The stored states were settled in the scene before issue 20's contact pruning: regenerate (and
// --check) them in that scene, so the files stay byte for byte what the evaluations ran from.
const sim = await EmbeddedPhysics.create({ contactPruning: false });
const mujoco = sim.version.replace(/^MuJoCo /, '');
const started = performance.now();
let totalBytes = 0;
let mismatches = 0;

for (const taskId of tasks) {
  const t0 = performance.now();
  const { name } = suiteTask(SUITE, taskId);
  const task = projectTask(SUITE, taskId);
  const { nq, nv } = sceneDims(task);
  const rows: Float64Array[] = [];
  const stats: NonNullable<InitStatesHeader['stats']> = {};
  let maxDraws = 0;
  for (const split of SPLIT_ORDER) {
    const rejections = emptyRejections();
    let attempts = 0;
    for (let i = 0; i < INIT_SPLITS[split].rows; i++) {
      const r = generateProjectInitState(sim, task, taskId, split, i);
      rows.push(flattenInitState(r.state));
      attempts += r.attempts;
      maxDraws = Math.max(maxDraws, r.draws);
      for (const k of Object.keys(rejections) as RejectReason[]) rejections[k] += r.rejections[k];
    }
    stats[split] = { attempts, rejections };
  }
  const header: InitStatesHeader = {
    format: 'rsd-init-states',
    formatVersion: FORMAT_VERSION,
    suite: SUITE,
    task: name,
    taskId,
    nq,
    nv,
    cols: 1 + nq + nv,
    splits: SPLIT_ORDER.map((s) => ({ name: s, rows: INIT_SPLITS[s].rows, seed: splitSeed(taskId, s), rowStride: ROW_STRIDE })),
    generator: { version: GENERATOR_VERSION, script: 'scripts/make-init-states.ts', settleSteps: SETTLE_STEPS, waitSteps: NUM_WAIT_STEPS },
    mujoco,
    stats,
  };
  const file = projectInitStatesPath(SUITE, taskId);
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const rates = SPLIT_ORDER.map((s) => {
    const st = stats[s]!;
    const rejected = st.attempts - INIT_SPLITS[s].rows;
    const why = Object.entries(st.rejections)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    return `${s} ${rejected}/${st.attempts} rejected (${((100 * rejected) / st.attempts).toFixed(0)}%${why ? `: ${why}` : ''})`;
  }).join('; ');
  if (check) {
    const stored = readProjectInitStatesFile(file, { suite: SUITE, task: name, nq, nv });
    let worst = 0;
    let index = 0;
    for (const split of SPLIT_ORDER) {
      for (const row of splitRows(stored, split)) {
        const fresh = rows[index++]!;
        for (let k = 0; k < row.length; k++) worst = Math.max(worst, Math.abs(row[k]! - fresh[k]!));
      }
    }
    const same = worst <= 1e-12;
    if (!same) mismatches++;
    console.log(`task ${taskId} ${name}: ${same ? 'reproduces the stored rows' : 'DIFFERS from the stored rows'} (max |diff| ${worst.toExponential(2)}), ${seconds} s; ${rates}`);
  } else {
    const bytes = encodeInitStates(header, rows);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    totalBytes += bytes.length;
    console.log(`task ${taskId} ${name}: ${rows.length} rows of ${header.cols}, ${bytes.length} bytes, ${seconds} s, max ${maxDraws} draws a row; ${rates}`);
  }
}

sim.close();
const total = ((performance.now() - started) / 1000).toFixed(1);
if (check) {
  console.log(`${tasks.length} task(s) checked in ${total} s: ${mismatches === 0 ? 'all reproduce' : `${mismatches} differ`} (MuJoCo ${mujoco})`);
  if (mismatches > 0) process.exitCode = 1;
} else {
  console.log(`${tasks.length} task(s) written in ${total} s, ${totalBytes} bytes (MuJoCo ${mujoco}, generator v${GENERATOR_VERSION})`);
}
