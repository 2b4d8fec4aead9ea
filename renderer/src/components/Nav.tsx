import { useApp } from '../store/context.js';
import type { Page } from '../store/navigation.js';

const ITEMS: { page: Page; label: string }[] = [
  { page: 'checklist', label: 'Checklist' },
  { page: 'run', label: 'Run' },
  { page: 'results', label: 'Results' },
  { page: 'replay', label: 'Replay' },
  { page: 'system', label: 'System' },
];

export function Nav() {
  const page = useApp((s) => s.page);
  return (
    <nav className="nav" aria-label="Pages">
      <div className="brand">RSD Workbench</div>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.page}>
            <a href={`#/${item.page}`} aria-current={page === item.page ? 'page' : undefined}>
              {item.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
