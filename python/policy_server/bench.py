"""Chunk latency of a served checkpoint, in-process (no sockets): median and p90 of
ProjectPolicy.infer (observation encoding, decoding, post-processing) per strategy.

    python -m policy_server.bench --checkpoint CKPT.pt [--requests 50] [--threads N] [--json]

Observations are synthetic (state checkpoints only): raw values inside the checkpoint's q01-q99
ranges, the task's objects in another order than the checkpoint's, a random known instruction.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import numpy as np

from training.demos import ENTITIES

# A libero_spatial task's objects as the simulator lists them: more than the checkpoint observes, in another order.
TASK_OBJECTS = ['flat_stove_1', 'plate_1', 'cookies_1', 'akita_black_bowl_2', 'wooden_cabinet_1', 'glazed_rim_porcelain_ramekin_1', 'akita_black_bowl_1']


def synthetic_observations(ckpt: dict, n: int, seed: int) -> list[dict]:
    """`rsd-server` observation maps for a state checkpoint."""
    rng = np.random.default_rng(seed)
    st = ckpt['stats']

    def raw(norm):
        q01, q99 = np.asarray(norm['q01']), np.asarray(norm['q99'])
        return q01 + rng.random(len(q01)) * (q99 - q01)

    out = []
    for _ in range(n):
        ours = raw(st['poses']).reshape(len(ENTITIES), 7)
        poses = np.stack([ours[ENTITIES.index(o)] if o in ENTITIES else rng.random(7) for o in TASK_OBJECTS])
        out.append({'observation/state': raw(st['proprio']).astype(np.float32), 'observation/object_poses': poses.astype(np.float32),
                    'task/objects': list(TASK_OBJECTS), 'task/suite': 'libero_spatial', 'task/id': 0,
                    'prompt': '  ' + ckpt['instructions'][int(rng.integers(len(ckpt['instructions'])))].upper()})
    return out


def main(argv=None) -> int:
    import torch

    from .project import ProjectPolicy

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--checkpoint', required=True)
    ap.add_argument('--requests', type=int, default=50)
    ap.add_argument('--threads', type=int)
    ap.add_argument('--json', action='store_true')
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    ckpt = torch.load(args.checkpoint, map_location='cpu', weights_only=False)
    if ckpt['config'].get('observation', 'state') != 'state':
        print('policy_server.bench: synthetic observations are for state checkpoints only', file=sys.stderr)
        return 2
    obs = synthetic_observations(ckpt, args.requests, seed=0)
    runs = [('parallel', None), ('autoregressive', None), ('speculative', 'exact'), ('speculative', 'threshold')]
    results = []
    for strategy, accept in runs:
        try:
            policy = ProjectPolicy(ckpt, name='bench', decoding=strategy, accept=accept)
        except Exception as e:  # e.g. no parallel weights
            results.append({'strategy': strategy, 'accept': accept, 'skipped': str(e)})
            continue
        policy.infer(obs[0])  # warm-up
        wall, total, accepted = [], [], []
        for o in obs:
            t = time.perf_counter()
            r = policy.infer(o)
            wall.append((time.perf_counter() - t) * 1000)
            total.append(r['rsd']['total_ms'])
            accepted.append(r['rsd']['accepted_layers'])
        results.append({'strategy': strategy, 'accept': accept, 'requests': len(obs), 'medianMs': float(np.median(wall)), 'p90Ms': float(np.percentile(wall, 90)),
                        'medianDecodeMs': float(np.median(total)), 'meanAcceptedLayers': float(np.mean(accepted))})
    machine = {'python': platform.python_version(), 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'cpu': platform.processor() or platform.machine()}
    if args.json:
        print(json.dumps({'machine': machine, 'results': results}, indent=2))
    else:
        print(f'machine: {machine}')
        for r in results:
            if 'skipped' in r:
                print(f"  {r['strategy']:14s} {str(r['accept'] or ''):9s} skipped: {r['skipped']}")
            else:
                print(f"  {r['strategy']:14s} {str(r['accept'] or ''):9s} median {r['medianMs']:7.2f} ms  p90 {r['p90Ms']:7.2f} ms  (decode {r['medianDecodeMs']:.2f} ms; mean accepted {r['meanAcceptedLayers']:.2f})")
    return 0


if __name__ == '__main__':
    sys.exit(main())
