import { z } from 'zod';
import { PairedSuccess } from './comparison.js';
import { EpisodeOutcome } from './results.js';
import { DecodingStrategy, Machine, SuiteName } from './run-config.js';
import { RunStatus } from './runs.js';

/**
 * The simulator fidelity report (docs/libero-bridge.md "Fidelity report"): the embedded simulator
 * against a reference backend (real LIBERO) on the same initial states and the same action
 * sequences, and, given two evaluation runs, the default bundle's closed-loop success in each,
 * paired. What `rsd fidelity` writes to `<data dir>/fidelity/<id>.json` and `fidelity.latest`
 * carries as an overview (FidelityOverview). engine/fidelity computes it.
 */

export const FIDELITY_FORMAT = 'rsd-fidelity/1';

const NonNegInt = z.number().int().nonnegative();
const Rate = z.number().min(0).max(1);
/** Distances in metres. */
const Metres = z.number().nonnegative();

/** Where an action sequence came from: a closed loop in the embedded simulator. */
export const FIDELITY_SOURCES = ['expert', 'bundle'] as const;
export const FidelitySource = z.enum(FIDELITY_SOURCES);
export type FidelitySource = z.infer<typeof FidelitySource>;

/**
 * Where the embedded simulator puts the fixtures (cabinet, stove) for the comparison: `default`,
 * its own placement (the centres of their regions, as `rsd eval` runs); `reference`, the poses the
 * reference backend drew at its reset, read from its body poses (real LIBERO redraws them each reset).
 */
export const FIXTURE_MODES = ['default', 'reference'] as const;
export const FixtureMode = z.enum(FIXTURE_MODES);
export type FixtureMode = z.infer<typeof FixtureMode>;

/** A policy step at which errors are summarised (0: after the wait steps), or the last step both backends ran. */
export const Checkpoint = z.union([NonNegInt, z.literal('end')]);
export type Checkpoint = z.infer<typeof Checkpoint>;

/** One backend's run of an action sequence. */
export const BackendOutcome = z.strictObject({
  outcome: EpisodeOutcome,
  /** Policy steps run (wait steps not counted). */
  steps: NonNegInt,
  /** Policy steps taken when the goal first held (as results count `steps`); null: it never did. */
  successStep: NonNegInt.nullable(),
  error: z.string().nullable(),
});
export type BackendOutcome = z.infer<typeof BackendOutcome>;

/** How far the reference backend's fixture lay from the embedded simulator's default placement. */
export const FixtureOffset = z.strictObject({
  fixture: z.string(),
  /** The body its pose was read from (null: no body of the fixture in both scenes). */
  body: z.string().nullable(),
  /** Distance between the two root positions, metres, and the angle between their orientations, radians. */
  position: Metres.nullable(),
  angle: z.number().nonnegative().nullable(),
});
export type FixtureOffset = z.infer<typeof FixtureOffset>;

/** One episode's comparison, without its per-step series. */
export const FidelityEpisodeRow = z.strictObject({
  source: FidelitySource,
  fixtures: FixtureMode,
  taskId: NonNegInt,
  initIndex: NonNegInt,
  embedded: BackendOutcome,
  reference: BackendOutcome,
  /** Both succeeded or both did not. */
  agree: z.boolean(),
  /** Env steps both backends ran (wait steps included): the series have this many + 1 states. */
  comparedSteps: NonNegInt,
  /** Largest grip-site and object position errors over the compared steps. */
  eefMax: Metres,
  objectMax: Metres,
  /** Position error of the object the task moves (its goal's first argument) at the last compared step. */
  finalObjectError: Metres.nullable(),
  fixtureOffsets: z.array(FixtureOffset),
});
export type FidelityEpisodeRow = z.infer<typeof FidelityEpisodeRow>;

/** An episode with its series: per state, from the reset (index 0) through every env step (wait steps included). */
export const FidelityEpisode = FidelityEpisodeRow.extend({
  /** Grip-site position error, metres. */
  eefError: z.array(Metres),
  /** Largest position error over the task's objects, metres. */
  objectError: z.array(Metres),
});
export type FidelityEpisode = z.infer<typeof FidelityEpisode>;

export const ErrorStats = z.strictObject({
  checkpoint: Checkpoint,
  /** Episodes that reached this checkpoint in both backends. */
  n: NonNegInt,
  median: Metres.nullable(),
  p90: Metres.nullable(),
});
export type ErrorStats = z.infer<typeof ErrorStats>;

