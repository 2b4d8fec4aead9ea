#!/usr/bin/env python3
"""The LIBERO bridge's worker: the user's LIBERO behind the engine's Simulator seam.

    PYTHON python/libero_bridge/worker.py            serve the protocol on stdin/stdout
    PYTHON python/libero_bridge/worker.py --check [--render]
                                                     one JSON line per prerequisite

The protocol (version 1) is docs/libero-bridge.md's: length-prefixed frames with a JSON header and
binary blobs, a `hello` first, then one reply per request. Exit status: 0 after `close` or at the
end of the input, 2 on a frame that cannot be read, 3 when LIBERO cannot be imported.
Only numpy and the user's LIBERO / robosuite / MuJoCo are imported; the sibling modules come from
this script's folder.
"""
import os
import sys
import traceback

PROTOCOL = 1
EXIT_BAD_FRAME = 2
EXIT_NO_LIBERO = 3


def isolate_stdio():
    """Frames get private copies of stdin and stdout; descriptor 1 becomes stderr (anything LIBERO,
    robosuite or MuJoCo print goes there) and descriptor 0 /dev/null (LIBERO's first-run input()
    reads end-of-file, never a frame). Returns (requests, replies) binary files."""
    replies = os.fdopen(os.dup(1), "wb")
    requests = os.fdopen(os.dup(0), "rb")
    sys.stdout.flush()
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdout = sys.stderr
    return requests, replies


# ---- LIBERO's configuration ------------------------------------------------------------------


def user_config():
    """LIBERO's config file as LIBERO itself looks it up (libero/libero/__init__.py)."""
    folder = os.environ.get("LIBERO_CONFIG_PATH", os.path.expanduser("~/.libero"))
    return os.path.join(folder, "config.yaml")


