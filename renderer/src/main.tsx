import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { connectToEngine } from './connection.js';
import { createAppStore } from './store/index.js';
import { StoreProvider } from './store/context.js';
import './styles.css';

const store = createAppStore();
store.getState().attach(connectToEngine());

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
