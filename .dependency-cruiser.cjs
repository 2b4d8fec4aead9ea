// Import rules of RSD Workbench (docs/architecture.md "The contract (engine/api)" and "Import
// rules"), checked by dependency-cruiser in `npm test` (test/engine/imports.test.ts).
//
// Layers of engine/, low to high; a layer may import its own and lower ones only (the low ones, up
// to sim, only those lower ones their rule names):
//   util, api/schemas        leaves (schemas: zod only)
//   rfsq, onnx               the codec, the ONNX graph builder
//   libero                   LIBERO's facts as code
//   sim                      the simulator seam, its factory and its embedded backend
//   api (the contract)       errors, requests, client, transports: what the renderer bundles (self-contained)
//   bundle, decoding         model bundles, decoding strategies
//   policy, workers          the policy seam and its kinds; the worker-thread pool
//   expert                   the scripted expert
//   eval, runs, checks, settings, system    services behind the requests (eval and runs use each other)
//   fidelity                 the simulator fidelity report: the expert, a policy and two simulators,
//                            run pairing from eval and runs (docs/libero-bridge.md "Fidelity report")
//   targets                  where a run executes (the local one wraps the runner)
//   host                     host.ts (EngineHost, the Handlers type) is used by the services' handlers;
//                            handlers.ts assembles them and is an entry point
//   commands, cli.ts, server.ts, bench      entry points
//
// Known violations, none now: .dependency-cruiser-known-violations.json.

