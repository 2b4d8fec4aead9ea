export * from './results-schema.js';
export * from './store.js';
export * from './ingest.js';
