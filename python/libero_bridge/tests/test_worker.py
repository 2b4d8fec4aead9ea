"""The LIBERO bridge's worker against real LIBERO (docs/libero-bridge.md), through its own pipes.

    PYTHON -m unittest discover -s python/libero_bridge/tests -v

PYTHON is an interpreter that imports LIBERO (here: .libero-venv/bin/python, built from
../shared/libero-stack). Without LIBERO the tests skip with a printed reason. The client below is
written apart from the worker's frames.py, so each checks the other.
"""
import json
import os
import struct
import subprocess
import sys
import time
import unittest

try:
    import numpy as np
except ImportError:  # no numpy, no LIBERO: the tests that need it skip
    np = None

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(os.path.dirname(HERE), "worker.py")

# OFT's sample observation (experiments/robot/libero/sample_libero_spatial_observation.pkl):
# libero_spatial task 0, init state 0, after the 10 wait steps (docs/libero.md 4.2)
OFT_SAMPLE_STATE = [-0.2112, -0.0111, 1.1742, 3.1409, -0.0028, -0.0877, 0.0387, -0.0387]
WAIT = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0]
SPATIAL_OBJECTS = ["akita_black_bowl_1", "akita_black_bowl_2", "cookies_1", "glazed_rim_porcelain_ramekin_1", "plate_1"]

DTYPES = {"f64": "<f8", "f32": "<f4", "i32": "<i4", "u8": "u1"}


def libero_missing():
    """Why LIBERO cannot be used by this interpreter, or None."""
    if np is None:
        return "numpy is not installed"
    try:
        import importlib.util

        if importlib.util.find_spec("libero.libero") is None:
            return "the package libero.libero is not installed"
        import robosuite  # noqa: F401
        import mujoco  # noqa: F401
    except Exception as e:  # noqa: BLE001
        return "%s: %s" % (type(e).__name__, e)
    return None


def encode(message):
    """A frame, arrays as blobs (8-byte aligned)."""
    blobs, parts, offset = [], [], 0

    def walk(v):
        nonlocal offset
        if isinstance(v, np.ndarray):
            name = {"f": "f64", "i": "i32", "u": "u8"}[v.dtype.kind]
            raw = np.ascontiguousarray(v, dtype=DTYPES[name]).tobytes()
            blobs.append({"dtype": name, "shape": list(v.shape), "offset": offset, "nbytes": len(raw)})
            parts.append((offset, raw))
            offset += (len(raw) + 7) // 8 * 8
            return {"$blob": len(blobs) - 1}
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    header = walk(message)
    if blobs:
        header["blobs"] = blobs
    head = json.dumps(header).encode()
    start = (8 + len(head) + 7) // 8 * 8
    frame = bytearray(start + offset)
    struct.pack_into("<II", frame, 0, len(frame) - 4, len(head))
    frame[8:8 + len(head)] = head
    for off, raw in parts:
        frame[start + off:start + off + len(raw)] = raw
    return bytes(frame)


def read_frame(stream):
    head = stream.read(4)
    if len(head) < 4:
        return None
    (n,) = struct.unpack("<I", head)
    body = stream.read(n)
    assert len(body) == n, "short frame"
    (h,) = struct.unpack_from("<I", body, 0)
    header = json.loads(body[4:4 + h])
    start = (8 + h + 7) // 8 * 8 - 4
    arrays = []
    for b in header.pop("blobs", []):
        assert b["offset"] % 8 == 0, "unaligned blob"
        raw = body[start + b["offset"]:start + b["offset"] + b["nbytes"]]
        arrays.append(np.frombuffer(raw, dtype=DTYPES[b["dtype"]]).reshape(b["shape"]))

    def walk(v):
        if isinstance(v, dict):
            if list(v) == ["$blob"]:
                return arrays[v["$blob"]]
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(header)


