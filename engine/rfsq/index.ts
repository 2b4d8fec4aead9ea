export { RfsqError } from './errors.js';
export {
  Fsq,
  FSQ_EPS,
  MAX_LEVELS,
  boundScalar,
  checkLevels,
  levelIndexOf,
  levelSpec,
  levelValue,
  roundHalfEven,
  type Bound,
  type LevelSpec,
  type Quantized,
} from './fsq.js';
export { Rfsq, type DecodeBatchOptions, type Encoded, type RfsqConfig } from './rfsq.js';
export { analyzeRfsq, codeUsage, errorByDepth, sameBits, type DepthError, type LayerUsage, type RfsqReport } from './analysis.js';
