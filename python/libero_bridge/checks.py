"""`worker.py --check [--render]`: one JSON line per prerequisite of the bridge, in the order
interpreter, libero-import, config, assets, init-files, render (docs/libero-bridge.md "Checks").
Each line is {id, ok, detail, fix}; `fix` is a one-line instruction ("" when nothing is to be done).
The process exits 0 whatever the rows say; LIBERO's own output goes to stderr.
"""
import json
import os
import sys
import time

import worker

SPATIAL_TASK0 = "pick_up_the_black_bowl_between_the_plate_and_the_ramekin_and_place_it_on_the_plate"
PY = sys.executable or "python"


def load_init_states(path):
    """LIBERO's .pruned_init: torch.load (weights_only=False: torch >= 2.6 refuses the numpy pickle
    otherwise) when torch is importable, else the zip's pickle read directly (it holds one numpy
    array, no tensors). Returns (array, how)."""
    try:
        import torch
    except Exception:
        torch = None
    if torch is not None:
        try:
            return torch.load(path, weights_only=False), "torch.load"
        except TypeError:  # torch < 1.13 has no weights_only
            return torch.load(path), "torch.load"
    import pickle
    import zipfile

    class NoTensors(pickle.Unpickler):
        def persistent_load(self, pid):
            raise pickle.UnpicklingError("the file holds torch tensors; install torch to read it")

    with zipfile.ZipFile(path) as z:
        member = next(n for n in z.namelist() if n.endswith("data.pkl"))
        with z.open(member) as f:
            return NoTensors(f).load(), "zip + pickle (torch is not installed)"


