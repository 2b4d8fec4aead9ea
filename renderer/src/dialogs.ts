import { useState } from 'react';
import type { FolderPurpose, RsdBridge } from '../../engine/api/names.js';

/** The native dialogs of Electron's preload: each resolves to the chosen path, or null when cancelled. */
export type NativeDialogs = Pick<RsdBridge, 'chooseFolder' | 'chooseSaveFile' | 'chooseOpenFile'>;

/**
 * The native dialogs when the page runs in Electron (the preload's `window.rsd` has them), else null:
 * in the browser, paths are typed and files go through downloads and the file input.
 */
export function nativeDialogs(win: Window | undefined = typeof window === 'undefined' ? undefined : window): NativeDialogs | null {
  // Typed here rather than through connection.ts's Window.rsd, so that this module stands alone.
  const rsd = (win as { rsd?: Partial<RsdBridge> } | undefined)?.rsd;
  if (!rsd) return null;
  const { chooseFolder, chooseSaveFile, chooseOpenFile } = rsd;
  if (typeof chooseFolder !== 'function' || typeof chooseSaveFile !== 'function' || typeof chooseOpenFile !== 'function') return null;
  return {
    chooseFolder: (purpose) => chooseFolder(purpose),
    chooseSaveFile: (defaultName) => chooseSaveFile(defaultName),
    chooseOpenFile: () => chooseOpenFile(),
  };
}

/** Why a dialog could not be shown, as one line. */
export function dialogFailure(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}

export interface FolderChooser {
  choose(): void;
  /** A dialog is open. */
  busy: boolean;
  /** Why the last dialog failed (the field can still be typed in). */
  error: string | null;
}

/**
 * A "Choose…" button's behaviour for a folder field: null without native dialogs; otherwise opens the
 * folder dialog and passes the chosen folder on. A cancelled dialog changes nothing.
 */
export function useFolderChooser(purpose: FolderPurpose, onChosen: (folder: string) => void): FolderChooser | null {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const dialogs = nativeDialogs();
  if (!dialogs) return null;
  const choose = async () => {
    setBusy(true);
    setError(null);
    try {
      const folder = await dialogs.chooseFolder(purpose);
      if (folder !== null) onChosen(folder);
    } catch (thrown) {
      setError(`The folder dialog failed: ${dialogFailure(thrown)}`);
    } finally {
      setBusy(false);
    }
  };
  return { choose: () => void choose(), busy, error };
}
