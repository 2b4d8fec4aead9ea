import { Settings, type SettingsPatch, type SettingsState } from '../api/settings.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { InputError } from '../util/input-error.js';
import { MiB, readTextFileSafely } from '../util/safe-read.js';

/** The settings file exists but cannot be used; it is never overwritten behind the user's back. */
export class SettingsFileError extends InputError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(file, `the settings file ${file} is not valid (${problem}); it was left as it is: fix it or delete it, then try again`);
    this.name = 'SettingsFileError';
  }
}

/** The largest settings.json read (a few hundred bytes in practice). */
const SETTINGS_LIMIT = 1 * MiB;

export const DEFAULT_SETTINGS: Settings = Settings.parse({});

/**
 * settings.json in the user's data folder. Read afresh on every call (the file is tiny, and a user
 * may edit it by hand); written atomically; updates one at a time, so two changes never interleave
 * their read and write.
 */
export class SettingsStore {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  async read(): Promise<SettingsState> {
    let text: string;
    try {
      text = await readTextFileSafely(this.file, SETTINGS_LIMIT);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.state(false, DEFAULT_SETTINGS, null);
      return this.state(true, DEFAULT_SETTINGS, `cannot be read: ${(error as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return this.state(true, DEFAULT_SETTINGS, `not valid JSON: ${(error as Error).message}`);
    }
    const parsed = Settings.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      const where = [...issue.path, ...keys].map(String).join('.') || '(top level)';
      return this.state(true, DEFAULT_SETTINGS, `${where}: ${issue.message}`);
    }
    return this.state(true, parsed.data, null);
  }

  /**
   * The settings a run takes its bundle, decoding and LIBERO folder from: the file's, or none while
   * settings.json is missing or invalid (the run's own defaults apply then).
   */
  async forRuns(): Promise<Settings | null> {
    const state = await this.read();
    return state.exists && state.problem === null ? state.settings : null;
  }

  /** Changes the given keys and writes the file; refuses (SettingsFileError) while the file is invalid. */
  update(patch: SettingsPatch): Promise<SettingsState> {
    const next = this.writes.then(async () => {
      const current = await this.read();
      if (current.problem !== null) throw new SettingsFileError(this.file, current.problem);
      const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const settings = Settings.parse({ ...current.settings, ...changes });
      await writeFileAtomic(this.file, `${JSON.stringify(settings, null, 2)}\n`);
      return this.state(true, settings, null);
    });
    this.writes = next.catch(() => {});
    return next;
  }

  private state(exists: boolean, settings: Settings, problem: string | null): SettingsState {
    return { file: this.file, exists, settings, problem };
  }
}
