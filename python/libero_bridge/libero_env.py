"""One LIBERO task's environment as OpenVLA-OFT builds and resets it (docs/libero.md 1.3, 3, 4),
with the episode's fixture placement reproduced from (env_seed, episode) whatever ran before.

Import this module only after LIBERO's configuration exists (worker.py sees to it): it imports
LIBERO's env package lazily, in TaskEnv.
"""
import time

import numpy as np

import scene as scene_mod


class RequestError(Exception):
    """A request the worker refuses or that failed in a named way: becomes an error reply."""

    def __init__(self, type_, message):
        super().__init__(message)
        self.type = type_


def quat2axisangle(quat):
    """OFT's quat2axisangle (robosuite's, from its 1.4 branch): quat x y z w -> axis * angle."""
    q = np.array(quat, dtype=np.float64)
    q[3] = min(max(q[3], -1.0), 1.0)
    den = np.sqrt(1.0 - q[3] * q[3])
    if np.isclose(den, 0.0):
        return np.zeros(3)
    return (q[:3] * 2.0 * np.arccos(q[3])) / den


class RngCheckpoints:
    """np.random's state just before the hard reset of episode e of one (suite, task, seed), with the
    number of times LIBERO had loaded the task's model by then (see TaskEnv.reset)."""

    def __init__(self):
        self._by_key = {}

    def get(self, key, episode):
        points = self._by_key.get(key, {})
        best = max((e for e in points if e <= episode), default=None)
        return (best,) + points[best] if best is not None else None

    def put(self, key, episode, state, loads):
        points = self._by_key.setdefault(key, {})
        if len(points) < 1000:
            points[episode] = (state, loads)


