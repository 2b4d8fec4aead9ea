import type { ReactNode } from 'react';

/** What a page will hold and how to get there, said plainly while it holds nothing. */
export function EmptyState({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="empty-state">
      <h2>{title}</h2>
      {children}
    </div>
  );
}
