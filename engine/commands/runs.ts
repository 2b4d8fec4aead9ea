import path from 'node:path';
import { taskCaveats } from '../api/known-issues.js';
import { parseArgs } from 'node:util';
import { compareResults, formatComparison } from '../eval/compare.js';
import { taskNames } from '../libero/suites.js';
import type { Results } from '../api/schemas/results.js';
import { depthText, type DecodingDepth } from '../api/schemas/run-config.js';
import { defaultRunsRoot, RunStore } from '../runs/store.js';
import type { RunLabels, RunMeta, StoredRunSummary } from '../api/schemas/runs.js';
import { print, suggest, UsageError } from './args.js';

const OPTIONS = { json: { type: 'boolean' }, runs: { type: 'string' } } as const;

/** The flags every `rsd runs` subcommand takes, and exactly `names.length` positional arguments. */
export function parsePositional(args: string[], names: readonly string[], usage: string) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (thrown) {
    throw new UsageError(`${(thrown as Error).message} (usage: ${usage})`);
  }
  const { values, positionals } = parsed;
  if (positionals.length < names.length) throw new UsageError(`missing ${names.slice(positionals.length).join(' and ')} (usage: ${usage})`);
  if (positionals.length > names.length) throw new UsageError(`unexpected argument "${positionals[names.length]}" (usage: ${usage})`);
  return { json: values.json === true, store: new RunStore(values.runs ? path.resolve(values.runs) : defaultRunsRoot()), positionals };
}

const SUBCOMMANDS = ['list', 'show', 'export', 'import', 'compare'] as const;

/**
 * `rsd runs list|show|export|import|compare`: the run store (engine/runs/store.ts) from the command
 * line. A run that does not exist or cannot be read, a results file that fails validation, runs
 * that cannot be compared, an export target that cannot be written: the store's errors are
 * InputErrors, which the CLI prints as one line, exit status 2 (engine/cli.ts).
 */
export async function runs(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list':
      return await list(rest);
    case 'show':
      return await show(rest);
    case 'export':
      return await exportCommand(rest);
    case 'import':
      return await importCommand(rest);
    case 'compare':
      return await compare(rest);
    default:
      throw new UsageError(sub ? `unknown subcommand "${sub}"; ${suggest(sub, SUBCOMMANDS, 'subcommands')}` : `which subcommand? subcommands: ${SUBCOMMANDS.join(', ')}`);
  }
}

// --- list -------------------------------------------------------------------------------------

async function list(args: string[]): Promise<number> {
  const { json, store } = parsePositional(args, [], 'rsd runs list [--runs DIR] [--json]');
  const summaries = await store.list();
  print(json, { root: store.root, runs: summaries }, () => formatList(store.root, summaries));
  return 0;
}

function decodingText(d: { decoding: string; accept: string | null; threshold: number | null; depth?: DecodingDepth }): string {
  if (d.decoding !== 'speculative') return d.decoding + depthText(d.depth);
  return `speculative/${d.accept ?? '?'}${d.threshold !== null ? ` ${d.threshold}` : ''}${depthText(d.depth)}`;
}

export function formatList(root: string, summaries: readonly StoredRunSummary[]): string {
  if (summaries.length === 0) return `no runs in ${root}`;
  const lines = [`${summaries.length} run${summaries.length === 1 ? '' : 's'} in ${root}`];
  // The decoding column widens for the longest label (a depth adds ", 3 of 8 layers").
  const width = Math.max(26, ...summaries.map((s) => decodingText(s).length));
  lines.push(`  ${'id'.padEnd(22)} ${'status'.padEnd(9)} ${'episodes'.padStart(9)}  ${'suite'.padEnd(14)} ${'decoding'.padEnd(width)} ${'ep'.padEnd(6)} bundle`);
  for (const s of summaries) {
    lines.push(`  ${s.id.padEnd(22)} ${s.status.padEnd(9)} ${`${s.episodesDone}/${s.episodesPlanned}`.padStart(9)}  ${s.suite.padEnd(14)} ${decodingText(s).padEnd(width)} ${s.executionProvider.padEnd(6)} ${s.bundle}${s.name ? `  "${s.name}"` : ''}${s.importedFrom ? '  (imported)' : ''}`);
    // The user's note (runs.note), on its own line under the run, its line breaks folded.
    if (s.note) lines.push(`    note: ${s.note.replace(/\s*\n\s*/g, ' / ')}`);
  }
  return lines.join('\n');
}

