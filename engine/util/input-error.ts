/**
 * Input that cannot be used: a flag or option, a file, or a field in a file, as the caller gave it.
 * The CLI prints these as one line and exits with status 2 (engine/cli.ts); anything else that
 * throws is a failure of the program or of the machine (exit status 1).
 *
 * `field` names the input at fault, in the words of the API that threw: an option name (`suite`,
 * `tasks`, `bundle`), a file's path, or a field path inside a file (`episodes[4].steps`); '' when
 * the message alone names it. The message is a sentence that stands on its own and says what is
 * allowed.
 */
export class InputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}
