/**
 * A piece of a MuJoCo model as XML fragments, spliced into one <mujoco> document by the scene
 * builder (engine/sim/scene.ts). Each asset module (robot, table, objects, fixtures) returns one.
 */
export interface MjcfParts {
  /** Children of <asset>: meshes, materials, textures. */
  assets: string;
  /** Children of <default>: default classes. */
  defaults: string;
  /** Bodies, geoms, sites, cameras, lights placed in <worldbody>. */
  worldbody: string;
  /** Children of <actuator>. */
  actuators: string;
  /** Children of <sensor>. */
  sensors?: string;
  /** Children of <contact>: <exclude body1=... body2=.../> pairs. */
  contactExcludes?: string;
}
