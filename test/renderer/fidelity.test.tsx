import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createClient } from '../../engine/api/client.js';
import { inProcessTransport } from '../../engine/api/transports/in-process.js';
import { fidelityDir, writeReport } from '../../engine/fidelity/store.js';
import { createEngineHost } from '../../engine/host/handlers.js';
import { App } from '../../renderer/src/App.js';
import { StoreProvider } from '../../renderer/src/store/context.js';
import { createAppStore } from '../../renderer/src/store/index.js';
import { fidelityReport } from '../engine/fidelity/report-fixture.js';

// The Results page's "Simulator fidelity" section on the real engine in this process, over
// reports written into this test's data folder (engine/fidelity/store.ts).

let dataDir: string;
const teardowns: (() => void)[] = [];

beforeEach(async () => {
  window.history.replaceState(null, '', '/#/results');
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rsd-renderer-fidelity-'));
});
afterEach(async () => {
  teardowns.splice(0).forEach((t) => t());
  await rm(dataDir, { recursive: true, force: true });
});

function renderApp() {
  const host = createEngineHost('in-process', { dataDir, env: {} });
  const appStore = createAppStore();
  teardowns.push(appStore.getState().attach(createClient(inProcessTransport(host))));
  render(
    <StoreProvider store={appStore}>
      <App />
    </StoreProvider>,
  );
  return { user: userEvent.setup() };
}

const section = () => screen.findByRole('region', { name: 'Simulator fidelity' });
const cells = (row: HTMLElement) => [within(row).getByRole('rowheader').textContent, ...within(row).getAllByRole('cell').map((c) => c.textContent)];

describe('the Simulator fidelity section', () => {
  test('without a report it says how to make one, even with no runs', async () => {
    renderApp();
    const s = await section();
    expect(await within(s).findByTestId('fidelity-empty')).toHaveTextContent(`No fidelity report yet: run rsd fidelity to compare the embedded simulator with real LIBERO (reports are kept in ${fidelityDir(dataDir)})`);
    expect(screen.getByRole('heading', { level: 2, name: 'No runs yet' })).toBeInTheDocument();
  });

  test('shows the newest report: per task agreement, success in each backend, error medians over time, final object error and fixture offset', async () => {
    await writeReport(fidelityDir(dataDir), fidelityReport({ id: '20261201-120000000-aaaaaa', suite: 'libero_spatial', reference: { backend: 'older', version: '0' } }));
    await writeReport(fidelityDir(dataDir), fidelityReport());
    const { user } = renderApp();
    const s = await section();
    expect(await within(s).findByTestId('fidelity-headline')).toHaveTextContent(
      `libero_spatial: embedded MuJoCo 3.14.0 against libero LIBERO 0.1.0 (robosuite 1.4.1, MuJoCo 3.3.2) · 2 tasks × 2 initial states · 8 comparisons · ${new Date('2026-12-02T12:00:00.000Z').toLocaleString()}`,
    );
    expect(within(s).getByText(/20261202-120000000-cccccc\.json/)).toBeInTheDocument();

    const byDefault = within(s).getByRole('table', { name: 'Fidelity: Scripted expert, embedded fixtures at their default places' });
    const header = within(byDefault).getAllByRole('row')[1]!;
    expect(within(header).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['25', '50', '100', '150', 'end', '25', '50', '100', '150', 'end']);
    // 0.1 mm per env step: policy step k is env step 10 + k; the series end at env step 130.
    expect(cells(within(byDefault).getByTestId('fidelity-row-0'))).toEqual(['Task 0', '2', '2/2 (100%)', '2 / 2', '3.5', '6.0', '11.0', 'n/a', '13.0', '7.0', '12.0', '22.0', 'n/a', '26.0', '4.0', '12.0']);
    const disagreeing = within(byDefault).getByTestId('fidelity-row-1');
    expect(cells(disagreeing).slice(0, 4)).toEqual(['Task 1', '2', '1/2 (50%)', '2 / 1']);
    expect(within(disagreeing).getAllByRole('cell')[1]).toHaveClass('bad');
    expect(cells(within(byDefault).getByTestId('fidelity-row-total')).slice(0, 4)).toEqual(['All tasks', '4', '3/4 (75%)', '4 / 3']);

    const byReference = within(s).getByRole('table', { name: "Fidelity: Scripted expert, embedded fixtures where the reference's reset put them" });
    expect(cells(within(byReference).getByTestId('fidelity-row-total'))).toEqual(['All tasks', '4', '4/4 (100%)', '4 / 4', '1.8', '3.0', '5.5', 'n/a', '6.5', '3.5', '6.0', '11.0', 'n/a', '13.0', '4.0', '12.0']);

    await user.click(within(s).getByText('1 episode where the backends disagree on success'));
    expect(within(s).getByRole('listitem')).toHaveTextContent('expert, default fixtures, task 1, initial state 1: embedded success at step 120, libero failure');

    const closed = within(s).getByRole('table', { name: 'Fidelity: closed-loop success, paired' });
    const total = within(closed).getAllByRole('row').at(-1)!;
    expect(cells(total)).toEqual(['All tasks', '20', '19 (95.0%)', '16 (80.0%)', '3', '0', '0.250']);
    expect(within(s).getByTestId('fidelity-closed-loop')).toHaveTextContent('Run 20261201-100000-aaaaaa (embedded MuJoCo 3.14.0) against run 20261201-110000-bbbbbb (libero');
  });

  test('names the newest report when it cannot be read', async () => {
    await mkdir(fidelityDir(dataDir), { recursive: true });
    await writeFile(path.join(fidelityDir(dataDir), '20990101-000000000-abcdef.json'), '{"format": "rsd-fidelity/0"}');
    renderApp();
    const s = await section();
    expect(await within(s).findByTestId('fidelity-problem')).toHaveTextContent(/^The newest fidelity report cannot be read: 20990101-000000000-abcdef\.json is not an rsd-fidelity\/1 report: format: /);
  });
});