class Client:
    def __init__(self, env=None):
        self.proc = subprocess.Popen([sys.executable, WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.next_id = 1
        self.hello = read_frame(self.proc.stdout)

    def call(self, op, **fields):
        rid = self.next_id
        self.next_id += 1
        self.proc.stdin.write(encode(dict(fields, op=op, id=rid)))
        self.proc.stdin.flush()
        reply = read_frame(self.proc.stdout)
        assert reply is not None, "the worker ended: " + self.proc.stderr.read().decode(errors="replace")[-2000:]
        assert reply["id"] == rid
        return reply

    def finish(self, timeout=30):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        code = self.proc.wait(timeout=timeout)
        err = self.proc.stderr.read().decode(errors="replace")
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code, err


def load_init_states(path):
    import torch

    return np.asarray(torch.load(path, weights_only=False))


MISSING = libero_missing()
if MISSING:
    print("test_worker: skipped, LIBERO is not importable by %s: %s" % (sys.executable, MISSING), file=sys.stderr)


@unittest.skipIf(MISSING, "LIBERO is not importable: %s" % MISSING)
class WorkerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = Client()

    @classmethod
    def tearDownClass(cls):
        cls.client.call("close")
        code, _ = cls.client.finish()
        assert code == 0, code

    def test_1_hello(self):
        h = self.client.hello
        self.assertEqual(h["op"], "hello")
        self.assertEqual(h["protocol"], 1)
        self.assertNotIn("error", h)
        import mujoco
        import robosuite

        self.assertEqual(h["versions"]["mujoco"], mujoco.__version__)
        self.assertEqual(h["versions"]["robosuite"], robosuite.__version__)
        self.assertEqual(h["versions"]["numpy"], np.__version__)
        self.assertEqual(h["versions"]["python"], "%d.%d.%d" % sys.version_info[:3])
        self.assertTrue(os.path.isdir(os.path.join(h["libero_root"], "bddl_files")))
        self.assertEqual(h["pid"], self.client.proc.pid)

    def test_2_episode(self):
        c = self.client
        tasks = c.call("tasks", suite="libero_spatial")
        self.assertTrue(tasks["ok"])
        self.assertEqual(len(tasks["tasks"]), 10)
        self.assertEqual([t["id"] for t in tasks["tasks"]], list(range(10)))
        t0 = tasks["tasks"][0]
        self.assertEqual(t0["name"], "pick_up_the_black_bowl_between_the_plate_and_the_ramekin_and_place_it_on_the_plate")
        self.assertEqual(t0["language"], "pick up the black bowl between the plate and the ramekin and place it on the plate")
        self.assertEqual(tasks["tasks"][7]["name"], "pick_up_the_black_bowl_on_the_stove_and_place_it_on_the_plate")
        self.assertTrue(os.path.isfile(t0["bddl"]))
        self.assertTrue(t0["init_states"].endswith(".pruned_init") and os.path.isfile(t0["init_states"]))

        states = load_init_states(t0["init_states"])
        self.assertEqual(states.shape, (50, 92))
        r = c.call("reset", suite="libero_spatial", task=t0["name"], objects=SPATIAL_OBJECTS,
                   init_state=states[0].astype(np.float64), env_seed=0, episode=0, cameras=[])
        self.assertTrue(r["ok"], r.get("error"))
        self.assertEqual(r["images"], {})
        self.assertGreater(r["step_ms"], 0)
        self.assertEqual(r["goal_state"], [["on", "akita_black_bowl_1", "plate_1"]])
        for _ in range(10):
            r = c.call("step", action=np.array(WAIT))
            self.assertTrue(r["ok"], r.get("error"))
            self.assertIs(r["success"], False)
            self.assertEqual(r["goal"], [False])  # each goal atom's truth, from the same check
        np.testing.assert_allclose(r["proprio"], OFT_SAMPLE_STATE, atol=1e-3)
        poses = r["object_poses"]
        self.assertEqual(poses.shape, (5, 7))
        np.testing.assert_allclose(np.linalg.norm(poses[:, 3:], axis=1), 1.0, atol=1e-6)
        self.assertTrue(np.all(np.abs(poses[:, 2] - 0.9) < 0.1), poses[:, 2])  # on the table

        s = c.call("scene")
        self.assertTrue(s["ok"], s.get("error"))
        scene = s["scene"]
        self.assertEqual(scene["task"], t0["name"])
        self.assertEqual(r["body_poses"].shape, (len(scene["bodies"]), 7))
        for name in ["table", "akita_black_bowl_1_main", "plate_1_main", "robot0_link7", "wooden_cabinet_1_base"]:
            self.assertIn(name, scene["bodies"])
        self.assertGreater(len(scene["meshes"]), 10)
        for m in scene["meshes"]:
            self.assertEqual(m["vertices"].dtype, np.float32)
            self.assertEqual(m["vertices"].shape[1], 3)
            self.assertEqual(m["faces"].shape[1], 3)
            self.assertLessEqual(len(m["faces"]), 2000)
            self.assertTrue(m["faces"].min() >= 0 and m["faces"].max() < len(m["vertices"]))
        for g in scene["geoms"]:
            self.assertLess(g["body"], len(scene["bodies"]))
            self.assertIn(g["type"], ["plane", "sphere", "capsule", "ellipsoid", "cylinder", "box", "mesh"])
            if g["type"] == "mesh":
                self.assertLess(g["mesh"], len(scene["meshes"]))
            self.assertEqual((len(g["size"]), len(g["pos"]), len(g["quat"]), len(g["rgba"])), (3, 3, 4, 4))
        size = sum(m["vertices"].size * 8 + m["faces"].size * 5 for m in scene["meshes"])
        self.assertLess(size, 1_500_000)
        p = c.call("poses")
        np.testing.assert_allclose(p["body_poses"], r["body_poses"])

        # a bad action is refused; the worker goes on serving
        bad = c.call("step", action=np.array([0.0, 0.0, np.nan, 0.0, 0.0, 0.0, -1.0]))
        self.assertFalse(bad["ok"])
        self.assertEqual(bad["error"]["type"], "BadRequest")
        short = c.call("step", action=np.array([0.0, 0.0, 0.0]))
        self.assertEqual(short["error"]["type"], "BadRequest")
        unknown = c.call("fly")
        self.assertEqual(unknown["error"]["type"], "BadRequest")
        again = c.call("step", action=np.array(WAIT))
        self.assertTrue(again["ok"], again.get("error"))
        self.assertTrue(c.call("ping")["ok"])

    def test_3_seeding(self):
        """Episode t's fixtures are those of OFT's (t+1)-th reset after env.seed(0), whatever the
        worker ran before. Task 4 is the hard case: its open-drawer sampler list grows per reset."""
        c = self.client
        t4 = c.call("tasks", suite="libero_spatial")["tasks"][4]
        states = load_init_states(t4["init_states"])

        def reset(episode):
            r = c.call("reset", suite="libero_spatial", task=t4["name"], objects=SPATIAL_OBJECTS,
                       init_state=states[episode].astype(np.float64), env_seed=0, episode=episode, cameras=[])
            self.assertTrue(r["ok"], r.get("error"))
            return r["body_poses"]

        late, first, late_again = reset(2), reset(0), reset(2)
        bodies = c.call("scene")["scene"]["bodies"]
        np.testing.assert_array_equal(late, late_again)

        # OFT's own sequence, in this process
        from libero.libero.envs import OffScreenRenderEnv  # noqa: F401 (the worker's env classes)
        from libero.libero.envs.env_wrapper import ControlEnv

        env = ControlEnv(bddl_file_name=t4["bddl"], use_camera_obs=False, has_offscreen_renderer=False)
        try:
            env.seed(0)
            ref = []
            for episode in range(3):
                env.reset()
                env.set_init_state(states[episode])
                m, d = env.sim.model._model, env.sim.data._data
                ids = [m.body(name).id for name in bodies]
                ref.append(np.concatenate([d.xpos[ids], d.xquat[ids]], axis=1))
        finally:
            env.close()
        np.testing.assert_array_equal(first, ref[0])
        np.testing.assert_array_equal(late, ref[2])
        cabinet = bodies.index("wooden_cabinet_1_base")
        self.assertGreater(np.abs(ref[0][cabinet] - ref[2][cabinet]).max(), 1e-4)  # the fixtures did move


@unittest.skipIf(MISSING, "LIBERO is not importable: %s" % MISSING)
class GoalAtomsTest(unittest.TestCase):
    def test_atoms_come_from_liberos_own_check(self):
        """In this process: the bowl dropped onto the plate. At every step LIBERO's `done` is the AND
        of the recorded atoms, and the atoms are what LIBERO's _eval_predicate says of that state."""
        sys.path.insert(0, os.path.dirname(HERE))
        import worker

        worker.ensure_libero_config()
        import libero_env
        from libero.libero import benchmark, get_libero_path

        task = benchmark.get_benchmark_dict()["libero_spatial"]().get_task(0)
        bddl = os.path.join(get_libero_path("bddl_files"), task.problem_folder, task.bddl_file)
        states = load_init_states(os.path.join(get_libero_path("init_states"), task.problem_folder, task.init_states_file))
        env = libero_env.TaskEnv("libero_spatial", task.name, bddl, [])
        try:
            obs, _ = env.reset(states[0].astype(np.float64), SPATIAL_OBJECTS, 0, 0, libero_env.RngCheckpoints())
            self.assertEqual(env.goal_state(), [["on", "akita_black_bowl_1", "plate_1"]])
            inner = env.env.env
            above = np.concatenate([obs["plate_1_pos"] + [0, 0, 0.05], [1, 0, 0, 0]])
            inner.sim.data.set_joint_qpos(inner.objects_dict["akita_black_bowl_1"].joints[-1], above)
            inner.sim.forward()
            seen = []
            for _ in range(30):
                _, done, _ = env.step(np.array(WAIT))
                goal = env.step_goal()
                self.assertEqual(done, all(goal))
                self.assertEqual(goal, [bool(inner._eval_predicate(s)) for s in inner.parsed_problem["goal_state"]])
                seen.append(done)
            self.assertFalse(seen[0])  # still falling
            self.assertTrue(seen[-1], "the bowl dropped onto the plate should be On it")
        finally:
            env.close()


@unittest.skipIf(MISSING, "LIBERO is not importable: %s" % MISSING)
class FaultTest(unittest.TestCase):
    def test_garbage_frame(self):
        c = Client()
        self.assertEqual(c.hello["op"], "hello")
        c.proc.stdin.write(struct.pack("<I", 0xFFFFFFF0) + b"garbage")
        c.proc.stdin.flush()
        code, err = c.finish()
        self.assertNotEqual(code, 0)
        self.assertIn("bad frame", err)

    def test_eof_exits_0(self):
        c = Client()
        code, _ = c.finish()
        self.assertEqual(code, 0)


class MissingLiberoTest(unittest.TestCase):
    def test_hello_error(self):
        """An interpreter without LIBERO: the hello says so and the worker exits 3."""
        env = dict(os.environ, PYTHONNOUSERSITE="1", LIBERO_CONFIG_PATH=os.path.join(HERE, "no-such-config"))
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-S", WORKER], input=b"", stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, timeout=60)
        self.assertEqual(proc.returncode, 3, proc.stderr.decode(errors="replace")[-2000:])
        import io

        hello = read_frame(io.BytesIO(proc.stdout))
        self.assertEqual(hello["op"], "hello")
        self.assertEqual(hello["error"]["type"], "LiberoMissing")
        self.assertIn(sys.executable, hello["error"]["message"])
        self.assertLess(time.perf_counter() - t, 60)


if __name__ == "__main__":
    unittest.main(verbosity=2)
