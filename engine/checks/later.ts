import type { CheckId } from '../api/checks.js';
import type { Check } from './types.js';

/** A row that a later issue fills: shown now, so the user sees what it will be for. */
function later(id: CheckId, title: string, purpose: string): Check {
  return {
    id,
    title,
    group: 'integrations',
    purpose,
    reads: [],
    run: async () => ({ status: 'not-configured', detail: 'Not in this build: a later release adds it. Nothing to set up yet, and nothing else depends on it.' }),
  };
}

export const modalCheck = later('remote.modal', 'Modal', "Runs evaluations on Modal's cloud GPUs instead of this machine, with the same results files.");

export const trackerCheck = later('remote.tracker', 'Experiment tracker', 'Logs runs, their configuration and results to an experiment tracker, to compare them across machines and over time.');
