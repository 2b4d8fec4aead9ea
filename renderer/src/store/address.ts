import { CAMERA_MODES, type CameraMode } from '../components/replay/camera-modes.js';
import { PAGES, type Page } from './navigation.js';

/**
 * The view an address names: `#/<page>?run=…&task=…&trial=…&step=…&camera=…&compare=…`. Parsing
 * and formatting are pure, so they round-trip in tests; the query is read with the platform's
 * URLSearchParams (no router library: the app has five pages and one hash).
 */
export interface AddressView {
  page: Page;
  /** Results: the run shown; Replay: the run replayed. */
  run?: string;
  /** Results: the run compared with `run`; Replay: the run whose episode plays beside `run`'s (side by side). */
  compare?: string;
  task?: number;
  trial?: number;
  /** Replay: the policy step the timeline is at. */
  step?: number;
  camera?: CameraMode;
}

export interface ParsedAddress {
  view: AddressView;
  /** Why part of the address was dropped (one line naming the field); the rest of the view still applies. */
  problems: string[];
}

const WHOLE = /^\d{1,9}$/;

export function parseAddress(hash: string): ParsedAddress {
  const problems: string[] = [];
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const name = decodeURIComponent(q < 0 ? body : body.slice(0, q));
  const params = new URLSearchParams(q < 0 ? '' : body.slice(q + 1));
  let page: Page = 'checklist';
  if ((PAGES as readonly string[]).includes(name)) page = name as Page;
  else if (name !== '') problems.push(`the address names no page "${name}"; showing the Checklist`);

  const view: AddressView = { page };
  const text = (field: 'run' | 'compare') => {
    const value = params.get(field);
    if (value === null) return;
    if (value.trim() === '') problems.push(`the address's ${field} is empty`);
    else view[field] = value;
  };
  const whole = (field: 'task' | 'trial' | 'step') => {
    const value = params.get(field);
    if (value === null) return;
    if (WHOLE.test(value)) view[field] = Number(value);
    else problems.push(`the address's ${field} must be a whole number, not "${value}"`);
  };
  if (page === 'results') {
    text('run');
    text('compare');
    if (view.compare !== undefined && view.run === undefined) {
      problems.push("the address's compare needs a run to compare with");
      delete view.compare;
    }
  }
  if (page === 'replay') {
    text('run');
    text('compare');
    if (view.compare !== undefined && (view.run === undefined || view.compare === view.run)) {
      problems.push(view.run === undefined ? "the address's compare needs a run to compare with" : `the address's compare names the replayed run ${view.run} itself`);
      delete view.compare;
    }
    whole('task');
    whole('trial');
    whole('step');
    const camera = params.get('camera');
    if (camera !== null) {
      if (CAMERA_MODES.some((m) => m.mode === camera)) view.camera = camera as CameraMode;
      else problems.push(`the address's camera must be one of ${CAMERA_MODES.map((m) => m.mode).join(', ')}, not "${camera}"`);
    }
    // An episode is a task and a trial of a run: half of one names nothing.
    if ((view.task === undefined) !== (view.trial === undefined) || (view.task !== undefined && view.run === undefined)) {
      if (problems.length === 0) problems.push("the address's task and trial go together, with a run");
      delete view.task;
      delete view.trial;
    }
    if (view.step !== undefined && view.task === undefined) delete view.step;
  }
  return { view, problems };
}

/** The address of a view: fields in a fixed order, so equal views give equal addresses. */
export function formatAddress(view: AddressView): string {
  const params = new URLSearchParams();
  if (view.run !== undefined) params.set('run', view.run);
  if (view.compare !== undefined) params.set('compare', view.compare);
  if (view.task !== undefined) params.set('task', String(view.task));
  if (view.trial !== undefined) params.set('trial', String(view.trial));
  if (view.step !== undefined) params.set('step', String(view.step));
  if (view.camera !== undefined) params.set('camera', view.camera);
  const query = params.toString();
  return `#/${view.page}${query ? `?${query}` : ''}`;
}

/** What a history entry is: the page, the run(s) and the episode; step and camera move within one entry. */
const PLACE_FIELDS = ['page', 'run', 'compare', 'task', 'trial'] as const;

/**
 * How going from address `from` to `to` is recorded: `push` a history entry when the place changes
 * (back returns to it), `replace` when only the step or camera moves or when `to` fills in what
 * `from` left open (the app picking the newest run for a bare `#/replay`), so back is never trapped.
 */
export function historyMove(from: AddressView, to: AddressView): 'push' | 'replace' {
  return PLACE_FIELDS.some((f) => from[f] !== undefined && from[f] !== to[f]) ? 'push' : 'replace';
}
