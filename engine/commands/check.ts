import type { CheckResult, CheckStatus } from '../api/checks.js';
import { createClient } from '../api/client.js';
import { inProcessTransport } from '../api/transports/in-process.js';
import { createEngineHost } from '../host/handlers.js';
import { terminalText } from '../util/terminal-text.js';
import { parse } from './args.js';

const MARK: Record<CheckStatus, string> = { pass: '✓', warn: '!', fail: '✗', unknown: '?', 'not-configured': '-' };

/**
 * `rsd check`: the checklist's rows, as the app shows them; exit status 1 when any row fails. The
 * rows quote the bundle's name and files: terminal controls in them are escaped.
 */
export async function check(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' } });
  const client = createClient(inProcessTransport(createEngineHost('cli')));
  // On a terminal, each row as it finishes; with --json, one document at the end.
  const off = values.json ? () => {} : client.listen('checks.progress', (p) => p.phase === 'finished' && process.stdout.write(terminalText(formatRow(p.result), { multiline: true }) + '\n'));
  const { results } = await client.call('checks.run', {});
  off();
  if (values.json) process.stdout.write(JSON.stringify({ results }, null, 2) + '\n');
  else process.stdout.write(terminalText(summary(results), { multiline: true }) + '\n');
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}

function formatRow(r: CheckResult): string {
  const indent = (text: string) => text.split('\n').map((line) => `    ${line}`).join('\n');
  const lines = [`${MARK[r.status]} ${r.title.padEnd(38)} ${r.status}`, indent(r.detail)];
  const fix = r.fix;
  if (fix?.kind === 'command') lines.push(indent(`fix: ${fix.command}${fix.hint ? `\n     ${fix.hint}` : ''}`));
  if (fix?.kind === 'setting') lines.push(indent(`fix: set ${fix.setting} in the app's Checklist (or settings.json). ${fix.hint}`));
  if (fix?.kind === 'action') lines.push(indent(`fix: ${fix.label} (the Checklist's button; or set ${Object.keys(fix.action.params).join(', ')} in settings.json)`));
  return lines.join('\n');
}

function summary(results: CheckResult[]): string {
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  return `\n${results.length} checks: ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail, ${count('unknown')} unknown, ${count('not-configured')} not configured`;
}
