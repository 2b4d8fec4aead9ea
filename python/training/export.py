"""ONNX export of the trained models in the bundle format, checked in onnxruntime against PyTorch.

Writes two bundles (docs/bundle-format.md):
- `default`: layerwise main with KV cache (main_prefill.onnx, main_step.onnx), draft.onnx reading
  the observation, rfsq_decoder.onnx;
- `default-parallel`: main_parallel.onnx (all layers in one pass) and the same rfsq_decoder.onnx.
A vision model's bundles are `vision` and `vision-parallel` (observation inputs `proprio`,
`instruction_tokens` and `image_<camera>`; no object poses, no task index).

Also runnable alone, to rebuild the bundles from a checkpoint written by train.py:
    python -m training.export --checkpoint OUT/checkpoint.pt --out OUT
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import logging
import os

import numpy as np
import torch
import torch.nn as nn

from . import codec
from .demos import ENTITIES
from .models import ActionDecoder, Config, Draft, MainLayerwise, MainParallel
from .tokens import check_vocabulary

log = logging.getLogger('training')

OPSET = 17
FILES = {'decoder': 'rfsq_decoder.onnx', 'prefill': 'main_prefill.onnx', 'step': 'main_step.onnx', 'parallel': 'main_parallel.onnx', 'draft': 'draft.onnx'}


class _Prefill(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, *obs):
        return self.m.prefill(*obs)


def observation_io(cfg: Config, observation: dict, B: int = 2):
    """The observation inputs in the models' order: (example tensors, ONNX names). State: proprio,
    object_poses, instruction; vision: proprio, instruction_tokens, image_<camera> per camera."""
    if cfg.observation == 'state':
        return ((torch.zeros(B, cfg.proprio_dim), torch.zeros(B, cfg.pose_dim), torch.zeros(B, dtype=torch.long)),
                ['proprio', 'object_poses', 'instruction'])
    cams = [c['name'] for c in observation['cameras']]
    s = cfg.image_size
    return ((torch.zeros(B, cfg.proprio_dim), torch.ones(B, cfg.max_tokens, dtype=torch.long), *(torch.zeros(B, 3, s, s) for _ in cams)),
            ['proprio', 'instruction_tokens', *(f'image_{n}' for n in cams)])


def observation_feeds(cfg: Config, observation: dict, val: dict):
    """A checkpoint's validation sample as (torch inputs in the models' order, ORT feeds by name)."""
    _, names = observation_io(cfg, observation)
    if cfg.observation == 'state':
        arrays = [val['proprio'].astype(np.float32), val['poses'].astype(np.float32), val['task'].astype(np.int64)]
    else:
        frames = val['frames'].astype(np.float32) / np.float32(255)  # [N, cams, 3, h, w]
        arrays = [val['proprio'].astype(np.float32), val['tokens'].astype(np.int64), *(np.ascontiguousarray(frames[:, i]) for i in range(frames.shape[1]))]
    return tuple(torch.from_numpy(a) for a in arrays), dict(zip(names, arrays))


class _Step(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, codes, layer_ids, past_key, past_value):
        return self.m.step(codes, layer_ids, past_key, past_value)


def _export(module: nn.Module, args: tuple, path: str, inputs: list[str], outputs: list[str], dynamic: dict):
    module.eval()
    kwargs = dict(input_names=inputs, output_names=outputs, dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True)
    try:
        torch.onnx.export(module, args, path, dynamo=False, **kwargs)
    except TypeError:  # older torch without the dynamo flag
        torch.onnx.export(module, args, path, **kwargs)
    import onnx

    model = onnx.load(path)
    onnx.checker.check_model(model)
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer):
        raise RuntimeError(f'{path}: has external data')


def export_models(models: dict, cfg: Config, dirs: dict, observation: dict | None = None) -> None:
    """models: decoder, main, parallel (or None), draft (eval, cpu). dirs: layerwise, parallel bundle folders."""
    B = 2
    obs, obs_names = observation_io(cfg, observation or {})
    obs_dyn = {n: {0: 'B'} for n in obs_names}
    lw, par = dirs['layerwise'], dirs['parallel']
    for d in (lw, par) if models.get('parallel') is not None else (lw,):
        os.makedirs(d, exist_ok=True)
    with torch.no_grad():
        _export(models['decoder'], (torch.zeros(B, cfg.latent),), os.path.join(lw, FILES['decoder']), ['latent'], ['actions'], {'latent': {0: 'B'}, 'actions': {0: 'B'}})
        _export(_Prefill(models['main']), obs, os.path.join(lw, FILES['prefill']), obs_names, ['hidden', 'past_key', 'past_value'],
                {**obs_dyn, 'hidden': {0: 'B'}, 'past_key': {0: 'B'}, 'past_value': {0: 'B'}})
        T, n = cfg.memory + 2, 2
        step_args = (torch.zeros(B, n, cfg.latent, dtype=torch.long), torch.zeros(B, n, dtype=torch.long), torch.zeros(B, cfg.applications, T, cfg.d_model), torch.zeros(B, cfg.applications, T, cfg.d_model))
        _export(_Step(models['main']), step_args, os.path.join(lw, FILES['step']), ['codes', 'layer_ids', 'past_key', 'past_value'], ['logits', 'present_key', 'present_value'],
                {'codes': {0: 'B', 1: 'n'}, 'layer_ids': {0: 'B', 1: 'n'}, 'past_key': {0: 'B', 2: 'T'}, 'past_value': {0: 'B', 2: 'T'},
                 'logits': {0: 'B', 1: 'n'}, 'present_key': {0: 'B', 2: 'T+n'}, 'present_value': {0: 'B', 2: 'T+n'}})
        _export(models['draft'], obs, os.path.join(lw, FILES['draft']), obs_names, ['logits'], {**obs_dyn, 'logits': {0: 'B'}})
        if models.get('parallel') is None:
            return
        _export(models['parallel'], obs, os.path.join(par, FILES['parallel']), obs_names, ['logits'], {**obs_dyn, 'logits': {0: 'B'}})
    with open(os.path.join(lw, FILES['decoder']), 'rb') as f:
        decoder_bytes = f.read()
    with open(os.path.join(par, FILES['decoder']), 'wb') as f:
        f.write(decoder_bytes)


# ---------------------------------------------------------------- onnxruntime check

def check_onnx(models: dict, cfg: Config, dirs: dict, val: dict, scales: list[float], observation: dict | None = None) -> dict:
    """Runs every exported model in onnxruntime on validation observations; largest |ORT - torch|
    per model output, and whether ORT's greedy autoregressive and speculative decodes give the
    same codes as PyTorch's greedy decode."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = lambda d, f: ort.InferenceSession(os.path.join(d, f), so, providers=['CPUExecutionProvider'])
    lw, par = dirs['layerwise'], dirs['parallel']
    s_dec, s_pre, s_step, s_draft = (sess(lw, FILES[k]) for k in ('decoder', 'prefill', 'step', 'draft'))
    s_par = sess(par, FILES['parallel']) if models.get('parallel') is not None else None
    obs, feeds = observation_feeds(cfg, observation or {}, val)
    diffs = {}

    def d(name, a, b):
        diffs[name] = max(diffs.get(name, 0.0), float(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)).max()))

    main, draft, par_m, dec = models['main'], models['draft'], models['parallel'], models['decoder']
    with torch.no_grad():
        hidden, k, v = main.prefill(*obs)
        o_hidden, o_k, o_v = s_pre.run(None, feeds)
        d('main_prefill.onnx:hidden', o_hidden, hidden)
        d('main_prefill.onnx:past_key', o_k, k)
        d('main_prefill.onnx:past_value', o_v, v)
        # autoregressive greedy in ORT (prefill output fed on), against torch greedy
        codes_t, _ = main.greedy(*obs)
        N = obs[0].shape[0]
        prev = np.zeros((N, 1, cfg.latent), dtype=np.int64)
        ck, cv = o_k, o_v
        ort_codes = []
        for l in range(cfg.layers):
            ids = np.full((N, 1), l, dtype=np.int64)
            logits, nk, nv = s_step.run(None, {'codes': prev, 'layer_ids': ids, 'past_key': ck, 'past_value': cv})
            t_logits, _, _ = main.step(torch.from_numpy(prev), torch.from_numpy(ids), torch.from_numpy(ck), torch.from_numpy(cv))
            ck, cv = nk, nv
            d('main_step.onnx:logits', logits, t_logits)
            prev = logits.argmax(-1)
            ort_codes.append(prev[:, 0])
        ort_codes = np.stack(ort_codes, 1)
        same_ar = float((ort_codes == codes_t.numpy()).all(axis=(1, 2)).mean())
        # teacher-forced full sequence in one step (n = Q) against torch
        inputs = np.concatenate([np.zeros_like(ort_codes[:, :1]), ort_codes[:, :-1]], 1)
        ids = np.tile(np.arange(cfg.layers, dtype=np.int64), (N, 1))
        logits, pk, pv = s_step.run(None, {'codes': inputs, 'layer_ids': ids, 'past_key': o_k, 'past_value': o_v})
        t_logits, t_k, t_v = main.step(torch.from_numpy(inputs), torch.from_numpy(ids), k, v)
        d('main_step.onnx:logits', logits, t_logits)
        d('main_step.onnx:present_key', pk, t_k)
        d('main_step.onnx:present_value', pv, t_v)
        # one pass of n = Q gives the same argmax as Q passes of n = 1 (the cache is exact)
        same_full = float((logits.argmax(-1) == ort_codes).all(axis=(1, 2)).mean())
        o_draft = s_draft.run(None, feeds)[0]
        d('draft.onnx:logits', o_draft, draft(*obs))
        if s_par is not None:
            o_par = s_par.run(None, feeds)[0]
            d('main_parallel.onnx:logits', o_par, par_m(*obs))
        lat = codec.decode(ort_codes, scales, cfg.levels)
        o_act = s_dec.run(None, {'latent': lat})[0]
        d('rfsq_decoder.onnx:actions', o_act, dec(torch.from_numpy(lat)))
    worst = max(diffs.values())
    return {'maxAbsDiff': worst, 'perOutput': diffs, 'items': int(N), 'greedyCodesEqual': same_ar, 'oneStepEqualsSteps': same_full}


