// The instruction tokenizer of `tokens` bundles. Its cases live in tokenizer-cases.json, which the
// training pipeline's tests read too, so the two implementations cannot drift apart unnoticed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { instructionWords, PAD, tokenizeInstruction, UNK } from '../../../engine/bundle/tokenizer.js';

interface Case {
  text: string;
  maxLength: number;
  words: string[];
  ids: number[];
}
const { vocabulary, cases } = JSON.parse(readFileSync(new URL('./tokenizer-cases.json', import.meta.url), 'utf8')) as { vocabulary: string[]; cases: Case[] };

describe('tokenizeInstruction', () => {
  it.each(cases)('$text (maxLength $maxLength)', ({ text, maxLength, words, ids }) => {
    expect(instructionWords(text)).toEqual(words);
    expect(tokenizeInstruction(text, { vocabulary, maxLength })).toEqual(ids);
  });

  it('maps unknown words to <unk> (1), truncates to maxLength and pads with <pad> (0)', () => {
    expect([PAD, UNK]).toEqual([0, 1]);
    const v = { vocabulary: ['<pad>', '<unk>', 'open', 'the', 'drawer'], maxLength: 5 };
    expect(tokenizeInstruction('Open the TOP drawer', v)).toEqual([2, 3, 1, 4, 0]);
    expect(tokenizeInstruction('open the top drawer of the cabinet', { ...v, maxLength: 3 })).toEqual([2, 3, 1]);
    expect(tokenizeInstruction('open', v)).toEqual([2, 0, 0, 0, 0]);
  });

  it('never matches the markers: "<pad>" and "<unk>" in the text are words "pad" and "unk"', () => {
    const v = { vocabulary: ['<pad>', '<unk>', 'pad'], maxLength: 3 };
    expect(tokenizeInstruction('<pad> <unk>', v)).toEqual([2, 1, 0]);
  });
});
