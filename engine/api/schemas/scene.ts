import { z } from 'zod';

/**
 * The scene description (docs/architecture.md "Seams", `Simulator.sceneDescription()`): everything replay
 * needs to draw a task's scene, whichever simulator ran it. Stored once per task beside a run's
 * trajectories as `scene-taskNN.json` ({@link SceneFile}), carried by `runs.scene`.
 * MuJoCo conventions: z up, quaternions wxyz, sizes are half-sizes and radii.
 */

export const SCENE_FORMAT = 'rsd-scene/1';

const Vec3 = z.tuple([z.number(), z.number(), z.number()]);
const Vec4 = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const Index = z.number().int().nonnegative();

export const SCENE_GEOM_TYPES = ['plane', 'sphere', 'capsule', 'ellipsoid', 'cylinder', 'box', 'mesh'] as const;

export const SceneGeom = z.strictObject({
  /** Index into SceneDescription.bodies. */
  body: Index,
  type: z.enum(SCENE_GEOM_TYPES),
  size: Vec3,
  /** Pose relative to its body. */
  pos: Vec3,
  quat: Vec4,
  rgba: Vec4,
  /** Index into SceneDescription.meshes for mesh geoms. */
  mesh: Index.optional(),
});
export type SceneGeom = z.infer<typeof SceneGeom>;

export const SceneMesh = z.strictObject({ vertices: z.array(z.number()), faces: z.array(Index) });
export type SceneMesh = z.infer<typeof SceneMesh>;

/** Replay indexes bodies and meshes by number, so the references are checked too. */
export const SceneDescription = z
  .strictObject({
    task: z.string(),
    bodies: z.array(z.string()),
    geoms: z.array(SceneGeom),
    meshes: z.array(SceneMesh),
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
export type SceneDescription = z.infer<typeof SceneDescription>;

/** `scene-task03.json`: the task's scene description, once per task beside the trajectories. */
export const SceneFile = z.strictObject({
  format: z.literal(SCENE_FORMAT),
  taskId: Index,
  description: SceneDescription,
});
export type SceneFile = z.infer<typeof SceneFile>;
