import { CHECK_IDS, type CheckId } from '../api/checks.js';
import { bundleDraftCheck } from './bundle-draft.js';
import { bundleManifestCheck } from './bundle-manifest.js';
import { bundleModelsCheck } from './bundle-models.js';
import { bundleRfsqCheck } from './bundle-rfsq.js';
import { cpuCheck } from './ep-cpu.js';
import { cudaCheck } from './ep-cuda.js';
import { webgpuCheck } from './ep-webgpu.js';
import { modalCheck, trackerCheck } from './later.js';
import { bridgeAssetsCheck, bridgeConfigCheck, bridgeInitCheck, bridgeLiberoCheck, bridgePythonCheck, bridgeRenderCheck } from './libero-bridge.js';
import { liberoFilesCheck } from './libero-files.js';
import { policyServerCheck } from './policy-server.js';
import { settingsFileCheck } from './settings-file.js';
import { sceneCheck } from './sim-scene.js';
import { mujocoCheck } from './sim-mujoco.js';
import type { Check } from './types.js';

// Keyed by id, so the compiler insists on one check for every id the contract lists.
const BY_ID: Record<CheckId, Check> = {
  'ep.cpu': cpuCheck,
  'ep.webgpu': webgpuCheck,
  'ep.cuda': cudaCheck,
  'bundle.manifest': bundleManifestCheck,
  'bundle.models': bundleModelsCheck,
  'bundle.rfsq': bundleRfsqCheck,
  'bundle.draft': bundleDraftCheck,
  'sim.mujoco': mujocoCheck,
  'sim.scene': sceneCheck,
  'libero.files': liberoFilesCheck,
  'bridge.python': bridgePythonCheck,
  'bridge.libero': bridgeLiberoCheck,
  'bridge.config': bridgeConfigCheck,
  'bridge.assets': bridgeAssetsCheck,
  'bridge.init': bridgeInitCheck,
  'bridge.render': bridgeRenderCheck,
  'policy.server': policyServerCheck,
  'remote.modal': modalCheck,
  'remote.tracker': trackerCheck,
  'settings.file': settingsFileCheck,
};

/** Every check, in the checklist's order (the contract's CHECK_IDS order). */
export const CHECKS: readonly Check[] = CHECK_IDS.map((id) => BY_ID[id]);
