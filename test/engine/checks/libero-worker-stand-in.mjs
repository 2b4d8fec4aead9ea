// A STAND-IN for python/libero_bridge/worker.py's `--check` mode (docs/libero-bridge.md "Checks"),
// for the checklist's bridge rows in tests: run with Node as the "interpreter", it prints the JSON
// lines the real worker prints, as $STAND_IN_MODE says. It checks nothing.
const mode = process.env.STAND_IN_MODE ?? 'ok';
const args = process.argv.slice(2);
if (args.join(' ') !== '--check --render') {
  process.stderr.write(`stand-in worker: expected --check --render, got ${args.join(' ')}\n`);
  process.exit(2);
}
const line = (id, ok, detail, fix = null) => process.stdout.write(JSON.stringify({ id, ok, detail, fix }) + '\n');
process.stderr.write('robosuite WARNING: this goes to stderr, as everything LIBERO prints does\n');
switch (mode) {
  case 'ok':
    line('interpreter', true, 'Python 3.11.7 (stand-in)');
    line('libero-import', true, 'LIBERO 0.1.0, robosuite 1.4.1, mujoco 3.14.0, numpy 2.4.6');
    line('config', true, 'config.yaml at /home/u/.libero/config.yaml');
    line('assets', true, 'assets in /libero/assets');
    line('init-files', true, 'libero_spatial task 0: 50 initial states');
    line('render', true, 'agentview and wrist at 128x128, not blank (MUJOCO_GL=egl)');
    break;
  case 'no-render':
    line('interpreter', true, 'Python 3.11.7 (stand-in)');
    line('libero-import', true, 'LIBERO 0.1.0');
    line('config', true, 'config.yaml found');
    line('assets', true, 'assets found');
    line('init-files', true, '50 initial states');
    line('render', false, 'agentview: blank image (MUJOCO_GL=egl)', 'try MUJOCO_GL=osmesa');
    break;
  case 'no-import':
    line('interpreter', true, 'Python 3.11.7 (stand-in)');
    line('libero-import', false, "ModuleNotFoundError: No module named 'robosuite'");
    line('config', false, 'LIBERO_CONFIG_PATH unset and ~/.libero/config.yaml missing: importing LIBERO would prompt');
    line('assets', false, 'not checked: LIBERO does not import');
    line('init-files', false, 'not checked: LIBERO does not import');
    line('render', false, 'not checked: LIBERO does not import');
    break;
  case 'crash':
    process.stdout.write('Traceback noise on stdout\n');
    line('interpreter', true, 'Python 3.11.7 (stand-in)');
    process.stderr.write('Segmentation fault in libGL\n');
    process.exit(139);
    break;
  case 'hang':
    line('interpreter', true, 'Python 3.11.7 (stand-in)');
    setTimeout(() => {}, 600_000);
    break;
}
