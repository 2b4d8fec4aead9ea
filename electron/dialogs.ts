import { BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent, type OpenDialogOptions, type SaveDialogOptions } from 'electron';
import { FOLDER_PURPOSES, IPC_DIALOG_CHANNEL, type DialogRequest, type FolderPurpose } from '../engine/api/names.js';
import { isTrustedSender } from './security.js';

/**
 * Native dialogs for the renderer, which has no file system: choose a folder (model bundle, LIBERO),
 * a results JSON to save, or one to open. Main shows the dialog and answers with the chosen path, or
 * null when the user cancels. The renderer only ever gets back a path the user picked; what is done
 * with it goes through the engine's own requests, which check it again.
 *
 * A file the user picks in the save or open dialog is also reported to `onChosen` before the renderer
 * hears of it: main grants the engine host that exact path (write for save, read for open), since the
 * engine otherwise takes page paths only inside its exports folder (engine/util/confined-path.ts).
 * The grant goes on main's own MessagePort to the engine, which a page cannot post to.
 */

/** Told of each file the user chose: `write` from the save dialog, `read` from the open dialog. */
export type ChosenFile = (access: 'read' | 'write', file: string) => void;

const FOLDER_TITLE: Record<FolderPurpose, string> = {
  bundle: 'Choose the model bundle folder',
  libero: 'Choose the LIBERO folder',
};

const JSON_FILTERS = [{ name: 'Results JSON', extensions: ['json'] }];

/** Longest file name most file systems take. */
const MAX_NAME_LENGTH = 255;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Why a default file name is refused, or null when it is a bare name: no folder part (`/`, `\`), no
 * drive (`:`), no control characters, not `.` or `..`.
 */
export function badFileName(name: unknown): string | null {
  if (typeof name !== 'string') return 'defaultName must be a string';
  if (name.trim() === '') return 'defaultName is empty';
  if (name.length > MAX_NAME_LENGTH) return `defaultName is longer than ${MAX_NAME_LENGTH} characters`;
  if (/[/\\:]/.test(name)) return 'defaultName must be a file name, without a folder';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'defaultName has control characters';
  if (name === '.' || name === '..') return 'defaultName must be a file name';
  return null;
}

/** The request as main accepts it, or why not: one of the three kinds, with exactly its own fields. */
export function parseDialogRequest(input: unknown): { request: DialogRequest } | { error: string } {
  if (!isRecord(input)) return { error: 'a dialog request must be an object' };
  const keys = Object.keys(input).sort().join(',');
  switch (input.kind) {
    case 'folder': {
      if (keys !== 'kind,purpose') return { error: 'a folder dialog takes exactly {kind, purpose}' };
      const purpose = FOLDER_PURPOSES.find((p) => p === input.purpose);
      if (!purpose) return { error: `unknown folder purpose ${JSON.stringify(input.purpose)}: one of ${FOLDER_PURPOSES.join(', ')}` };
      return { request: { kind: 'folder', purpose } };
    }
    case 'save': {
      if (keys !== 'defaultName,kind') return { error: 'a save dialog takes exactly {kind, defaultName}' };
      const bad = badFileName(input.defaultName);
      if (bad) return { error: bad };
      return { request: { kind: 'save', defaultName: input.defaultName as string } };
    }
    case 'open':
      if (keys !== 'kind') return { error: 'an open dialog takes exactly {kind}' };
      return { request: { kind: 'open' } };
    default:
      return { error: `unknown dialog kind ${JSON.stringify(input.kind)}: one of folder, save, open` };
  }
}

function openOptions(request: Exclude<DialogRequest, { kind: 'save' }>): OpenDialogOptions {
  if (request.kind === 'folder') return { title: FOLDER_TITLE[request.purpose], buttonLabel: 'Choose', properties: ['openDirectory'] };
  return { title: 'Import results JSON', buttonLabel: 'Import', filters: JSON_FILTERS, properties: ['openFile'] };
}

function saveOptions(defaultName: string): SaveDialogOptions {
  // A bare file name: the dialog starts in its usual folder with this name filled in.
  return { title: 'Export results JSON', buttonLabel: 'Save', defaultPath: defaultName, filters: JSON_FILTERS, properties: ['createDirectory', 'showOverwriteConfirmation'] };
}

/** Shows the dialog, modal to `parent` when there is one; the chosen path, or null if cancelled. */
export async function showDialog(request: DialogRequest, parent: BrowserWindow | null): Promise<string | null> {
  if (request.kind === 'save') {
    const options = saveOptions(request.defaultName);
    const { canceled, filePath } = await (parent ? dialog.showSaveDialog(parent, options) : dialog.showSaveDialog(options));
    return canceled || !filePath ? null : filePath;
  }
  const options = openOptions(request);
  const { canceled, filePaths } = await (parent ? dialog.showOpenDialog(parent, options) : dialog.showOpenDialog(options));
  const [chosen] = filePaths;
  return canceled || !chosen ? null : chosen;
}

/**
 * The IPC handler. Refusals (a frame that is not the app's own page, a malformed request) reject the
 * renderer's call; they never show a dialog. The dialog is modal to the window that asked, else to
 * the focused one.
 */
export async function handleDialogRequest(event: IpcMainInvokeEvent, input: unknown, onChosen: ChosenFile = () => undefined): Promise<string | null> {
  if (!isTrustedSender(event.senderFrame?.url)) throw new Error('dialog request from an untrusted frame refused');
  const parsed = parseDialogRequest(input);
  if ('error' in parsed) throw new Error(`bad dialog request: ${parsed.error}`);
  const parent = BrowserWindow.fromWebContents(event.sender) ?? BrowserWindow.getFocusedWindow();
  const chosen = await showDialog(parsed.request, parent);
  // Granted before the renderer gets the path, so the grant reaches the engine before any request using it.
  if (chosen !== null && parsed.request.kind !== 'folder') onChosen(parsed.request.kind === 'save' ? 'write' : 'read', chosen);
  return chosen;
}

export function registerDialogHandler(onChosen: ChosenFile): void {
  ipcMain.handle(IPC_DIALOG_CHANNEL, (event, input: unknown) => handleDialogRequest(event, input, onChosen));
}
