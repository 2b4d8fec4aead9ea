import { GraphBuilder } from '../onnx/index.js';
import type { ExecutionProvider } from '../bundle/bundle.js';
import { loadOnnxRuntime } from '../bundle/onnxruntime.js';
import { ortErrorSentence } from '../bundle/ort-error.js';

// y = relu(x·W + b) on [1, 4]: MatMul and Add run on every provider, and the answer is known.
const X = Float32Array.from([1, -2, 3, 0.5]);
const W = Float32Array.from({ length: 16 }, (_, i) => ((i % 5) - 2) / 4);
const B = Float32Array.from([0.25, -0.5, 1, 0]);

function expected(): Float32Array {
  const y = new Float32Array(4);
  for (let j = 0; j < 4; j++) {
    let sum = B[j]!;
    for (let i = 0; i < 4; i++) sum += X[i]! * W[i * 4 + j]!;
    y[j] = Math.max(0, sum);
  }
  return y;
}

let model: Uint8Array | undefined;

function probeModel(): Uint8Array {
  if (!model) {
    const g = new GraphBuilder('ep_probe');
    const x = g.input('x', 'float32', [1, 4]);
    const y = g.relu(g.add(g.matmul(x, g.initializer('w', W, [4, 4])), g.initializer('b', B, [4])));
    g.output(y, 'float32', [1, 4], 'y');
    model = g.toModel({ opset: 17, producer: 'rsd-workbench checklist' });
  }
  return model;
}

/** The probe's failure, as onnxruntime's own sentence. */
export class ProbeError extends Error {
  override name = 'ProbeError';
}

/**
 * Creates a session of the probe model on exactly this provider, runs it and compares the answer:
 * proof that the provider works here, not only that its files exist. Returns the time it took.
 */
export async function runProbe(ep: ExecutionProvider): Promise<{ ms: number }> {
  const ort = loadOnnxRuntime();
  const started = performance.now();
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(probeModel(), { executionProviders: [ep] });
  } catch (error) {
    throw new ProbeError(ortErrorSentence(error));
  }
  try {
    const out = await session.run({ x: new ort.Tensor('float32', X, [1, 4]) });
    const y = out.y?.data as Float32Array | undefined;
    const want = expected();
    if (!y || y.length !== 4 || y.some((v, i) => !(Math.abs(v - want[i]!) < 1e-4))) {
      throw new ProbeError(`the test model ran but computed [${y ? Array.from(y).join(', ') : 'nothing'}] instead of [${Array.from(want).join(', ')}]`);
    }
    return { ms: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    throw error instanceof ProbeError ? error : new ProbeError(ortErrorSentence(error));
  } finally {
    await session.release();
  }
}

/** What the last probe of a provider found: the Checklist's rows and the System page read the same one. */
export type ProbeOutcome = { ok: true; ms: number } | { ok: false; error: string };

const outcomes = new Map<ExecutionProvider, Promise<ProbeOutcome>>();

/**
 * The probe's outcome for a provider, kept for this process so that every page answers from one
 * probe: `fresh` (a check being run) probes again and replaces it; otherwise the last one is reused.
 */
export function probeProvider(ep: ExecutionProvider, options: { fresh?: boolean } = {}): Promise<ProbeOutcome> {
  const kept = outcomes.get(ep);
  if (kept && !options.fresh) return kept;
  const outcome = runProbe(ep).then(
    ({ ms }): ProbeOutcome => ({ ok: true, ms }),
    (thrown: unknown): ProbeOutcome => ({ ok: false, error: thrown instanceof Error ? thrown.message : String(thrown) }),
  );
  outcomes.set(ep, outcome);
  return outcome;
}