# ---------------------------------------------------------------- manifests

def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        h.update(f.read())
    return h.hexdigest()


def content_hash(d: str, manifest: dict) -> str:
    """docs/bundle-format.md "Content hash"."""
    m = manifest
    files = ['bundle.json', m['rfsq']['decoder']]
    if m['main']['decoding'] == 'parallel':
        files.append(m['main']['model'])
    else:
        if m['main'].get('prefill'):
            files.append(m['main']['prefill'])
        files.append(m['main']['step'])
    if m.get('draft'):
        files.append(m['draft']['model'])
    h = hashlib.sha256()
    for f in files:
        with open(os.path.join(d, f), 'rb') as fh:
            data = fh.read()
        h.update(f.encode() + b'\0' + str(len(data)).encode() + b'\0' + data)
    return h.hexdigest()


BUNDLE_NAMES = {('state', 'layerwise'): 'default', ('state', 'parallel'): 'default-parallel', ('vision', 'layerwise'): 'vision', ('vision', 'parallel'): 'vision-parallel'}


def observation_manifest(cfg: Config, stats: dict, instructions: list[str], observation: dict | None) -> dict:
    if cfg.observation == 'state':
        return {
            'kind': 'state',
            'cameras': [],
            'proprio': {'dim': 8, 'normalization': stats['proprio']},
            'objectPoses': {'entities': list(ENTITIES), 'normalization': stats['poses']},
            'instruction': {'kind': 'task-index', 'instructions': list(instructions)},
        }
    check_vocabulary(observation['vocabulary'])
    return {
        'kind': 'vision',
        # The recording's camera entries, as the policy's tensors were made from them (demos.py).
        'cameras': [{'name': c['name'], 'height': c['height'], 'width': c['width'], 'orientation': c['orientation'], 'centerCrop': c['centerCrop'],
                     'render': {'height': c['render']['height'], 'width': c['render']['width']}} for c in observation['cameras']],
        'proprio': {'dim': 8, 'normalization': stats['proprio']},
        'objectPoses': {'entities': [], 'normalization': None},
        'instruction': {'kind': 'tokens', 'vocabulary': list(observation['vocabulary']), 'maxLength': int(observation['maxTokens'])},
    }


