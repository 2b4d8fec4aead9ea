import { useEffect } from 'react';
import { Nav } from './components/Nav.js';
import { Notices } from './components/Notices.js';
import { StatusBar } from './components/StatusBar.js';
import { ChecklistPage } from './pages/ChecklistPage.js';
import { ReplayPage } from './pages/ReplayPage.js';
import { ResultsPage } from './pages/ResultsPage.js';
import { RunPage } from './pages/RunPage.js';
import { SystemPage } from './pages/SystemPage.js';
import { syncAddress } from './store/address-sync.js';
import { useApp, useAppStore } from './store/context.js';
import type { Page } from './store/navigation.js';

const PAGE_VIEWS: Record<Page, () => React.ReactElement> = {
  checklist: ChecklistPage,
  run: RunPage,
  results: ResultsPage,
  replay: ReplayPage,
  system: SystemPage,
};

export function App() {
  const page = useApp((s) => s.page);
  const store = useAppStore();

  // The address holds the page, run, episode, step and camera: reload, back/forward and links restore them.
  useEffect(() => syncAddress(store, window), [store]);

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
