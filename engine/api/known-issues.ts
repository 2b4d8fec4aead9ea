/**
 * Tasks whose result does not mean what the benchmark intends in a given simulator: shown beside
 * the task wherever a run's or a fidelity report's figures are (rsd eval, rsd runs show, the
 * Results page, rsd fidelity), so nobody reads them without the caveat. docs/libero.md 7.
 */

export interface TaskCaveat {
  suite: string;
  taskId: number;
  /** One sentence. */
  note: string;
}

/** The MuJoCo version in a simulator's version string (`LIBERO 0.1.0, robosuite 1.4.1, MuJoCo 3.14.0`), if it names one. */
function mujocoVersion(version: string): [number, number] | null {
  const m = /MuJoCo (\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/**
 * The caveats that apply to these tasks in a run on `simulator`. libero_spatial task 5 in real
 * LIBERO under MuJoCo 3.4 or later: its bowl settles tilted on the ramekin's rim instead of seated
 * (LIBERO issue 141). The embedded simulator's own scene seats it.
 */
export function taskCaveats(suite: string, taskIds: readonly number[], simulator: { backend: string; version: string }): TaskCaveat[] {
  if (simulator.backend !== 'libero' || suite !== 'libero_spatial' || !taskIds.includes(5)) return [];
  const v = mujocoVersion(simulator.version);
  if (v && (v[0] < 3 || (v[0] === 3 && v[1] < 4))) return [];
  const under = v ? `MuJoCo ${v[0]}.${v[1]}` : 'MuJoCo 3.4 or later';
  return [
    {
      suite,
      taskId: 5,
      note: `under ${under} the bowl settles tilted on the ramekin's rim, not seated on it (LIBERO issue 141), so task 5's premise does not hold: report it apart`,
    },
  ];
}
