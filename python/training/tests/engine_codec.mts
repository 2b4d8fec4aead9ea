// Encodes/decodes latents with the engine's RFSQ (engine/rfsq) for python/training/tests/test_codec.py.
// Usage: npx tsx python/training/tests/engine_codec.mts IN.json OUT.json
import { readFileSync, writeFileSync } from 'node:fs';
import { Rfsq } from '../../../engine/rfsq/index.js';

const [inFile, outFile] = process.argv.slice(2);
const { latents, P, L, layers, scales } = JSON.parse(readFileSync(inFile!, 'utf8')) as { latents: number[]; P: number; L: number; layers: number; scales: number[] };
const rfsq = new Rfsq({ layers, levels: [L], latentDim: P, scales, bound: 'tanh' });
const enc = rfsq.encodeBatch(Float32Array.from(latents));
const dec = rfsq.decodeBatch(enc.codes);
writeFileSync(outFile!, JSON.stringify({ codes: Array.from(enc.codes), recon: Array.from(enc.recon), decoded: Array.from(dec) }));