def manifest(cfg: Config, stats: dict, instructions: list[str], scales: list[float], kind: str, provenance: dict, observation: dict | None = None) -> dict:
    if cfg.observation == 'state':
        obs_desc = 'It observes proprio (8), the poses of 5 scene objects (35) and the task index; no cameras.'
        what, prior_desc = 'a state-based policy', 'an MLP over the observation'
    else:
        cams = observation['cameras']
        obs_desc = (f'It observes {" and ".join(c["name"] for c in cams)} images ({cams[0]["height"]}x{cams[0]["width"]}, rendered at '
                    f'{cams[0]["render"]["height"]}x{cams[0]["render"]["width"]}), proprio (8) and the instruction as word tokens; no object poses, no task index.')
        what, prior_desc = 'a vision-language policy', 'a small CNN per camera with FiLM from the instruction, then an MLP'
    name = BUNDLE_NAMES[(cfg.observation, kind)]
    if kind == 'layerwise':
        desc = (
            f'{"Default bundle" if cfg.observation == "state" else "Vision bundle"}: {what} for libero_spatial trained on the scripted expert\'s demonstrations. '
            + obs_desc + ' Residual FSQ action codes (8 layers x 8 codes x 7 levels), decoded layer by layer by a '
            f'prefix-KV transformer main model with a KV cache ({cfg.blocks} blocks of width {cfg.d_model} applied {cfg.repeat}x with shared weights: {cfg.applications} cache entries); a draft, a copy of the main model\'s coarse prior path ({prior_desc}), proposes '
            + (f'the {cfg.draft_layers} coarsest layers' if cfg.draft_layers < cfg.layers else 'every layer') + '; the main model adds a bounded correction from its blocks.')
        main = {'decoding': 'layerwise', 'kvCache': True, 'prefill': FILES['prefill'], 'step': FILES['step'], 'hiddenSize': cfg.hidden, 'blocks': cfg.applications, 'kvSize': cfg.d_model}
        draft = {'model': FILES['draft'], 'layers': cfg.draft_layers, 'reads': 'observation'}
    else:
        desc = (
            f'Parallel-head twin of the {BUNDLE_NAMES[(cfg.observation, "layerwise")]} bundle: the same observation encoder and block stack size, trained on the '
            'same data, predicting all 8 RFSQ layers in one pass (OpenVLA-OFT style); the same RFSQ decoder. ' + obs_desc)
        main = {'decoding': 'parallel', 'model': FILES['parallel']}
        draft = None
    return {
        'format': 'rsd-bundle',
        'formatVersion': 1,
        'name': name,
        'description': desc,
        'observation': observation_manifest(cfg, stats, instructions, observation),
        'action': {
            'dim': 7,
            'chunk': cfg.chunk,
            'normalization': stats['actions'],
            'gripper': {'index': 6, 'modelConvention': '1-open-0-close', 'binarize': True, 'invert': True},
        },
        'rfsq': {'layers': cfg.layers, 'levels': cfg.levels, 'latentSize': cfg.latent, 'scales': list(scales), 'bound': 'tanh', 'decoder': FILES['decoder']},
        'main': main,
        'draft': draft,
        'provenance': provenance,
    }