def libero_package_dir():
    """libero/libero's folder, found without importing it (its __init__ is what prompts)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("libero.libero")
    except Exception:
        return None
    if spec is None or not spec.origin or not os.path.isfile(spec.origin):
        return None
    return os.path.dirname(os.path.abspath(spec.origin))


def own_config_dir():
    base = os.environ.get("RSD_BRIDGE_CACHE")
    if not base:
        import tempfile

        uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
        base = os.path.join(tempfile.gettempdir(), "rsd-libero-bridge-%s" % uid)
    return os.path.join(base, "libero-config")


def ensure_libero_config():
    """When LIBERO has no config (it would ask questions on its first import), writes one into a
    folder of the worker's own, with the paths LIBERO's get_default_path_dict derives from the
    installed package, and points LIBERO_CONFIG_PATH at it. The user's files are never touched.
    Returns (kind, path): ('user', file) | ('own', file) | ('none', None) when LIBERO is not found."""
    existing = user_config()
    if os.path.isfile(existing):
        return "user", existing
    root = libero_package_dir()
    if root is None:
        return "none", None
    import json

    paths = [
        ("benchmark_root", root),
        ("bddl_files", os.path.join(root, "bddl_files")),
        ("init_states", os.path.join(root, "init_files")),
        ("datasets", os.path.normpath(os.path.join(root, "..", "datasets"))),
        ("assets", os.path.join(root, "assets")),
    ]
    folder = own_config_dir()
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "config.yaml")
    # JSON strings are YAML double-quoted scalars; written atomically (workers start side by side)
    text = "".join("%s: %s\n" % (k, json.dumps(v)) for k, v in paths)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    os.environ["LIBERO_CONFIG_PATH"] = folder
    return "own", path


def import_libero():
    """Imports what the worker uses; returns the versions. Raises what the import raised."""
    import numpy
    import mujoco
    import robosuite
    from libero.libero import get_libero_path  # noqa: F401 (reads the config)
    from libero.libero.envs import env_wrapper  # noqa: F401 (robosuite's envs, LIBERO's problems)

    return {
        "python": "%d.%d.%d" % sys.version_info[:3],
        "libero": libero_version(),
        "robosuite": getattr(robosuite, "__version__", "unknown"),
        "mujoco": getattr(mujoco, "__version__", "unknown"),
        "numpy": numpy.__version__,
    }


def libero_version():
    try:
        import importlib.metadata as md

        return md.version("libero")
    except Exception:
        pass
    root = libero_package_dir()
    if root:
        import re

        setup = os.path.join(root, "..", "..", "setup.py")
        try:
            with open(setup) as f:
                found = re.search(r"""version\s*=\s*["']([^"']+)["']""", f.read())
            if found:
                return found.group(1)
        except OSError:
            pass
    return "unknown"


# ---- serving -----------------------------------------------------------------------------------


class Worker:
    MAX_ENVS = 2

    def __init__(self, out):
        from collections import OrderedDict

        import libero_env

        self.out = out
        self.envs = OrderedDict()  # (suite, task, cameras) -> TaskEnv, most recent last
        self.current = None
        self.checkpoints = libero_env.RngCheckpoints()
        self.debug = os.environ.get("RSD_BRIDGE_DEBUG") == "1"
        from libero.libero import get_libero_path

        # read once: LIBERO prints a warning for every missing path on every lookup
        self.bddl_root = get_libero_path("bddl_files")
        self.init_root = get_libero_path("init_states")
        self.libero_root = get_libero_path("benchmark_root")

    def send(self, message):
        import frames

        self.out.write(frames.encode(message))
        self.out.flush()

    def serve(self, inp):
        import frames
        from libero_env import RequestError

        handlers = {"tasks": self.tasks, "reset": self.reset, "step": self.step, "scene": self.scene,
                    "poses": self.poses, "ping": self.ping, "close": self.ping}
        while True:
            try:
                msg = frames.read(inp)
            except frames.BadFrame as e:
                sys.stderr.write("libero worker: bad frame on stdin: %s\n" % e)
                sys.stderr.flush()
                return EXIT_BAD_FRAME
            if msg is None:
                return 0
            rid, op = msg.get("id"), msg.get("op")
            try:
                if not isinstance(rid, int) or isinstance(rid, bool):
                    raise RequestError("BadRequest", "a request needs an integer id, got %r" % (rid,))
                if op not in handlers:
                    raise RequestError("BadRequest", "unknown op %r (ops: %s)" % (op, ", ".join(sorted(handlers))))
                reply = handlers[op](msg)
                reply.update(id=rid, ok=True)
                frame = frames.encode(reply)
            except Exception as e:
                if self.debug:
                    traceback.print_exc()
                if isinstance(e, RequestError):
                    kind, text = e.type, str(e)
                else:
                    kind, text = "LiberoError", "%s: %s" % (type(e).__name__, e)
                frame = frames.encode({"id": rid if isinstance(rid, int) else None, "ok": False,
                                       "error": {"type": kind, "message": text[:4000]}})
            try:
                self.out.write(frame)
                self.out.flush()
            except (BrokenPipeError, OSError):
                return 0  # the engine is gone
            if op == "close":
                self.close_all()
                return 0

    # -- requests --

    def ping(self, msg):
        return {}

    def tasks(self, msg):
        from libero_env import RequestError

        suite_name = msg.get("suite")
        from libero.libero import benchmark

        suites = benchmark.get_benchmark_dict()
        if not isinstance(suite_name, str) or suite_name.lower() not in suites:
            raise RequestError("BadRequest", "unknown suite %r (LIBERO's: %s)" % (suite_name, ", ".join(sorted(suites))))
        suite = suites[suite_name.lower()]()
        bddl_root, init_root = self.bddl_root, self.init_root
        out = []
        for i in range(suite.n_tasks):
            t = suite.get_task(i)
            out.append({
                "id": i,
                "name": t.name,
                "language": t.language,
                "bddl": os.path.join(bddl_root, t.problem_folder, t.bddl_file),
                "init_states": os.path.join(init_root, t.problem_folder, t.init_states_file),
            })
        return {"tasks": out}

    def reset(self, msg):
        import re

        import numpy as np
        from libero_env import RequestError, TaskEnv

        def bad(text):
            raise RequestError("BadRequest", "reset: " + text)

        suite, task = msg.get("suite"), msg.get("task")
        name_ok = re.compile(r"^[A-Za-z0-9_.\-]+$")
        if not isinstance(suite, str) or not name_ok.match(suite) or suite.startswith("."):
            bad("suite %r is not a suite name" % (suite,))
        if not isinstance(task, str) or not name_ok.match(task) or task.startswith("."):
            bad("task %r is not a task name" % (task,))
        objects = msg.get("objects")
        if not isinstance(objects, list) or not all(isinstance(o, str) for o in objects):
            bad("objects must be a list of names")
        seed, episode = msg.get("env_seed"), msg.get("episode")
        for field, v in (("env_seed", seed), ("episode", episode)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                bad("%s must be a non-negative integer, got %r" % (field, v))
        if seed >= 2 ** 32:
            bad("env_seed must be below 2**32 (np.random.seed)")
        cams = msg.get("cameras", [])
        if not isinstance(cams, list):
            bad("cameras must be a list")
        cameras = []
        for c in cams:
            ok = isinstance(c, dict) and isinstance(c.get("name"), str) and all(
                isinstance(c.get(k), int) and not isinstance(c.get(k), bool) and 0 < c.get(k) <= 4096 for k in ("width", "height"))
            if not ok:
                bad("each camera is {name, width, height} with sizes 1 to 4096, got %r" % (c,))
            cameras.append({"name": c["name"], "width": c["width"], "height": c["height"]})
        state = msg.get("init_state")
        if not isinstance(state, np.ndarray) or state.ndim != 1:
            bad("init_state must be a 1-d f64 array")
        state = state.astype(np.float64)
        if not np.all(np.isfinite(state)):
            bad("init_state has non-finite values")
        bddl = os.path.join(self.bddl_root, suite, task + ".bddl")
        if not os.path.isfile(bddl):
            bad("no BDDL file for %s task %s: %s does not exist" % (suite, task, bddl))

        key = (suite, task, tuple((c["name"], c["width"], c["height"]) for c in cameras))
        env = self.envs.pop(key, None)
        if env is None:
            env = TaskEnv(suite, task, bddl, cameras)
            while len(self.envs) >= self.MAX_ENVS:
                _, old = self.envs.popitem(last=False)
                old.close()
        self.envs[key] = env
        self.current = env
        if len(state) != env.state_size():
            bad("init_state has %d values; %s's state is 1 + nq + nv = %d" % (len(state), task, env.state_size()))
        obs, ms = env.reset(state, objects, seed, episode, self.checkpoints)
        reply = env.observation(obs, ms)
        reply["goal_state"] = env.goal_state()
        return reply

    def step(self, msg):
        import numpy as np
        from libero_env import RequestError

        env = self.current
        if env is None:
            raise RequestError("BadRequest", "step before any reset")
        a = msg.get("action")
        try:
            action = np.array(a, dtype=np.float64)
        except (TypeError, ValueError):
            raise RequestError("BadRequest", "action is not an array of numbers")
        if action.shape != (7,):
            raise RequestError("BadRequest", "action must have 7 values, got shape %s" % (list(action.shape),))
        if not np.all(np.isfinite(action)):
            raise RequestError("BadRequest", "action has non-finite values: %s" % action.tolist())
        obs, done, ms = env.step(action)
        reply = env.observation(obs, ms)
        reply["success"] = done
        goal = env.step_goal()
        if goal is not None:
            reply["goal"] = goal  # per atom of goal_state, from the same check as success
        return reply

    def scene(self, msg):
        from libero_env import RequestError

        if self.current is None or self.current.body_ids is None:
            raise RequestError("BadRequest", "scene before any reset")
        return {"scene": self.current.scene()}

    def poses(self, msg):
        from libero_env import RequestError

        if self.current is None or self.current.body_ids is None:
            raise RequestError("BadRequest", "poses before any reset")
        return {"body_poses": self.current.body_poses()}

    def close_all(self):
        for env in self.envs.values():
            env.close()
        self.envs.clear()


def plain_frame(message):
    """A frame without blobs, written without numpy (which may be what is missing)."""
    import json
    import struct

    head = json.dumps(message).encode("utf-8")
    pad = (-(8 + len(head))) % 8
    return struct.pack("<II", 4 + len(head) + pad, len(head)) + head + b"\0" * pad


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    if "--check" in argv:
        import checks

        return checks.run(render="--render" in argv)
    requests, replies = isolate_stdio()
    try:
        ensure_libero_config()
        versions = import_libero()
        worker = Worker(replies)
    except BaseException as e:  # ImportError, or anything a broken install raises on import
        if isinstance(e, KeyboardInterrupt):
            raise
        if os.environ.get("RSD_BRIDGE_DEBUG") == "1":
            traceback.print_exc()
        message = "%s cannot import LIBERO: %s: %s" % (sys.executable, type(e).__name__, e)
        replies.write(plain_frame({
            "op": "hello", "protocol": PROTOCOL, "pid": os.getpid(), "mujoco_gl": os.environ.get("MUJOCO_GL"),
            "versions": {"python": "%d.%d.%d" % sys.version_info[:3]},
            "error": {"type": "LiberoMissing", "message": message},
        }))
        replies.flush()
        sys.stderr.write(message + "\n")
        return EXIT_NO_LIBERO
    worker.send({
        "op": "hello", "protocol": PROTOCOL, "versions": versions, "mujoco_gl": os.environ.get("MUJOCO_GL"),
        "libero_root": worker.libero_root, "pid": os.getpid(),
    })
    return worker.serve(requests)


if __name__ == "__main__":
    code = main(sys.argv[1:])
    # Out without interpreter teardown: robosuite's EGL contexts can fail (or hang) in __del__ at
    # exit, which must not turn a clean close into an error status.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)