/** A folder or file of engine/, for `path` regexes. */
const engine = (...names) => `^engine/(${names.join('|')})`;
const NPM = (name) => `(^|/)node_modules/${name}/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // ---- the renderer and the contract ----
    {
      name: 'renderer-imports-only-the-contract',
      comment:
        'The renderer is a sandboxed web page that talks to the engine only through the contract: engine/api (schemas, client, transports, browser-safe helpers). The rest of engine/ is Node-side, and what it computes (comparisons, summaries) the renderer asks the engine for.',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^engine/', pathNot: '^engine/api/' },
    },
    {
      name: 'renderer-not-in-process-transport',
      comment: 'The in-process transport holds the engine host itself (the CLI, tests); the page reaches the engine over IPC or a WebSocket.',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^engine/api/transports/in-process\\.ts$' },
    },
    {
      name: 'contract-is-self-contained',
      comment:
        'engine/api is bundled into the renderer: it may import only engine/api and zod (no other engine module, no Node built-in), so everything the renderer reaches through it is browser-safe. The in-process transport is the one exception: it hands requests to the engine host in the same process.',
      severity: 'error',
      from: { path: '^engine/api/', pathNot: '^engine/api/transports/in-process\\.ts$' },
      to: { pathNot: ['^engine/api/', NPM('zod')] },
    },
    {
      name: 'schemas-are-leaves',
      comment: 'engine/api/schemas is the one place where run configuration, results, trajectories, scenes, comparisons and events are defined: zod schemas and enums, depending on nothing but zod and each other.',
      severity: 'error',
      from: { path: '^engine/api/schemas/' },
      to: { pathNot: ['^engine/api/schemas/', NPM('zod')] },
    },

    // ---- no upward imports in engine/ ----
    {
      name: 'util-is-a-leaf',
      comment: 'engine/util holds small helpers every layer uses; it imports nothing else of the engine.',
      severity: 'error',
      from: { path: '^engine/util/' },
      to: { path: '^engine/', pathNot: '^engine/util/' },
    },
    {
      name: 'codecs-are-low',
      comment: 'rfsq (the residual FSQ codec) and onnx (the graph builder) are building blocks: they import only themselves, util and the schemas.',
      severity: 'error',
      from: { path: engine('rfsq', 'onnx') + '/' },
      to: { path: '^engine/', pathNot: engine('rfsq', 'onnx', 'util', 'api/schemas') + '/' },
    },
    {
      name: 'libero-not-sim',
      comment:
        'libero/ is LIBERO as data (BDDL, suites, predicates, init states) and must never need a simulator: the simulator uses it, not the other way round (the embedded backend\'s own initial-state sampling lives in engine/sim/embedded/).',
      severity: 'error',
      from: { path: '^engine/libero/' },
      to: { path: '^engine/sim/' },
    },
    {
      name: 'libero-is-low',
      comment: 'libero/ imports only itself, util and the schemas.',
      severity: 'error',
      from: { path: '^engine/libero/' },
      to: { path: '^engine/', pathNot: engine('libero', 'util', 'api/schemas') + '/' },
    },
    {
      name: 'sim-is-low',
      comment:
        'The simulator seam (docs/architecture.md "Seams") sits under evaluation, the expert, the commands and the host: sim/ imports only itself, libero, util and the schemas, so any backend can be driven by whatever runs episodes.',
      severity: 'error',
      from: { path: '^engine/sim/' },
      to: { path: '^engine/', pathNot: engine('sim', 'libero', 'util', 'api/schemas') + '/' },
    },
    {
      name: 'models-below-services',
      comment: 'Bundles and decoding are used by evaluation, the expert, checks and benchmarks; they never reach up into them, the host or the entry points.',
      severity: 'error',
      from: { path: engine('bundle', 'decoding') + '/' },
      to: { path: [engine('expert', 'eval', 'runs', 'checks', 'settings', 'system', 'fidelity', 'host', 'commands', 'bench') + '/', engine('cli', 'server') + '\\.ts$'] },
    },
    {
      name: 'policies-below-services',
      comment: 'The policy seam (engine/policy) and the worker pool are used by evaluation, the expert and the benchmarks; they never reach up into them, the targets, the host or the entry points.',
      severity: 'error',
      from: { path: engine('policy', 'workers') + '/' },
      to: { path: [engine('expert', 'eval', 'runs', 'checks', 'settings', 'system', 'fidelity', 'host', 'commands', 'bench', 'targets') + '/', engine('cli', 'server') + '\\.ts$'] },
    },
    {
      name: 'services-below-targets',
      comment: 'An execution target runs a resolved run (the local one through the runner); the runner never learns which target started it, and the fidelity report makes its own simulators.',
      severity: 'error',
      from: { path: engine('eval/runner', 'eval/sim-', 'eval/resolve', 'expert', 'runs', 'policy', 'sim', 'bundle', 'decoding', 'fidelity') },
      to: { path: '^engine/targets/' },
    },
    {
      name: 'expert-below-eval',
      comment: 'The scripted expert is a policy that evaluation runs; it does not know about runs, evaluation, the host or the entry points.',
      severity: 'error',
      from: { path: '^engine/expert/' },
      to: { path: [engine('eval', 'runs', 'checks', 'settings', 'system', 'fidelity', 'host', 'commands', 'bench') + '/', engine('cli', 'server') + '\\.ts$'] },
    },
    {
      name: 'services-below-fidelity',
      comment:
        'The fidelity report (engine/fidelity) drives the expert, a policy and two simulators and pairs evaluation runs: it sits above evaluation, the run store and the other services, which never import it (the host assembly and the commands do).',
      severity: 'error',
      from: { path: engine('eval', 'runs', 'checks', 'settings', 'system') + '/' },
      to: { path: '^engine/fidelity/' },
    },
    {
      name: 'only-the-cli-imports-commands',
      comment: 'engine/commands are the `rsd` subcommands and engine/cli.ts dispatches them: nothing else in the engine may depend on a command.',
      severity: 'error',
      from: { path: '^engine/', pathNot: ['^engine/cli\\.ts$', '^engine/commands/'] },
      to: { path: ['^engine/commands/', '^engine/cli\\.ts$'] },
    },
    {
      name: 'entry-points-on-top',
      comment: 'The benchmarks, `rsd serve` (server.ts) and the host assembly (host/handlers.ts) are started by commands (and Electron); nothing under them imports them.',
      severity: 'error',
      from: { path: '^engine/', pathNot: ['^engine/(cli|server)\\.ts$', '^engine/(commands|bench)/'] },
      to: { path: ['^engine/bench/', '^engine/server\\.ts$', '^engine/server/', '^engine/host/handlers\\.ts$'] },
    },
    {
      name: 'engine-not-ui',
      comment: 'The engine runs in Node (CLI, `rsd serve`, Electron utility process): it never imports the renderer, the Electron shell or the electron package.',
      severity: 'error',
      from: { path: '^engine/' },
      to: { path: ['^renderer/', '^electron/', NPM('electron')] },
    },
    {
      name: 'no-circular-engine',
      comment: 'Import cycles in the engine make load order matter (worker threads start from a bootstrap); type-only cycles are harmless and allowed.',
      severity: 'error',
      from: { path: '^engine/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-tests-in-the-app',
      comment: 'Application code never imports test code.',
      severity: 'error',
      from: { path: '^(engine|renderer|electron)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    // TypeScript 7 (tsgo) has no JavaScript API, so swc parses .ts and .tsx.
    parser: 'swc',
    // Type-only imports count: a renderer file must not even name an engine type outside the contract.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'] },
  },
};