def run(render=False):
    requests, out = worker.isolate_stdio()
    requests.close()

    def row(id_, ok, detail, fix=""):
        out.write((json.dumps({"id": id_, "ok": bool(ok), "detail": detail, "fix": fix}) + "\n").encode())
        out.flush()

    # interpreter
    v = sys.version_info
    row("interpreter", v >= (3, 8), "Python %d.%d.%d at %s" % (v[0], v[1], v[2], PY),
        "" if v >= (3, 8) else "use the Python 3.8+ of the environment LIBERO is installed in (--python PATH or the liberoPython setting)")

    # config, looked at before the import (without one, LIBERO's first import asks questions)
    had = worker.user_config()
    try:
        kind, cfg = worker.ensure_libero_config()
        cfg_error = None
    except Exception as e:
        kind, cfg, cfg_error = "error", None, "%s: %s" % (type(e).__name__, e)

    # libero-import
    versions, libero_ok = None, False
    try:
        versions = worker.import_libero()
        libero_ok = True
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            raise
        row("libero-import", False, "%s cannot import LIBERO: %s: %s" % (PY, type(e).__name__, e),
            "install LIBERO into this interpreter: %s -m pip install robosuite==1.4.1 bddl easydict gym && %s -m pip install -e /path/to/LIBERO" % (PY, PY))
    if libero_ok:
        rs = versions["robosuite"]
        ok = rs.startswith("1.4")
        row("libero-import", ok, "LIBERO %s, robosuite %s, MuJoCo %s, numpy %s" % (versions["libero"], rs, versions["mujoco"], versions["numpy"]),
            "" if ok else "LIBERO needs robosuite 1.4.x: %s -m pip install robosuite==1.4.1" % PY)

    # config row
    if kind == "user":
        row("config", True, "LIBERO's config %s exists: LIBERO will not prompt" % cfg)
    elif kind == "own":
        row("config", True,
            "no LIBERO config at %s: the worker writes its own (%s, paths of the installed package) and leaves yours alone" % (had, cfg),
            "optional, to make your own: run `%s -c \"import libero.libero\"` once in a terminal and answer its questions (it writes %s)" % (PY, had))
    elif kind == "none":
        row("config", False, "no LIBERO config at %s, and no libero package to derive one from" % had,
            "install LIBERO first (see libero-import)")
    else:
        row("config", False, "cannot write the worker's own LIBERO config: %s" % cfg_error,
            "set RSD_BRIDGE_CACHE to a writable folder, or create %s with `%s -c \"import libero.libero\"`" % (had, PY))

    if not libero_ok:
        for id_ in ["assets", "init-files"] + (["render"] if render else []):
            row(id_, False, "not checked: LIBERO cannot be imported", "fix libero-import first")
        return 0

    from libero.libero import get_libero_path
    import robosuite

    # assets
    try:
        bddl = os.path.join(get_libero_path("bddl_files"), "libero_spatial", SPATIAL_TASK0 + ".bddl")
        libero_assets = get_libero_path("assets")
        rs_assets = os.path.join(os.path.dirname(os.path.abspath(robosuite.__file__)), "models", "assets")
        missing = [p for p in (bddl, libero_assets, rs_assets) if not os.path.exists(p)]
        if missing:
            where = os.environ.get("LIBERO_CONFIG_PATH", "~/.libero")
            row("assets", False, "missing: %s" % ", ".join(missing),
                "point bddl_files and assets in %s/config.yaml at your LIBERO checkout's libero/libero folder (or reinstall LIBERO and robosuite==1.4.1)" % where)
        else:
            row("assets", True, "libero_spatial task 0's BDDL file, LIBERO's assets (%s) and robosuite's (%s) exist" % (libero_assets, rs_assets))
    except Exception as e:
        row("assets", False, "%s: %s" % (type(e).__name__, e), "check LIBERO's config.yaml paths (bddl_files, assets)")

    # init-files
    states = None
    try:
        path = os.path.join(get_libero_path("init_states"), "libero_spatial", SPATIAL_TASK0 + ".pruned_init")
        if not os.path.isfile(path):
            row("init-files", False, "missing: %s" % path,
                "restore LIBERO's init_files (git -C /path/to/LIBERO checkout -- libero/libero/init_files) or fix init_states in LIBERO's config.yaml")
        else:
            import numpy as np

            states, how = load_init_states(path)
            states = np.asarray(states)
            row("init-files", states.ndim == 2 and states.shape[0] > 0,
                "%s: shape %s (%s)" % (path, list(states.shape), how), "" if states.ndim == 2 else "the file is damaged: restore LIBERO's init_files")
    except Exception as e:
        row("init-files", False, "%s: %s" % (type(e).__name__, e),
            "restore LIBERO's init_files, or install torch into this interpreter: %s -m pip install torch" % PY)

    # render
    if render:
        gl = os.environ.get("MUJOCO_GL")
        env = None
        try:
            import numpy as np
            from libero.libero.envs import OffScreenRenderEnv

            t = time.perf_counter()
            env = OffScreenRenderEnv(bddl_file_name=bddl, camera_heights=128, camera_widths=128)
            env.seed(0)
            env.reset()
            if states is not None and states.ndim == 2:
                env.set_init_state(states[0])
            obs, _, _, _ = env.step([0.0] * 6 + [-1.0])
            stds = {k: float(np.asarray(obs[k]).std()) for k in ("agentview_image", "robot0_eye_in_hand_image")}
            blank = [k for k, s in stds.items() if s <= 1.0]
            detail = "MUJOCO_GL=%s; agentview and wrist images 128x128, pixel spread %s (%.1f s)" % (
                gl, ", ".join("%.1f" % s for s in stds.values()), time.perf_counter() - t)
            row("render", not blank, detail if not blank else detail + "; blank: " + ", ".join(blank),
                "" if not blank else "set MUJOCO_GL=egl (needs libEGL and a GPU or Mesa) or MUJOCO_GL=osmesa (apt install libosmesa6)")
        except Exception as e:
            row("render", False, "MUJOCO_GL=%s: %s: %s" % (gl, type(e).__name__, e),
                "set MUJOCO_GL=egl (apt install libegl1 libgl1-mesa-dri) or MUJOCO_GL=osmesa (apt install libosmesa6) before starting the engine")
        finally:
            if env is not None:
                try:
                    env.close()
                except Exception:
                    pass
    return 0
