/**
 * The instruction as text for `tokens` bundles (docs/bundle-format.md "Instruction tokens"). The
 * training pipeline (python/training) implements the same rule; keep the two identical, because a
 * word split differently here than in training is a word the model never saw.
 */

/** Vocabulary index 0: padding after the last word. */
export const PAD = 0;
/** Vocabulary index 1: any word the vocabulary lacks. */
export const UNK = 1;
export const PAD_WORD = '<pad>';
export const UNK_WORD = '<unk>';

/** Lowercase, split on every run of characters outside a-z and 0-9, empty strings dropped. */
export function instructionWords(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 0);
}

/**
 * The instruction's token ids, exactly `maxLength` of them: each word's vocabulary index (UNK for
 * a word not in it), truncated to `maxLength`, then PAD to fill.
 */
export function tokenizeInstruction(text: string, instruction: { vocabulary: readonly string[]; maxLength: number }): number[] {
  // The markers at 0 and 1 are not words (no split produces them); the manifest keeps words distinct.
  const index = new Map(instruction.vocabulary.map((word, i) => [word, i] as const).slice(UNK + 1));
  const ids = instructionWords(text)
    .slice(0, instruction.maxLength)
    .map((w) => index.get(w) ?? UNK);
  while (ids.length < instruction.maxLength) ids.push(PAD);
  return ids;
}
