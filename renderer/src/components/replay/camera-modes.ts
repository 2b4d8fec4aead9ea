/** The replay camera's modes (camera-rig.ts poses them; kept apart so the page does not load three.js). */
export type CameraMode = 'orbit' | 'follow' | 'agentview';

export const CAMERA_MODES: { mode: CameraMode; label: string }[] = [
  { mode: 'orbit', label: 'Orbit' },
  { mode: 'follow', label: 'Follow gripper' },
  { mode: 'agentview', label: 'Agent view' },
];
