import { useId, type ReactElement, type ReactNode } from 'react';

export interface FieldControlProps {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

/** A labelled form control with its hint and, when the value is wrong, the message beside it. */
export function Field({ label, hint, error, children }: { label: string; hint?: ReactNode; error?: string | undefined; children: (props: FieldControlProps) => ReactElement }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : null;
  const errorId = error ? `${id}-error` : null;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {error && (
        <p id={errorId!} className="field-error">
          {error}
        </p>
      )}
      {hint && (
        <p id={hintId!} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}
