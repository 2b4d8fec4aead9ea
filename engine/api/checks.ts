import { z } from 'zod';
import { SETTING_KEYS, SettingsPatch } from './settings.js';

/** The `checks` domain: the prerequisites checklist (engine/checks runs the checks). */

export const CHECK_IDS = [
  'ep.cpu',
  'ep.webgpu',
  'ep.cuda',
  'bundle.manifest',
  'bundle.models',
  'bundle.rfsq',
  'bundle.draft',
  'sim.mujoco',
  'sim.scene',
  'libero.files',
  'bridge.python',
  'bridge.libero',
  'bridge.config',
  'bridge.assets',
  'bridge.init',
  'bridge.render',
  'policy.server',
  'remote.modal',
  'remote.tracker',
  'settings.file',
] as const;
export const CheckId = z.enum(CHECK_IDS);
export type CheckId = z.infer<typeof CheckId>;

export const CHECK_GROUPS = ['execution', 'bundle', 'simulator', 'integrations', 'app'] as const;
export const CheckGroup = z.enum(CHECK_GROUPS);
export type CheckGroup = z.infer<typeof CheckGroup>;

/**
 * pass: ready. warn: works, with a limit worth knowing (or optional and missing). fail: blocks the
 * main job. unknown: could not be decided (a check it depends on failed, or it timed out).
 * not-configured: nothing to check yet (not set up, or not in this build).
 */
export const CheckStatus = z.enum(['pass', 'warn', 'fail', 'unknown', 'not-configured']);
export type CheckStatus = z.infer<typeof CheckStatus>;

/** A request the UI may make for the user, as a fix's button. */
export const FixAction = z.discriminatedUnion('type', [z.object({ type: z.literal('settings.set'), params: SettingsPatch }).strict()]);
export type FixAction = z.infer<typeof FixAction>;

export const CheckFix = z.discriminatedUnion('kind', [
  /** Run this in a terminal (shown with a copy button). */
  z.object({ kind: z.literal('command'), command: z.string().min(1), hint: z.string().optional() }).strict(),
  /** Change this setting (the UI shows a field for it). */
  z.object({ kind: z.literal('setting'), setting: z.enum(SETTING_KEYS), hint: z.string() }).strict(),
  /** A button that makes this request. */
  z.object({ kind: z.literal('action'), action: FixAction, label: z.string().min(1) }).strict(),
]);
export type CheckFix = z.infer<typeof CheckFix>;

export const CheckResult = z.object({
  id: CheckId,
  title: z.string(),
  status: CheckStatus,
  /** What was found, in a sentence or a few lines. */
  detail: z.string(),
  fix: CheckFix.optional(),
  durationMs: z.number().nonnegative(),
  checkedAt: z.string(),
});
export type CheckResult = z.infer<typeof CheckResult>;

export const CheckRow = z.object({
  id: CheckId,
  title: z.string(),
  group: CheckGroup,
  /** What the prerequisite is for, shown before it is checked. */
  purpose: z.string(),
  /** Settings it reads: the UI checks it again after one of them changes. */
  reads: z.array(z.enum(SETTING_KEYS)),
  /** The last result, kept by the engine until checked again. */
  result: CheckResult.nullable(),
  running: z.boolean(),
});
export type CheckRow = z.infer<typeof CheckRow>;

const Progress = { run: z.number().int().nonnegative(), id: CheckId, done: z.number().int().nonnegative(), total: z.number().int().positive() };

/** One check of a run started or finished; `done` of `total` counts finished checks of that run. */
export const ChecksProgress = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('started'), ...Progress }),
  z.object({ phase: z.literal('finished'), ...Progress, result: CheckResult }),
]);
export type ChecksProgress = z.infer<typeof ChecksProgress>;

export const checksRequests = {
  'checks.list': {
    params: z.object({}).strict(),
    result: z.object({ checks: z.array(CheckRow) }),
  },
  'checks.run': {
    /** `ids`: those checks, in the list's order; all of them when absent. */
    params: z.object({ ids: z.array(CheckId).min(1).optional() }).strict(),
    result: z.object({ results: z.array(CheckResult) }),
  },
} as const;