def write_manifest(d: str, m: dict) -> dict:
    with open(os.path.join(d, 'bundle.json'), 'w') as f:
        f.write(json.dumps(m, indent=2) + '\n')
    files = sorted(f for f in os.listdir(d))
    sizes = {f: os.path.getsize(os.path.join(d, f)) for f in files}
    return {'dir': d, 'files': sizes, 'bytes': sum(sizes.values()), 'contentHash': content_hash(d, m)}


def load_models(ckpt: dict):
    """The checkpoint's models; `parallel` is None when it was not trained (--no-parallel)."""
    cfg = Config(**ckpt['config'])
    models = {'decoder': ActionDecoder(cfg), 'main': MainLayerwise(cfg), 'parallel': MainParallel(cfg), 'draft': Draft(cfg)}
    for k, m in list(models.items()):
        if k not in ckpt['state']:
            if k != 'parallel':
                raise KeyError(f'the checkpoint has no weights for {k}')
            models[k] = None
            continue
        m.load_state_dict(ckpt['state'][k])
        m.eval()
    return cfg, models


def build_bundles(ckpt: dict, out: str, val: dict) -> dict:
    """Exports, checks in ORT and writes the bundles under out/; returns the export report."""
    cfg, models = load_models(ckpt)
    models = {k: (copy.deepcopy(m).cpu().eval() if m is not None else None) for k, m in models.items()}
    observation = ckpt.get('observation')
    dirs = {kind: os.path.join(out, BUNDLE_NAMES[(cfg.observation, kind)]) for kind in ('layerwise', 'parallel')}
    export_models(models, cfg, dirs, observation)
    check = check_onnx(models, cfg, dirs, val, ckpt['scales'], observation)
    log.info('onnxruntime vs PyTorch: max |diff| %.3g over %d items; greedy codes equal %.3f; one n=Q step equals Q steps %.3f', check['maxAbsDiff'], check['items'], check['greedyCodesEqual'], check['oneStepEqualsSteps'])
    for k, v in check['perOutput'].items():
        log.info('  %-32s %.3g', k, v)
    report = {'onnxCheck': check, 'bundles': {}}
    for kind, d in (('layerwise', dirs['layerwise']), ('parallel', dirs['parallel'])):
        if kind == 'parallel' and models['parallel'] is None:
            continue
        prov = dict(ckpt['provenance'])
        prov['onnxCheck'] = check
        prov['files'] = {f: sha256_file(os.path.join(d, f)) for f in sorted(os.listdir(d)) if f.endswith('.onnx')}
        if cfg.observation == 'vision':
            prov['trainedInstructions'] = list(ckpt['instructions'])
        m = manifest(cfg, ckpt['stats'], ckpt['instructions'], ckpt['scales'], kind, prov, observation)
        info = write_manifest(d, m)
        log.info('bundle %s: %d bytes (%s), content hash %s', d, info['bytes'], ', '.join(f'{f} {b}' for f, b in info['files'].items()), info['contentHash'])
        if info['bytes'] > 30 * 1000 * 1000:
            log.warning('bundle %s is larger than 30 MB (%d bytes)', d, info['bytes'])
        report['bundles'][kind] = info
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--checkpoint', required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s')
    ckpt = torch.load(args.checkpoint, map_location='cpu', weights_only=False)
    build_bundles(ckpt, args.out, ckpt['valSample'])


if __name__ == '__main__':
    main()