class TaskEnv:
    """A task's env, built once per (task, cameras) and reset for every episode."""

    def __init__(self, suite, task, bddl, cameras):
        from libero.libero.envs.env_wrapper import ControlEnv, OffScreenRenderEnv

        self.suite, self.task, self.bddl = suite, task, bddl
        self.cameras = [dict(c) for c in cameras]
        if self.cameras:
            # OFT: OffScreenRenderEnv(bddl_file_name, camera_heights=256, camera_widths=256), whose
            # default cameras are agentview and robot0_eye_in_hand
            self.env = OffScreenRenderEnv(
                bddl_file_name=bddl,
                camera_names=[c["name"] for c in self.cameras],
                camera_heights=[c["height"] for c in self.cameras],
                camera_widths=[c["width"] for c in self.cameras],
            )
        else:
            # Physics only: no camera observables and no GL context (LIBERO's ControlEnv takes the
            # same arguments as OffScreenRenderEnv; rendering does not touch the simulation).
            self.env = ControlEnv(bddl_file_name=bddl, use_camera_obs=False, has_offscreen_renderer=False)
        inner = self.env.env
        # LIBERO appends one sampler per open/close/turnon/turnoff initial predicate to this list on
        # every model load and never clears it (BDDLBaseDomain._add_placement_initializer); right
        # after construction it holds one load's worth.
        self._props = list(inner.object_property_initializers)
        self._fresh_body = None
        self.objects = None
        self.body_ids = None
        self._scene = None
        self.live = False  # an episode is running (reset done, no simulation error since)
        self.goal_truth = None
        self._record_goal()

    def _record_goal(self):
        """Records the truth of each goal atom from LIBERO's own success check, so a step's reply
        carries them without evaluating the goal again: _check_success still decides `done` (it
        evaluates every state of parsed_problem["goal_state"] with self._eval_predicate); these
        instance attributes only note what each call of _eval_predicate returned."""
        inner = self.env.env
        check, evaluate = inner._check_success, inner._eval_predicate
        seen = []

        def eval_predicate(state):
            value = evaluate(state)
            seen.append(bool(value))
            return value

        def check_success():
            del seen[:]
            result = check()
            self.goal_truth = list(seen)
            return result

        inner._eval_predicate = eval_predicate
        inner._check_success = check_success

    def goal_state(self):
        """LIBERO's goal atoms, as parsed from the BDDL: [[predicate, arg, ...], ...] (lower-cased)."""
        return [[str(x) for x in state] for state in self.env.env.parsed_problem["goal_state"]]

    def step_goal(self):
        """The last step's atom truths, in goal_state order; None when LIBERO's check did not
        evaluate each atom once through _eval_predicate (a problem class of another shape)."""
        truth = self.goal_truth
        return truth if truth is not None and len(truth) == len(self.env.env.parsed_problem["goal_state"]) else None

    # ---- episodes ---------------------------------------------------------------------------

    @property
    def sim(self):
        return self.env.env.sim

    def state_size(self):
        m = self.sim.model._model
        return 1 + m.nq + m.nv

    def reset(self, init_state, objects, seed, episode, checkpoints):
        """reset + set_init_state for episode `episode` of an OFT evaluation seeded with `seed`:
        OFT calls env.seed(seed) once after building the env, then per episode env.reset() and
        set_init_state(states[episode]). Returns (obs, ms of reset + set_init_state)."""
        inner = self.env.env
        key = (self.suite, self.task, seed)
        found = checkpoints.get(key, episode)
        if found is None:
            self.env.seed(seed)  # np.random.seed, as OFT's env.seed(0)
            start, loads = 0, 1  # the constructor loaded the model once
        else:
            start, state, loads = found
            np.random.set_state(state)
        for e in range(start, episode):
            loads = self._replay_reset_draws(loads)
            checkpoints.put(key, e + 1, np.random.get_state(), loads)

        self.live = False
        if self._props:
            inner.object_property_initializers = list(self._props) * loads
        t0 = time.perf_counter()
        self._hard_reset()
        obs = self.env.set_init_state(init_state)
        ms = 1000.0 * (time.perf_counter() - t0)
        if self._props:
            loads = len(inner.object_property_initializers) // len(self._props)
        else:
            loads += 1
        checkpoints.put(key, episode + 1, np.random.get_state(), loads)

        self.check_objects(objects, obs)
        self.objects = list(objects)
        m = self.sim.model._model
        self.body_ids = scene_mod.scene_bodies(m)
        self.live = True
        return obs, ms

    def _hard_reset(self):
        """ControlEnv.reset: env.reset() again while robosuite's placement raises RandomizationError.
        (LIBERO's loop also swallows every other exception and retries forever; here those end the
        request with an error reply instead of hanging the worker.)"""
        from robosuite.utils.errors import RandomizationError

        for _ in range(10000):
            try:
                return self.env.env.reset()
            except RandomizationError:
                continue
        raise RequestError("LiberoError", "env.reset() raised RandomizationError 10000 times")

    def _replay_reset_draws(self, loads):
        """Consumes exactly the np.random draws of one OFT env.reset() without rebuilding the model
        (about 20 ms instead of 0.3-3 s), and returns the number of model loads after it.

        What a hard reset draws, in order (robosuite 1.4 MujocoEnv.reset, LIBERO's _reset_internal):
        the robot's initialisation noise (np.random.randn(7) times magnitude 0: drawn all the same),
        the open/close samplers (one per entry of the ever-growing list above), then the placement
        samplers of fixtures and objects, whose retries depend on the sites of a freshly compiled
        model. So: the data reset, fixture bodies back to their compiled poses, the list as long as
        the real reset would see it, and LIBERO's own _reset_internal, retried on
        RandomizationError like ControlEnv.reset (each retry reloads the model: one more load)."""
        import mujoco
        from robosuite.utils.errors import RandomizationError

        inner = self.env.env
        m, d = self.sim.model._model, self.sim.data._data
        if self._fresh_body is None:
            fresh = mujoco.MjModel.from_xml_string(inner.model.get_xml())
            self._fresh_body = (np.array(fresh.body_pos), np.array(fresh.body_quat))
        for _ in range(10000):
            loads += 1
            mujoco.mj_resetData(m, d)
            m.body_pos[:] = self._fresh_body[0]
            m.body_quat[:] = self._fresh_body[1]
            if self._props:
                inner.object_property_initializers = list(self._props) * loads
            try:
                inner._reset_internal()
                return loads
            except RandomizationError:
                continue
        raise RequestError("LiberoError", "replaying env.reset(): RandomizationError 10000 times")

    def step(self, action):
        """env.step; returns (obs, done, ms). Raises RequestError('SimulationError') when robosuite
        raises or the state is no longer finite."""
        if not self.live:
            raise RequestError("BadRequest", "no episode is running: reset first")
        t0 = time.perf_counter()
        self.goal_truth = None
        try:
            obs, _reward, done, _info = self.env.step(action)
        except Exception as e:
            self.live = False
            raise RequestError("SimulationError", "env.step raised %s: %s" % (type(e).__name__, e))
        ms = 1000.0 * (time.perf_counter() - t0)
        d = self.sim.data
        if not (np.all(np.isfinite(d.qpos)) and np.all(np.isfinite(d.qvel))):
            self.live = False
            raise RequestError("SimulationError", "the simulation diverged: qpos or qvel is not finite after env.step")
        return obs, bool(done), ms

    # ---- observations -----------------------------------------------------------------------

    def body_poses(self):
        d = self.sim.data._data
        ids = self.body_ids
        return np.concatenate([np.asarray(d.xpos)[ids], np.asarray(d.xquat)[ids]], axis=1).astype(np.float64)

    def observation(self, obs, ms):
        proprio = np.concatenate([
            np.asarray(obs["robot0_eef_pos"], dtype=np.float64),
            quat2axisangle(obs["robot0_eef_quat"]),
            np.asarray(obs["robot0_gripper_qpos"], dtype=np.float64),
        ])
        poses = np.zeros((len(self.objects), 7))
        for i, name in enumerate(self.objects):
            q = np.asarray(obs[name + "_quat"], dtype=np.float64)  # x y z w
            poses[i, :3] = obs[name + "_pos"]
            poses[i, 3:] = (q[3], q[0], q[1], q[2])
        images = {}
        for c in self.cameras:
            # robosuite hands on MuJoCo's bottom-up buffer: flipped to top row first, nothing else
            images[c["name"]] = np.ascontiguousarray(np.asarray(obs[c["name"] + "_image"])[::-1], dtype=np.uint8)
        return {"proprio": proprio, "object_poses": poses, "body_poses": self.body_poses(), "images": images, "step_ms": ms}

    def check_objects(self, objects, obs):
        missing = [o for o in objects if o + "_pos" not in obs or o + "_quat" not in obs]
        if missing:
            known = sorted(k[:-4] for k in obs if k.endswith("_pos") and k[:-4] + "_quat" in obs and not k.startswith("robot"))
            raise RequestError("BadRequest", "objects %s are not in %s's observations (its objects: %s)" % (missing, self.task, known))

    def scene(self):
        if self._scene is None:
            self._scene = scene_mod.describe(self.sim.model._model, self.task)
        return self._scene

    def close(self):
        try:
            self.env.close()
        except Exception:
            pass
