// A STAND-IN for python/libero_bridge/worker.py (a test double, not LIBERO): it speaks the
// bridge's protocol (docs/libero-bridge.md) with its own frame code, written apart from
// engine/sim/libero/frames.ts so each checks the other, over a point mass that moves by the
// action's first three dims (the observation test/engine/seams/point-mass.ts's scripted policy
// steers). STAND_IN_MODE makes it misbehave:
//   ok | crash-on-step:K | hang-on-step:K | garbage-on-step:K | bad-shape | protocol:N | no-libero |
//   silent (never says hello) | stdout-noise (prints text to stdout before its hello)
// The crash, hang and garbage happen once per STAND_IN_STATE_DIR (a marker file), so the
// worker that replaces it behaves. STAND_IN_LOG appends one line per request op.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const mode = process.env.STAND_IN_MODE ?? 'ok';
const [fault, at] = mode.split(':');
const stateDir = process.env.STAND_IN_STATE_DIR;
const once = () => {
  if (!stateDir) return true;
  const marker = path.join(stateDir, `${fault}.done`);
  if (existsSync(marker)) return false;
  writeFileSync(marker, 'x');
  return true;
};

const GAIN = 0.01;
const GOAL = 0.3;
let position = [0, 0, 0];
let goal = [GOAL, 0, 0];
let objects = 0;
let steps = 0;

function send(header, blobs = []) {
  const entries = [];
  let offset = 0;
  for (const b of blobs) {
    entries.push({ dtype: b.dtype, shape: b.shape, offset, nbytes: b.bytes.length });
    offset += Math.ceil(b.bytes.length / 8) * 8;
  }
  const h = Buffer.from(JSON.stringify(blobs.length ? { ...header, blobs: entries } : header));
  const start = Math.ceil((8 + h.length) / 8) * 8;
  const frame = Buffer.alloc(start + offset);
  frame.writeUInt32LE(frame.length - 4, 0);
  frame.writeUInt32LE(h.length, 4);
  h.copy(frame, 8);
  blobs.forEach((b, i) => b.bytes.copy(frame, start + entries[i].offset));
  process.stdout.write(frame);
}

const f64 = (values, shape = [values.length]) => ({ dtype: 'f64', shape, bytes: Buffer.from(Float64Array.from(values).buffer) });

function observation(id, extra = {}) {
  const proprio = mode === 'bad-shape' ? [...position, 0, 0, 0, goal[0]] : [...position, 0, 0, 0, goal[0], goal[1]];
  const blobs = [f64(proprio), f64(new Array(objects * 7).fill(0), [objects, 7]), f64([...position, 1, 0, 0, 0], [1, 7])];
  send({ id, ok: true, proprio: { $blob: 0 }, object_poses: { $blob: 1 }, body_poses: { $blob: 2 }, images: {}, step_ms: 0.01, ...extra }, blobs);
}

function handle(message, blobs) {
  if (process.env.STAND_IN_LOG) appendFileSync(process.env.STAND_IN_LOG, `${process.pid} ${message.op}\n`);
  const { id } = message;
  switch (message.op) {
    case 'reset': {
      const state = blobs[message.init_state.$blob];
      position = Array.from(state.subarray(1, 4));
      goal = [position[0] + GOAL, position[1], position[2]];
      objects = message.objects.length;
      steps = 0;
      return observation(id);
    }
    case 'step': {
      steps++;
      if (String(steps) === at && once()) {
        if (fault === 'crash-on-step') process.exit(7);
        if (fault === 'hang-on-step') return; // never answers
        if (fault === 'garbage-on-step') return process.stdout.write('Traceback (most recent call last):\n  garbage on stdout\n');
      }
      const action = blobs[message.action.$blob];
      if (!Array.from(action).every(Number.isFinite)) return send({ id, ok: false, error: { type: 'BadRequest', message: 'action has non-finite values' } });
      for (let i = 0; i < 3; i++) position[i] += GAIN * action[i];
      const success = Math.hypot(...position.map((p, i) => p - goal[i])) < 0.005;
      return observation(id, { success });
    }
    case 'scene':
      return send({ id, ok: true, scene: { task: 'stand-in', bodies: ['point'], geoms: [{ body: 0, type: 'mesh', size: [1, 1, 1], pos: [0, 0, 0], quat: [1, 0, 0, 0], rgba: [1, 0, 0, 1], mesh: 0 }], meshes: [{ vertices: { $blob: 0 }, faces: { $blob: 1 } }] } }, [
        { dtype: 'f32', shape: [3, 3], bytes: Buffer.from(Float32Array.from([0, 0, 0, 0.01, 0, 0, 0, 0.01, 0]).buffer) },
        { dtype: 'i32', shape: [1, 3], bytes: Buffer.from(Int32Array.from([0, 1, 2]).buffer) },
      ]);
    case 'poses':
      return send({ id, ok: true, body_poses: { $blob: 0 } }, [f64([...position, 1, 0, 0, 0], [1, 7])]);
    case 'ping':
      return send({ id, ok: true });
    case 'close':
      send({ id, ok: true });
      return process.stdout.end(() => process.exit(0));
    default:
      return send({ id, ok: false, error: { type: 'BadRequest', message: `unknown op ${message.op}` } });
  }
}

const versions = { python: 'stand-in', libero: 'stand-in', robosuite: '1.4.1', mujoco: '3.14.0', numpy: 'none' };
if (mode === 'stdout-noise') process.stdout.write('Welcome to LIBERO! Please answer a few questions\n');
if (mode === 'no-libero') {
  send({ op: 'hello', protocol: 1, versions, error: { type: 'LiberoMissing', message: "No module named 'libero'" } });
  process.stdout.end(() => process.exit(3));
} else if (mode !== 'silent') {
  send({ op: 'hello', protocol: fault === 'protocol' ? Number(at) : 1, versions, mujoco_gl: null, libero_root: '/nowhere', pid: process.pid });
}

let pending = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32LE(0)) {
    const n = pending.readUInt32LE(0);
    const frame = pending.subarray(0, 4 + n);
    pending = pending.subarray(4 + n);
    const h = frame.readUInt32LE(4);
    const header = JSON.parse(frame.subarray(8, 8 + h).toString());
    const start = Math.ceil((8 + h) / 8) * 8;
    const blobs = (header.blobs ?? []).map((b) => new Float64Array(Uint8Array.from(frame.subarray(start + b.offset, start + b.offset + b.nbytes)).buffer));
    handle(header, blobs);
  }
});
process.stdin.on('end', () => process.exit(0));