/** Open-loop statistics over a set of episodes (a task's, or all of a group's). */
export const FidelityStats = z.strictObject({
  episodes: NonNegInt,
  successesEmbedded: NonNegInt,
  successesReference: NonNegInt,
  agreements: NonNegInt,
  /** agreements / episodes; null with none. */
  agreement: Rate.nullable(),
  eef: z.array(ErrorStats),
  object: z.array(ErrorStats),
  finalObjectMedian: Metres.nullable(),
  /** Median over episodes of the largest distance between a reference fixture and its embedded default (the fixture drift). */
  fixtureOffsetMedian: Metres.nullable(),
});
export type FidelityStats = z.infer<typeof FidelityStats>;

export const FidelityGroup = z.strictObject({
  source: FidelitySource,
  fixtures: FixtureMode,
  tasks: z.array(FidelityStats.extend({ taskId: NonNegInt })),
  total: FidelityStats,
});
export type FidelityGroup = z.infer<typeof FidelityGroup>;

export const FidelityRunRef = z.strictObject({
  id: z.string(),
  status: RunStatus.nullable(),
  backend: z.string(),
  version: z.string(),
  bundle: z.string(),
});

/** Two finished evaluation runs, one per backend, paired by (task, trial): McNemar per task and overall. */
export const ClosedLoopPairing = z.strictObject({
  /** A: the embedded run; B: the reference backend's. */
  embeddedRun: FidelityRunRef,
  referenceRun: FidelityRunRef,
  paired: NonNegInt,
  unpaired: NonNegInt,
  tasks: z.array(PairedSuccess.extend({ taskId: NonNegInt })),
  total: PairedSuccess,
  /** Configuration fields that differ besides the simulator (confounders, if any). */
  configDifferences: z.array(z.object({ field: z.string(), a: z.string(), b: z.string() })),
});
export type ClosedLoopPairing = z.infer<typeof ClosedLoopPairing>;

export const FidelityBackend = z.strictObject({
  /** The kind, as `--sim` names it. */
  backend: z.string(),
  version: z.string(),
});

const ReportFields = {
  format: z.literal(FIDELITY_FORMAT),
  id: z.string().min(1),
  createdAt: z.string(),
  status: z.enum(['completed', 'cancelled']),
  suite: SuiteName,
  tasks: z.array(NonNegInt),
  /** Initial states, by index into each task's file (the same for every task). */
  initIndices: z.array(NonNegInt),
  initStates: z.strictObject({ source: z.enum(['libero', 'project']), location: z.string().nullable() }),
  sources: z.array(FidelitySource),
  fixtures: z.array(FixtureMode),
  waitSteps: NonNegInt,
  maxSteps: NonNegInt,
  /** The policy steps the error statistics are taken at, besides `end`. */
  checkpoints: z.array(NonNegInt),
  embedded: FidelityBackend,
  reference: FidelityBackend,
  /** The bundle that drove the `bundle` source (null without it). */
  bundle: z.strictObject({ name: z.string(), hash: z.string(), dir: z.string(), decoding: DecodingStrategy }).nullable(),
  versions: z.record(z.string(), z.string()),
  machine: Machine,
  wallMs: z.number().nonnegative(),
  /** Per source and fixture mode, per task and in total. */
  groups: z.array(FidelityGroup),
  closedLoop: ClosedLoopPairing.nullable(),
};

/** The file `rsd fidelity` writes. */
export const FidelityReport = z.strictObject({ ...ReportFields, episodes: z.array(FidelityEpisode) });
export type FidelityReport = z.infer<typeof FidelityReport>;

/** At most this many disagreeing episodes travel with an overview. */
export const OVERVIEW_DISAGREEMENTS = 200;

/**
 * The report as `fidelity.latest` carries it: without the episodes (a suite's series pass 1 MiB),
 * with their count and the first OVERVIEW_DISAGREEMENTS episodes whose success differed.
 */
export const FidelityOverview = z.strictObject({
  ...ReportFields,
  episodeCount: NonNegInt,
  disagreements: z.array(FidelityEpisodeRow),
  /** Disagreeing episodes in all (more than listed when over OVERVIEW_DISAGREEMENTS). */
  disagreementCount: NonNegInt,
});
export type FidelityOverview = z.infer<typeof FidelityOverview>;
