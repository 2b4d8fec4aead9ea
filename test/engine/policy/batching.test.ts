import { describe, expect, it } from 'vitest';
import { BatchingPolicy } from '../../../engine/policy/batching.js';
import { PartialBatchError, type Policy, type PolicyChunk, type PolicyInput } from '../../../engine/policy/policy.js';

// A batch in which some items fail: only those items' requests reject (a remote policy answers each
// item on its own connection); a batch that fails as a whole rejects every item, as before.
const chunk = (v: number): PolicyChunk => ({ actions: new Float64Array(7).fill(v), record: null });
const input = (id: number) => ({ observation: { proprio: new Float64Array([id]), objectPoses: new Float64Array(0), images: {} }, task: { suite: 'libero_spatial', taskId: 0, instruction: '', objects: [] } }) as PolicyInput;

function policy(answer: (inputs: readonly PolicyInput[]) => PolicyChunk[]): Policy {
  return {
    metadata: { name: 'fake' } as Policy['metadata'],
    check() {},
    reset() {},
    close: async () => {},
    inferBatch: async (inputs) => answer(inputs),
  };
}

describe('BatchingPolicy with item-level failures', () => {
  it('resolves the items that succeeded and rejects only the failed ones', async () => {
    const batching = new BatchingPolicy(
      policy((inputs) => {
        throw new PartialBatchError(inputs.map((i) => (i.observation.proprio[0] === 1 ? new Error('item 1 failed') : chunk(i.observation.proprio[0]!))));
      }),
      () => 3,
    );
    const settled = await Promise.allSettled([0, 1, 2].map((id) => batching.request(input(id))));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('item 1 failed');
    expect((settled[2] as PromiseFulfilledResult<PolicyChunk>).value.actions[0]).toBe(2);
    expect([batching.batches, batching.items]).toEqual([1, 2]);
  });

  it('rejects every item when the batch fails as a whole', async () => {
    const batching = new BatchingPolicy(
      policy(() => {
        throw new Error('the model failed');
      }),
      () => 2,
    );
    const settled = await Promise.allSettled([0, 1].map((id) => batching.request(input(id))));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
  });
});
