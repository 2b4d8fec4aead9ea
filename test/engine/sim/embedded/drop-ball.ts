import type { MainModule } from '@mujoco/mujoco';

/** A free ball dropped onto a plane for 100 steps: its height at the end. */
export function dropBall(mj: MainModule): number {
  const model = mj.MjModel.from_xml_string('<mujoco><worldbody><geom type="plane" size="1 1 0.1"/><body pos="0 0 0.5"><freejoint/><geom size="0.05"/></body></worldbody></mujoco>');
  const data = new mj.MjData(model);
  for (let i = 0; i < 100; i++) mj.mj_step(model, data);
  const z = data.qpos[2]!;
  data.delete();
  model.delete();
  return z;
}