// --- show -------------------------------------------------------------------------------------

export interface ShowReport {
  run: RunMeta;
  /** The user's name and note for the run (labels.json; runs.rename, runs.note). */
  labels: RunLabels;
  progress: { episodesDone: number; episodesPlanned: number; complete: boolean };
  /** The run's results (for a run not finished, of the episodes finished so far), without the episode records. */
  results: Omit<Results, 'episodes'>;
}

async function show(args: string[]): Promise<number> {
  const { json, store, positionals } = parsePositional(args, ['RUN'], 'rsd runs show RUN [--runs DIR] [--json]');
  const run = await store.open(positionals[0]!);
  const { episodes, ...results } = await run.results();
  const planned = run.config.tasks.length * run.config.trials;
  const report: ShowReport = { run: { ...run.info }, labels: await store.labels(run.id), progress: { episodesDone: episodes.length, episodesPlanned: planned, complete: episodes.length >= planned }, results };
  print(json, report, () => formatShow(report));
  return 0;
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const num = (x: number | null, digits = 2): string => (x === null ? 'n/a' : x.toFixed(digits));

function taskName(suite: string, taskId: number): string {
  try {
    return taskNames(suite)[taskId] ?? '';
  } catch {
    return '';
  }
}

export function formatShow(r: ShowReport): string {
  const m = r.run;
  const c = m.config;
  const res = r.results;
  const lines = [`run ${m.id}: ${m.status}${m.importedFrom ? ` (imported from ${m.importedFrom})` : ''}`];
  if (r.labels.name) lines.push(`  name: ${r.labels.name}`);
  if (r.labels.note) lines.push(...r.labels.note.split('\n').map((line, i) => `  ${i === 0 ? 'note: ' : '      '}${line}`));
  lines.push(`  created ${m.createdAt}${m.finishedAt ? `, finished ${m.finishedAt}` : ''}`);
  if (m.status === 'running') {
    lines.push(`  still running, or interrupted (nothing records which): ${r.progress.episodesDone} of ${r.progress.episodesPlanned} episodes finished so far; the figures below are for those`);
  } else if (!r.progress.complete) {
    lines.push(`  ${r.progress.episodesDone} of ${r.progress.episodesPlanned} episodes finished; the figures below are for those`);
  }
  if (m.error) lines.push(`  failed: ${m.error}`);
  lines.push(`  suite ${c.suite}, tasks ${c.tasks.join(',')}, ${c.trials} trials each, seed ${c.seed}, max ${c.maxSteps} steps (+${c.waitSteps} wait)`);
  const policy = c.policy?.kind === 'remote' ? `policy server ${c.policy.url}: ${c.bundle.name} (${c.bundle.hash}), profile ${c.policy.profile}` : `bundle ${c.bundle.name} (${c.bundle.hash})${m.bundleDir ? ` from ${m.bundleDir}` : ''}`;
  lines.push(`  decoding ${decodingText(c)}; ${policy}`);
  lines.push(`  execution provider ${c.executionProvider.used} (asked ${c.executionProvider.requested}${c.executionProvider.reason ? `: ${c.executionProvider.reason}` : ''}); simulator ${c.simulator.backend} ${c.simulator.version}`);
  lines.push(`  initial states ${c.initStates.source}${c.initStates.location ? ` (${c.initStates.location})` : ''}; machine ${c.machine.cpuModel}, ${c.machine.cpus} CPUs, ${c.machine.os}, node ${c.machine.node}`);
  lines.push('');
  lines.push(`  ${'task'.padStart(5)} ${'success'.padEnd(18)} ${'Wilson 95%'.padEnd(17)} ${'failures'.padStart(9)} ${'errors'.padStart(7)}  name`);
  const row = (name: string, s: Results['total'], title = ''): string =>
    `  ${name.padStart(5)} ${`${s.successes}/${s.episodes} (${pct(s.rate)})`.padEnd(18)} ${`[${pct(s.wilson95.low)}, ${pct(s.wilson95.high)}]`.padEnd(17)} ${String(s.failures).padStart(9)} ${String(s.errors).padStart(7)}  ${title}`.trimEnd();
  for (const t of res.tasks) lines.push(row(String(t.taskId), t, taskName(c.suite, t.taskId)));
  lines.push(row('total', res.total));
  for (const caveat of taskCaveats(c.suite, c.tasks, c.simulator)) lines.push(`  note: task ${caveat.taskId}: ${caveat.note}`);
  lines.push('');
  lines.push(`  ${`latency, ms (${res.latency.chunks} chunks)`.padEnd(34)} ${'median'.padStart(9)} ${'p90'.padStart(9)} ${'p99'.padStart(9)}`);
  for (const [stage, p] of Object.entries(res.latency.stages)) {
    if (p.median === null) continue;
    lines.push(`    ${stage.padEnd(32)} ${num(p.median).padStart(9)} ${num(p.p90).padStart(9)} ${num(p.p99).padStart(9)}`);
  }
  const w = res.episodeWallMs;
  lines.push(`    ${'episode wall time'.padEnd(32)} ${num(w.median, 0).padStart(9)} ${num(w.p90, 0).padStart(9)} ${num(w.p99, 0).padStart(9)}`);
  lines.push('');
  const a = res.acceptance;
  if (a.speculativeChunks === 0) {
    lines.push('  acceptance: no speculative chunks');
  } else {
    lines.push(`  acceptance over ${a.speculativeChunks} speculative chunks: mean accepted layers ${num(a.meanAcceptedLayers)}`);
    lines.push('    layer  accepted/proposed      rate  episodes  r(acceptance, success)');
    for (const l of a.perLayer) {
      lines.push(`    ${String(l.layer).padStart(5)}  ${`${l.accepted}/${l.proposed}`.padStart(17)}  ${pct(l.rate).padStart(8)}  ${String(l.episodes).padStart(8)}  ${num(l.successCorrelation, 3)}`);
    }
  }
  if (res.hadErrors) {
    lines.push('');
    lines.push(`  ${res.errors.length} episode${res.errors.length === 1 ? '' : 's'} ended in error (counted as not successful):`);
    for (const e of res.errors) lines.push(`    task ${e.taskId} trial ${e.trial} (init ${e.initIndex}): ${e.error}`);
  }
  return lines.join('\n');
}

// --- export / import ---------------------------------------------------------------------------

async function exportCommand(args: string[]): Promise<number> {
  const { json, store, positionals } = parsePositional(args, ['RUN', 'FILE'], 'rsd runs export RUN FILE [--runs DIR] [--json]');
  const [id, file] = positionals as [string, string];
  const results = await store.exportRun(id, file);
  const report = { id, file: path.resolve(file), status: results.run?.status ?? null, episodes: results.episodes.length };
  print(json, report, () => `exported run ${id} (${report.status}, ${report.episodes} episodes) to ${report.file}`);
  return 0;
}

async function importCommand(args: string[]): Promise<number> {
  const { json, store, positionals } = parsePositional(args, ['FILE'], 'rsd runs import FILE [--runs DIR] [--json]');
  const file = path.resolve(positionals[0]!);
  const run = await store.importResults(file);
  const episodes = (await run.episodes()).length;
  const report = { id: run.id, dir: run.dir, status: run.status, episodes, from: file };
  print(json, report, () => `imported ${file} as run ${run.id} (${run.status}, ${episodes} episodes) in ${store.root}`);
  return 0;
}

// --- compare ----------------------------------------------------------------------------------

async function compare(args: string[]): Promise<number> {
  const { json, store, positionals } = parsePositional(args, ['RUN_A', 'RUN_B'], 'rsd runs compare RUN_A RUN_B [--runs DIR] [--json]');
  const [idA, idB] = positionals as [string, string];
  const a = await (await store.open(idA)).results();
  const b = await (await store.open(idB)).results();
  const report = compareResults(a, b);
  print(json, report, () => formatComparison(report));
  return 0;
}
