// `npm start`: the Electron app where an Electron binary exists; otherwise says so in one line and
// runs `rsd serve`, which prints the URL to open.
import { spawn } from 'node:child_process';
import { findElectronBinary } from './electron-binary.mjs';

const electron = findElectronBinary();
const child =
  'path' in electron
    ? spawn(electron.path, ['.'], { stdio: 'inherit', env: { ...process.env, ELECTRON_RUN_AS_NODE: undefined } })
    : (console.log(`Electron is not available (${electron.missing}); starting rsd serve instead.`),
      spawn(process.execPath, ['bin/rsd.mjs', 'serve', ...process.argv.slice(2)], { stdio: 'inherit' }));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 1));
