import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng } from '../../../engine/util/png.js';
import { NO_REAL_LIBERO, realLiberoPython } from '../real-libero.js';
import { callCli } from '../cli-call.js';

// `rsd render`: its argument errors (exit 2, one line naming the flag, before anything starts), and
// a real render of both cameras in real LIBERO where one is set up (docs/cameras.md).
const python = realLiberoPython();
if (!python) console.log(`test/engine/commands/render.test.ts: the real render is ${NO_REAL_LIBERO}`);

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-render-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const call = callCli;

/** `rsd render ...` refused: exit 2, one line on stderr starting with `flag`, nothing written. */
async function refused(flag: string, ...args: string[]): Promise<string> {
  const out = path.join(tmp, 'refused');
  const { code, stderr } = await call('render', ...args, '--out', out);
  expect(code, `${args.join(' ')}: ${stderr}`).toBe(2);
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^rsd render: ${flag.replace(/[-+|]/g, '\\$&')}\\b`));
  return lines[0]!;
}

describe('rsd render: argument errors', () => {
  it('refuses a bad value of each flag with one line naming it, exit 2', async () => {
    expect(await refused('--sim', '--sim', 'mujoco')).toContain('expected one of embedded, libero, got "mujoco"');
    for (const size of ['0x80', '16', '513', '128.0', '']) expect(await refused('--size', '--size', size)).toContain(`got "${size}"`);
    expect(await refused('--task', '--task', '10')).toContain('in 0..9');
    expect(await refused('--init', '--init', '50')).toContain('in 0..49');
    expect(await refused('--init', '--init=-1')).toContain('expected an integer');
    expect(await refused('--cameras', '--cameras', 'frontview')).toContain('agentview, robot0_eye_in_hand');
    expect(await refused('--cameras', '--cameras', 'agentview,agentview')).toContain('twice');
    expect(await refused('--states', '--states', 'demo')).toContain('expected one of libero, project');
    expect(await refused('--suite', '--suite', 'libero_nowhere')).toContain('libero_nowhere');
    expect(await refused('--suite', '--suite', 'libero_goal')).toContain('libero_spatial only');
  });

  it('refuses flags that do not go together, naming the flag', async () => {
    expect(await refused('--sim', '--compare', '--sim', 'libero')).toContain('--compare renders both');
    expect(await refused('--python', '--python', 'python3')).toContain('applies to --sim libero and --compare');
    expect(await refused('--python', '--sim', 'embedded', '--python', 'python3')).toContain('applies to --sim libero');
    expect(await refused('--python', '--sim', 'libero', '--python', path.join(tmp, 'no-such-python'))).toContain('does not exist');
    expect(await refused('--libero', '--libero', tmp, '--states', 'project')).toContain('--states libero');
  });

  it('is in the usage text', async () => {
    const { code, stdout } = await call('help', 'render');
    expect(code).toBe(0);
    expect(stdout).toContain('rsd render [--sim embedded|libero]');
    expect(stdout).toContain('--compare');
  });
});

/** The image a PNG file holds, checked to be `size` x `size` and not blank (a rendered scene has many colours). */
async function renderedPng(file: string, size: number): Promise<void> {
  const image = decodePng(await readFile(file));
  expect([image.width, image.height], file).toEqual([size, size]);
  const colours = new Set<number>();
  for (let p = 0; p < size * size; p++) colours.add((image.data[3 * p]! << 16) | (image.data[3 * p + 1]! << 8) | image.data[3 * p + 2]!);
  expect(colours.size, file).toBeGreaterThan(200);
}

describe('rsd render in the embedded simulator', () => {
  it("writes both cameras of the project's initial state as PNGs of the asked size", async () => {
    const out = path.join(tmp, 'embedded');
    const { code, stdout, stderr } = await call('render', '--sim', 'embedded', '--task', '3', '--init', '2', '--size', '96', '--out', out, '--json');
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as { simulator: { backend: string }; initStates: string; waitSteps: number; cameras: { camera: string; file: string }[] };
    expect(report.simulator.backend).toBe('embedded');
    expect(report.initStates).toBe("the project's eval initial states");
    expect(report.waitSteps).toBe(10);
    expect(report.cameras.map((c) => path.basename(c.file))).toEqual(['libero_spatial_task3_init2_agentview_embedded.png', 'libero_spatial_task3_init2_robot0_eye_in_hand_embedded.png']);
    for (const c of report.cameras) await renderedPng(c.file, 96);
  }, 60_000);
});

describe.skipIf(!python)('rsd render on real LIBERO', () => {
  it('writes both cameras of libero_spatial task 0, initial state 0, as PNGs of the asked size', async () => {
    const out = path.join(tmp, 'libero');
    const { code, stdout, stderr } = await call('render', '--sim', 'libero', '--python', python!, '--task', '0', '--init', '0', '--size', '128', '--out', out, '--json');
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as { simulator: { backend: string }; initStates: string; cameras: { camera: string; width: number; height: number; file: string }[] };
    expect(report.simulator.backend).toBe('libero');
    expect(report.initStates).toBe("LIBERO's init_files");
    expect(report.cameras.map((c) => c.camera)).toEqual(['agentview', 'robot0_eye_in_hand']);
    for (const c of report.cameras) {
      expect(path.basename(c.file)).toBe(`libero_spatial_task0_init0_${c.camera}_libero.png`);
      await renderedPng(c.file, 128);
    }
  }, 300_000);

  it('--compare: both simulators from the same LIBERO state, a figure and the two measures per camera', async () => {
    const out = path.join(tmp, 'compare');
    const { code, stdout, stderr } = await call('render', '--compare', '--python', python!, '--task', '0', '--init', '0', '--size', '128', '--out', out, '--json');
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as {
      embedded: { backend: string };
      reference: { backend: string };
      withinLevels: number;
      fixtures: { fixture: string; position: number | null }[];
      cameras: { camera: string; meanAbsDiff: number; withinFraction: number; edgeShift: { dx: number; dy: number }; files: { embedded: string; reference: string; figure: string } }[];
    };
    expect([report.embedded.backend, report.reference.backend, report.withinLevels]).toEqual(['embedded', 'libero', 16]);
    expect(report.cameras.map((c) => c.camera)).toEqual(['agentview', 'robot0_eye_in_hand']);
    // The embedded fixtures were moved to LIBERO's: both found, each a few centimetres at most from the default.
    expect(report.fixtures.map((f) => f.fixture).sort()).toEqual(['flat_stove_1', 'wooden_cabinet_1']);
    for (const f of report.fixtures) expect(f.position!).toBeLessThan(0.05);
    for (const c of report.cameras) {
      // The embedded cameras sit where LIBERO's do: the two renders' edges line up in place.
      expect(c.edgeShift, c.camera).toMatchObject({ dx: 0, dy: 0 });
      expect(c.meanAbsDiff).toBeGreaterThan(0);
      expect(c.meanAbsDiff).toBeLessThan(255);
      expect(c.withinFraction).toBeGreaterThanOrEqual(0);
      expect(c.withinFraction).toBeLessThanOrEqual(1);
      await renderedPng(c.files.embedded, 128);
      await renderedPng(c.files.reference, 128);
      const figure = decodePng(await readFile(c.files.figure));
      expect(figure.width).toBe(3 * 128 + 16);
      expect(path.basename(c.files.figure)).toBe(`libero_spatial_task0_init0_${c.camera}_compare.png`);
    }
  }, 300_000);
});
