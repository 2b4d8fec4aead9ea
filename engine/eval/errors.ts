/** A run cannot start or go on as asked: `field` names the option, file or resource at fault. */
export class EvalError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'EvalError';
  }
}
