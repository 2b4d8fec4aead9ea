import type { Check } from './types.js';

export const settingsFileCheck: Check = {
  id: 'settings.file',
  title: 'Settings file',
  group: 'app',
  purpose: 'Where the app keeps your choices (bundle folder, LIBERO folder, LIBERO Python, decoding strategy, policy server): settings.json in your data folder (RSD_DATA_DIR overrides it).',
  reads: [],
  async run(ctx) {
    const { file, exists, settings, problem } = ctx.settings;
    if (problem !== null) {
      const move = process.platform === 'win32' ? 'move' : 'mv';
      return {
        status: 'fail',
        detail: `${file} is not valid: ${problem}. The defaults are used and the file is left as it is until you fix it; settings cannot be changed meanwhile.`,
        fix: { kind: 'command', command: `${move} "${file}" "${file}.invalid"`, hint: 'Moves it aside (kept for you to look at), or edit it by hand; the next change of a setting writes a fresh file.' },
      };
    }
    if (!exists) return { status: 'pass', detail: `No settings saved yet, so the defaults are used (decoding ${settings.decoding}). They will be saved in ${file}.` };
    const folder = (dir: string | null) => dir ?? 'not set';
    return {
      status: 'pass',
      detail: `${file}: bundle folder ${folder(settings.bundleDir)}, LIBERO folder ${folder(settings.liberoDir)}, LIBERO Python ${folder(settings.liberoPython)}, decoding ${settings.decoding}, policy server ${folder(settings.policyServer)}.`,
    };
  },
};
