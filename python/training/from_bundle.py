"""Rebuilds a train.py checkpoint (`checkpoint.pt`) from a bundle's ONNX files, so the shipped
bundles (which keep no PyTorch weights in the repo) can be served from PyTorch:

    python -m training.from_bundle --bundle ../assets/bundles/default [--parallel ../assets/bundles/default-parallel] --out CKPT.pt

- Config, statistics, RFSQ scales, instructions and observation from bundle.json (its
  provenance.training.config and rfsqScales; the manifest's normalisations, instructions, cameras).
- Weights: every ONNX initializer whose name (or the name of an Identity alias the exporter made
  for a tensor used twice) is a state-dict key, after the export wrapper's prefix, maps to it
  unchanged. Constant folding renames some: a Linear's weight consumed by a
  MatMul is stored transposed as `onnx::MatMul_N`, a GroupNorm's weight and bias as [C, 1, 1]
  `onnx::Mul_N` / `onnx::Add_N`. Those are mapped by the module scope of the node that consumes
  them (`/blocks.0/mlp/mlp.0/MatMul` -> blocks.0.mlp.0.weight, transposed), with the shape checked.
  A state-dict entry that no initializer gives, one given twice with different values, or an
  initializer whose consumer fits no rule is refused with a named error (BundleWeightsError):
  never a default or random value.
- Then VERIFY: the rebuilt PyTorch models and onnxruntime on the same synthetic observations
  (export.check_onnx): max |diff| per output and greedy codes equality; exit 1 unless every
  difference is below --tolerance and the greedy codes are equal on every item.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys

import numpy as np
import torch

from .export import FILES, check_onnx
from .models import ActionDecoder, Config, Draft, MainLayerwise, MainParallel

log = logging.getLogger('training')


class BundleWeightsError(RuntimeError):
    """A bundle's ONNX weights that do not map exactly onto training.models' state dicts."""


class BundleFormatError(ValueError):
    """A bundle.json this tool cannot rebuild a checkpoint from (names the field)."""


# How a renamed initializer is used by its consumer: (state-dict suffix, how it was stored).
RENAMED = {'MatMul': ('weight', 'transposed'), 'Mul': ('weight', 'reshaped'), 'Add': ('bias', 'reshaped')}


def module_path(node_name: str) -> str:
    """'/blocks.0/mlp/mlp.0/MatMul' -> 'blocks.0.mlp.0': the exporter's scope names give a child of a
    Sequential as '<parent>.<index>' under the parent's own scope, so that one collapses into it; a
    module called again (the shared blocks' second application) gets '_1', '_2' on its name, which goes."""
    parts: list[str] = []
    for c in node_name.strip('/').split('/')[:-1]:
        c = re.sub(r'_\d+$', '', c)
        if parts and c.startswith(parts[-1] + '.'):
            parts[-1] = c
        else:
            parts.append(c)
    return '.'.join(parts)


def map_initializers(path: str, prefix: str, state: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """{state-dict key: value} from one ONNX file (see the module docstring)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(path)
    file = os.path.basename(path)
    inits = {t.name for t in model.graph.initializer}
    # The exporter stores a tensor used twice once and names the other uses by Identity nodes (both
    # cameras' equal spatial-softmax grids; the shared blocks' second application).
    root: dict[str, str] = {}
    for node in model.graph.node:
        if node.op_type == 'Identity' and (node.input[0] in inits or node.input[0] in root):
            root[node.output[0]] = root.get(node.input[0], node.input[0])
    names: dict[str, list[str]] = {n: [n] for n in inits}
    for alias, r in root.items():
        names[r].append(alias)
    consumers: dict[str, set] = {}
    for node in model.graph.node:
        if node.op_type == 'Identity':
            continue
        for i in node.input:
            r = root.get(i, i)
            if r in inits:
                consumers.setdefault(r, set()).add((node.op_type, module_path(node.name)))
    out: dict[str, np.ndarray] = {}

    def put(key: str, stored: np.ndarray, init_name: str):
        if tuple(stored.shape) != tuple(state[key].shape):
            raise BundleWeightsError(f'{file}: "{init_name}" has shape {list(stored.shape)}, "{key}" needs {list(state[key].shape)}')
        if key in out and not np.array_equal(out[key], stored):
            raise BundleWeightsError(f'{file}: "{key}" is given twice with different values')
        out[key] = stored

    for init in model.graph.initializer:
        value = numpy_helper.to_array(init)
        keys = [n[len(prefix):] for n in names[init.name] if n.startswith(prefix) and n[len(prefix):] in state]
        if keys:  # by name, unchanged (the names of its Identity aliases included)
            for key in keys:
                put(key, value, init.name)
            continue
        uses = consumers.get(init.name, set())
        if not uses:
            raise BundleWeightsError(f'{file}: initializer "{init.name}" {list(value.shape)} is no state-dict key and no node reads it')
        ops = {op for op, _ in uses}
        if len(ops) != 1 or next(iter(ops)) not in RENAMED:
            raise BundleWeightsError(f'{file}: initializer "{init.name}" {list(value.shape)} is no state-dict key and feeds {sorted(uses)}, which no mapping rule covers')
        suffix, how = RENAMED[ops.pop()]
        for _, scope in sorted(uses):
            key = f'{scope}.{suffix}'
            if key not in state:
                raise BundleWeightsError(f'{file}: initializer "{init.name}" feeds "{scope}", but the model has no parameter "{key}"')
            want = tuple(state[key].shape)
            if how == 'transposed':
                if value.ndim != 2 or value.T.shape != want:
                    raise BundleWeightsError(f'{file}: "{init.name}" {list(value.shape)} is not "{key}" {list(want)} transposed')
                put(key, np.ascontiguousarray(value.T), init.name)
            else:
                if value.size != int(np.prod(want)) or value.shape[:len(want)] != want or any(d != 1 for d in value.shape[len(want):]):
                    raise BundleWeightsError(f'{file}: "{init.name}" {list(value.shape)} is not "{key}" {list(want)} with trailing unit axes')
                put(key, value.reshape(want), init.name)
    return out


def rebuild_state(module: torch.nn.Module, sources: list[tuple[str, str]]) -> dict[str, torch.Tensor]:
    """The module's full state dict from (onnx path, initializer prefix) pairs; refuses gaps and conflicts."""
    state = module.state_dict()
    found: dict[str, np.ndarray] = {}
    where: dict[str, str] = {}
    for path, prefix in sources:
        for key, value in map_initializers(path, prefix, state).items():
            if key in found and not np.array_equal(found[key], value):
                raise BundleWeightsError(f'"{key}" differs between {where[key]} and {os.path.basename(path)}')
            found[key] = value
            where.setdefault(key, os.path.basename(path))
    missing = [k for k in state if k not in found]
    if missing:
        files = ', '.join(os.path.basename(p) for p, _ in sources)
        raise BundleWeightsError(f'{type(module).__name__}: {len(missing)} state-dict entries are in none of {files}: {", ".join(missing[:8])}{" ..." if len(missing) > 8 else ""}')
    return {k: torch.from_numpy(np.array(found[k], dtype=np.float32 if state[k].is_floating_point() else None)).to(state[k].dtype) for k in state}


def _field(d: dict, path: str):
    cur = d
    for part in path.split('.'):
        if not isinstance(cur, dict) or part not in cur:
            raise BundleFormatError(f'bundle.json: no "{path}"')
        cur = cur[part]
    return cur


def read_manifest(d: str) -> dict:
    p = os.path.join(d, 'bundle.json')
    if not os.path.isfile(p):
        raise BundleFormatError(f'{p}: no such file (--bundle names a bundle folder)')
    with open(p) as f:
        return json.load(f)


def config_of(m: dict) -> Config:
    raw = dict(_field(m, 'provenance.training.config'))
    known = set(Config.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise BundleFormatError(f'bundle.json: provenance.training.config has keys training.models.Config does not: {unknown}')
    if 'cnn_channels' in raw:
        raw['cnn_channels'] = tuple(raw['cnn_channels'])
    cfg = Config(**raw)
    checks = {'rfsq.layers': cfg.layers, 'rfsq.levels': cfg.levels, 'rfsq.latentSize': cfg.latent, 'action.chunk': cfg.chunk, 'action.dim': cfg.action_dim}
    if _field(m, 'main.decoding') == 'layerwise':
        checks.update({'main.hiddenSize': cfg.hidden, 'main.blocks': cfg.applications, 'main.kvSize': cfg.d_model})
    for path, want in checks.items():
        if _field(m, path) != want:
            raise BundleFormatError(f'bundle.json: {path} = {_field(m, path)} but provenance.training.config gives {want}')
    return cfg


def observation_of(m: dict, cfg: Config) -> tuple[dict, dict, list[str]]:
    """(stats, observation entry, instructions) as train.py stores them."""
    obs = _field(m, 'observation')
    stats = {'proprio': _field(m, 'observation.proprio.normalization'), 'poses': obs['objectPoses']['normalization'], 'actions': _field(m, 'action.normalization')}
    if cfg.observation == 'state':
        if obs['instruction']['kind'] != 'task-index':
            raise BundleFormatError('bundle.json: a state model reads observation.instruction of kind "task-index"')
        return stats, {'kind': 'state'}, list(obs['instruction']['instructions'])
    instr = obs['instruction']
    observation = {'kind': 'vision', 'cameras': obs['cameras'], 'vocabulary': instr['vocabulary'], 'maxTokens': instr['maxLength']}
    return stats, observation, list(m.get('provenance', {}).get('trainedInstructions', []))


def synthetic_inputs(cfg: Config, stats: dict, observation: dict, n: int, seed: int) -> dict:
    """Observations for the check, in a checkpoint's `valSample` layout: normalised dims uniform in
    [-1, 1] (the q01-q99 range), unnormalised dims uniform between their q01 and q99 raw values,
    task indices and instruction tokens drawn at random, images uniform noise."""
    rng = np.random.default_rng(seed)

    def within(norm: dict, k: int) -> np.ndarray:
        q01, q99, mask = (np.asarray(norm[f], dtype=np.float64) for f in ('q01', 'q99', 'mask'))
        raw = q01 + rng.random((k, len(q01))) * (q99 - q01)
        return np.where(mask.astype(bool), rng.uniform(-1, 1, (k, len(q01))), raw).astype(np.float32)

    val = {'proprio': within(stats['proprio'], n)}
    if cfg.observation == 'state':
        val['poses'] = within(stats['poses'], n) if stats['poses'] else np.zeros((n, cfg.pose_dim), np.float32)
        val['task'] = rng.integers(0, cfg.tasks, n).astype(np.int64)
    else:
        vocab = len(observation['vocabulary'])
        lengths = rng.integers(1, cfg.max_tokens + 1, n)
        val['tokens'] = np.where(np.arange(cfg.max_tokens)[None] < lengths[:, None], rng.integers(1, vocab, (n, cfg.max_tokens)), 0).astype(np.int64)
        val['task'] = np.zeros(n, np.int64)
        val['frames'] = rng.integers(0, 256, (n, len(observation['cameras']), 3, cfg.image_size, cfg.image_size), dtype=np.uint8)
    return val


def rebuild(bundle: str, parallel: str | None = None, items: int = 64) -> tuple[dict, dict]:
    """(checkpoint, {models}) from a layerwise bundle (and optionally its parallel twin)."""
    m = read_manifest(bundle)
    if _field(m, 'main.decoding') != 'layerwise' or not m['main'].get('kvCache'):
        raise BundleFormatError(f'{bundle}/bundle.json: main.decoding must be "layerwise" with kvCache (give a parallel bundle with --parallel)')
    if not m.get('draft') or m['draft'].get('reads') != 'observation':
        raise BundleFormatError(f'{bundle}/bundle.json: draft must read "observation" (training.models.Draft)')
    cfg = config_of(m)
    f = lambda d, key: os.path.join(d, key)
    models = {'decoder': ActionDecoder(cfg), 'main': MainLayerwise(cfg), 'draft': Draft(cfg), 'parallel': None}
    sources = {'decoder': [(f(bundle, m['rfsq']['decoder']), '')],
               'main': [(f(bundle, m['main']['prefill']), 'm.'), (f(bundle, m['main']['step']), 'm.')],
               'draft': [(f(bundle, m['draft']['model']), '')]}
    if parallel is not None:
        pm = read_manifest(parallel)
        if _field(pm, 'main.decoding') != 'parallel':
            raise BundleFormatError(f'{parallel}/bundle.json: --parallel needs main.decoding "parallel"')
        if config_of(pm).dict() != cfg.dict():
            raise BundleFormatError(f'{parallel}/bundle.json: provenance.training.config differs from {bundle}\'s')
        models['parallel'] = MainParallel(cfg)
        sources['parallel'] = [(f(parallel, pm['main']['model']), '')]
    state = {}
    for k, srcs in sources.items():
        state[k] = rebuild_state(models[k], srcs)
        models[k].load_state_dict(state[k])
        models[k].eval()
    stats, observation, instructions = observation_of(m, cfg)
    scales = [float(s) for s in _field(m, 'rfsq.scales')]
    prov_scales = m['provenance']['training'].get('rfsqScales')
    if prov_scales is not None and [float(s) for s in prov_scales] != scales:
        raise BundleFormatError('bundle.json: rfsq.scales differs from provenance.training.rfsqScales')
    provenance = dict(m.get('provenance') or {})
    provenance['rebuiltFrom'] = {'bundle': os.path.abspath(bundle), 'parallel': os.path.abspath(parallel) if parallel else None,
                                 'files': {os.path.basename(p): _sha256(p) for srcs in sources.values() for p, _ in srcs}}
    ckpt = {'name': m['name'], 'config': cfg.dict(), 'state': state, 'scales': scales, 'stats': stats, 'instructions': instructions,
            'observation': observation, 'provenance': provenance, 'valSample': synthetic_inputs(cfg, stats, observation, items, seed=0)}
    return ckpt, models


def verify(ckpt: dict, models: dict, bundle: str, parallel: str | None, tolerance: float) -> tuple[bool, dict]:
    cfg = Config(**ckpt['config'])
    dirs = {'layerwise': bundle, 'parallel': parallel or bundle}
    check = check_onnx(models, cfg, dirs, ckpt['valSample'], ckpt['scales'], ckpt['observation'])
    ok = check['maxAbsDiff'] <= tolerance and check['greedyCodesEqual'] == 1.0 and check['oneStepEqualsSteps'] == 1.0
    return ok, check


def _sha256(path: str) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, 'rb') as fh:
        h.update(fh.read())
    return h.hexdigest()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--bundle', required=True, help='a layerwise bundle folder (bundle.json, main_prefill.onnx, main_step.onnx, draft.onnx, rfsq_decoder.onnx)')
    ap.add_argument('--parallel', help='its parallel twin (main_parallel.onnx), to serve --decoding parallel too')
    ap.add_argument('--out', required=True, help='the checkpoint.pt to write')
    ap.add_argument('--items', type=int, default=64, help='synthetic observations the check runs (default 64); also stored as the checkpoint\'s valSample')
    ap.add_argument('--tolerance', type=float, default=1e-4, help='largest |onnxruntime - PyTorch| accepted per output (default 1e-4)')
    args = ap.parse_args(argv)
    if args.items < 1:
        ap.error('--items must be at least 1')
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    try:
        ckpt, models = rebuild(args.bundle, args.parallel, args.items)
    except (BundleWeightsError, BundleFormatError, FileNotFoundError) as e:
        print(f'from_bundle: {type(e).__name__}: {e}', file=sys.stderr)
        return 2
    ok, check = verify(ckpt, models, args.bundle, args.parallel, args.tolerance)
    for name, diff in sorted(check['perOutput'].items()):
        print(f'  max |diff| {name:34s} {diff:.3g}')
    print(f'  greedy codes equal (onnxruntime vs PyTorch, autoregressive): {check["greedyCodesEqual"]:.3f} of {check["items"]} items; one n=Q step equals Q steps: {check["oneStepEqualsSteps"]:.3f}')
    if not ok:
        print(f'from_bundle: VERIFY FAILED: max |diff| {check["maxAbsDiff"]:.3g} (tolerance {args.tolerance:g}) or codes differ; no checkpoint written', file=sys.stderr)
        return 1
    ckpt['provenance']['rebuiltFrom']['check'] = check
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.save(ckpt, args.out)
    print(f'checkpoint written: {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
