import { SceneDescription, type SceneGeom } from '../../../../engine/api/schemas/scene.js';

/**
 * The scene description replay draws: the contract's (engine/api/schemas/scene.ts), which
 * `runs.scene` carries already checked (bodies and meshes referenced by number exist).
 * MuJoCo conventions: z up, quaternions wxyz, sizes are half-sizes and radii.
 */
export type ReplayScene = SceneDescription;
export type { SceneGeom };

/** A scene from elsewhere (a file, a fixture), or an Error naming its first problem. */
export function parseScene(raw: unknown): ReplayScene {
  const parsed = SceneDescription.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`scene description: ${issue?.path.join('.') || 'root'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Index of the body to follow with the camera: the gripper, else the hand, else the last robot link. */
export function gripperBody(scene: Pick<ReplayScene, 'bodies'>): number {
  const names = scene.bodies;
  for (const wanted of ['gripper0_right_gripper', 'robot0_right_hand']) {
    const i = names.indexOf(wanted);
    if (i >= 0) return i;
  }
  const fingers = names.findIndex((n) => n.includes('finger'));
  if (fingers >= 0) return fingers;
  for (let i = names.length - 1; i >= 0; i--) if (names[i]!.startsWith('robot0_')) return i;
  return -1;
}
