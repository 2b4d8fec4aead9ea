import { useEffect } from 'react';
import { Nav } from './components/Nav.js';
import { Notices } from './components/Notices.js';
import { StatusBar } from './components/StatusBar.js';
import { ChecklistPage } from './pages/ChecklistPage.js';
import { ReplayPage } from './pages/ReplayPage.js';
import { ResultsPage } from './pages/ResultsPage.js';
import { RunPage } from './pages/RunPage.js';
import { SystemPage } from './pages/SystemPage.js';
import { useApp } from './store/context.js';
import { pageFromHash, type Page } from './store/navigation.js';

const PAGE_VIEWS: Record<Page, () => React.ReactElement> = {
  checklist: ChecklistPage,
  run: RunPage,
  results: ResultsPage,
  replay: ReplayPage,
  system: SystemPage,
};

export function App() {
  const page = useApp((s) => s.page);
  const navigate = useApp((s) => s.navigate);

  // The address bar's hash is the page, so back/forward and deep links work.
  useEffect(() => {
    const sync = () => navigate(pageFromHash(window.location.hash));
    window.addEventListener('hashchange', sync);
    return () => window.removeEventListener('hashchange', sync);
  }, [navigate]);

  const View = PAGE_VIEWS[page];
  return (
    <div className="app">
      <Nav />
      <main className="page">
        <View />
      </main>
      <Notices />
      <StatusBar />
    </div>
  );
}
