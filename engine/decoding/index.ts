// Decoding strategies and acceptance rules over RFSQ code layers, with per-chunk records.
export { ACCEPT_RULES, Acceptor, type AcceptRule, type LayerInput, type LayerVerdict } from './acceptance.js';
export { argmaxRow, sampleRow, sampleWeights, softmaxRow, type Random } from './categorical.js';
export { Decoder, DEFAULT_THRESHOLD, batchOf, type DecodeOptions, type DecodedChunk } from './decoder.js';
export { DecodingError, checkFinite } from './errors.js';
export { cutCache, layerwiseMain, type Feeds, type LayerwiseMain, type MainRun } from './layerwise.js';
export { STRATEGIES, StageClock, type ChunkLatency, type ChunkRecord, type Strategy } from './record.js';
