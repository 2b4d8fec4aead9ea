import { z } from 'zod';

/**
 * The scene description that `runs.scene` carries (engine/sim SceneDescription), checked here: the
 * contract types it loosely (`geoms: unknown[]`), and replay indexes bodies and meshes by number.
 * MuJoCo conventions: z up, quaternions wxyz, sizes are half-sizes and radii.
 */

const Vec3 = z.tuple([z.number(), z.number(), z.number()]);
const Vec4 = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const Index = z.number().int().nonnegative();

const SceneGeomSchema = z.object({
  body: Index,
  type: z.enum(['plane', 'sphere', 'capsule', 'ellipsoid', 'cylinder', 'box', 'mesh']),
  size: Vec3,
  pos: Vec3,
  quat: Vec4,
  rgba: Vec4,
  mesh: Index.optional(),
});

const SceneSchema = z
  .object({
    task: z.string(),
    bodies: z.array(z.string()),
    geoms: z.array(SceneGeomSchema),
    meshes: z.array(z.object({ vertices: z.array(z.number()), faces: z.array(Index) })),
  })
  .superRefine((s, ctx) => {
    s.geoms.forEach((g, i) => {
      if (g.body >= s.bodies.length) ctx.addIssue({ code: 'custom', path: ['geoms', i, 'body'], message: `body ${g.body} of ${s.bodies.length}` });
      if (g.type === 'mesh' && (g.mesh === undefined || g.mesh >= s.meshes.length)) {
        ctx.addIssue({ code: 'custom', path: ['geoms', i, 'mesh'], message: `a mesh geom needs a mesh index below ${s.meshes.length}` });
      }
    });
    s.meshes.forEach((m, i) => {
      const vertices = m.vertices.length / 3;
      if (!Number.isInteger(vertices)) ctx.addIssue({ code: 'custom', path: ['meshes', i, 'vertices'], message: 'not a whole number of xyz triples' });
      if (m.faces.length % 3 !== 0) ctx.addIssue({ code: 'custom', path: ['meshes', i, 'faces'], message: 'not a whole number of triangles' });
      if (m.faces.some((f) => f >= vertices)) ctx.addIssue({ code: 'custom', path: ['meshes', i, 'faces'], message: `a face refers past the ${vertices} vertices` });
    });
  });

/** engine/sim's SceneDescription, as checked here (engine/sim itself is Node-side: its imports reach node:fs). */
export type ReplayScene = z.infer<typeof SceneSchema>;
export type SceneGeom = ReplayScene['geoms'][number];

/** The scene, or an Error naming its first problem. */
export function parseScene(raw: unknown): ReplayScene {
  const parsed = SceneSchema.safeParse(raw);
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
