import { InputError } from '../util/input-error.js';

/** A run cannot start or go on as asked: `field` names the option, file or resource at fault. */
export class EvalError extends InputError {
  constructor(field: string, message: string) {
    super(field, message);
    this.name = 'EvalError';
  }
}
