#!/usr/bin/env python3
"""env.step timed inside Python, no bridge: the reference `rsd bench bridge` compares its bridged
step time to. The env is built as the worker builds it (libero_env.TaskEnv), reset to an initial
state of LIBERO's init_files, given the 10 wait steps, then stepped with the bridge bench's
actions (a slow circle, the gripper closing and opening).

    PYTHON python/libero_bridge/bench_python.py [--suite libero_spatial] [--task 0] [--init 0]
        [--steps 200] [--cameras agentview,robot0_eye_in_hand] [--size 256] [--json]
"""
import argparse
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def action(t):
    """engine/bench/bridge-bench.ts's action at step t."""
    return [0.3 * math.cos(t / 15), 0.3 * math.sin(t / 15), 0.1 * math.sin(t / 7), 0.0, 0.0, 0.0, -1.0 if t % 40 < 20 else 1.0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", default="libero_spatial")
    ap.add_argument("--task", type=int, default=0)
    ap.add_argument("--init", type=int, default=0, help="initial state (row of the task's .pruned_init); also the episode index")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--cameras", default="", help="comma-separated camera names; empty: physics only")
    ap.add_argument("--size", type=int, default=256, help="camera width and height")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    import contextlib

    with contextlib.redirect_stdout(sys.stderr):  # LIBERO's own prints
        report = run(args)
    if args.json:
        print(json.dumps(report))
    else:
        print("%s task %d (%s), init state %d, %d env steps, cameras %s" % (args.suite, args.task, report["task"], args.init, args.steps, report["cameras"]))
        print("  env.step inside Python   mean %.2f ms  (median %.2f, p90 %.2f)" % (report["step_ms_mean"], report["step_ms_median"], report["step_ms_p90"]))
        print("  env build %.0f ms; reset + set_init_state %.0f ms (%.0f ms with the seed replay of episode %d)" % (
            report["build_ms"], report["reset_ms"], report["reset_with_seed_replay_ms"], args.init))
    return 0


def run(args):
    import worker

    worker.ensure_libero_config()
    import numpy as np
    from libero.libero import benchmark, get_libero_path

    import checks
    import libero_env

    suite = benchmark.get_benchmark_dict()[args.suite]()
    task = suite.get_task(args.task)
    bddl = os.path.join(get_libero_path("bddl_files"), task.problem_folder, task.bddl_file)
    init_path = os.path.join(get_libero_path("init_states"), task.problem_folder, task.init_states_file)
    states = np.asarray(checks.load_init_states(init_path)[0])
    cameras = [{"name": n, "width": args.size, "height": args.size} for n in args.cameras.split(",") if n]

    t = time.perf_counter()
    env = libero_env.TaskEnv(args.suite, task.name, bddl, cameras)
    build_ms = 1000 * (time.perf_counter() - t)
    objects = list(env.env.env.objects_dict)
    t = time.perf_counter()
    _, reset_ms = env.reset(states[args.init], objects, 0, args.init, libero_env.RngCheckpoints())
    reset_call_ms = 1000 * (time.perf_counter() - t)
    for _ in range(10):
        env.env.step([0.0] * 6 + [-1.0])
    times = []
    for i in range(args.steps):
        a = action(i)
        t = time.perf_counter()
        env.env.step(a)
        times.append(1000 * (time.perf_counter() - t))
    env.close()
    times = np.array(times)
    report = {
        "suite": args.suite, "task": task.name, "init": args.init, "steps": args.steps,
        "cameras": "%s at %dx%d" % (args.cameras, args.size, args.size) if cameras else "none",
        "step_ms_mean": float(times.mean()), "step_ms_median": float(np.median(times)),
        "step_ms_p90": float(np.percentile(times, 90)),
        "build_ms": build_ms, "reset_ms": reset_ms, "reset_with_seed_replay_ms": reset_call_ms,
    }
    return report


if __name__ == "__main__":
    sys.exit(main())
