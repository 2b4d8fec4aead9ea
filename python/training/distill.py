"""Distils a layerwise bundle into one whose draft proposes more layers (issue 20: lossless
speculative decoding past the 3-layer draft's ceiling of about 1.5x).

    python -m training.distill --bundle ../assets/bundles/default --demos D.jsonl ... --draft-layers 8 --out OUT

Teacher: the bundle's own models, rebuilt from its ONNX files (training.from_bundle, verified
against onnxruntime). Student: the same main model (every weight copied from the teacher) whose
prior path now gives the first k layers (not 3), each as prior + a bounded correction from the
blocks, exactly as the teacher's coarse layers; its draft is a copy of that prior path. The
student learns the TEACHER's greedy codes, computed on the fly for every (augmented) batch of
observations: its targets are the decoder the bundle ships, not the demonstrations' actions, so
the RFSQ decoder and scales stay the teacher's. Observations come from rsd-demo/1 files (the
scripted expert's, recorded with `rsd expert --record`); their actions are not used.

What this buys is measured, not assumed: the log and the bundle's provenance give the student's
agreement with the teacher per layer, the draft's acceptance against the student, and the
bundle's success is whatever `rsd eval` measures.
"""
from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from .demos import load_demos, normalize
from .export import build_bundles
from .from_bundle import rebuild
from .models import Config, Draft, MainLayerwise, count_params
from .train import batches, draft_agreement, noisy, pose_noise, random_obs, seed_all

log = logging.getLogger('training')


def observations(paths: list[str], stats: dict) -> dict:
    """Every recorded step's observation, normalised with the teacher's statistics, and its episode."""
    demos = load_demos(paths)
    eps = demos.episodes
    if not eps:
        raise ValueError(f'{paths}: no episodes')
    P = np.concatenate([e.proprio for e in eps])
    O = np.concatenate([e.poses for e in eps])
    return {
        'proprio': normalize(P, stats['proprio']),
        'poses': normalize(O, stats['poses']) if stats['poses'] else O.astype(np.float32),
        'task': np.concatenate([np.full(len(e.proprio), e.task_id, dtype=np.int64) for e in eps]),
        'episode': np.concatenate([np.full(len(e.proprio), i, dtype=np.int64) for i, e in enumerate(eps)]),
        'episodes': len(eps),
    }


def student_of(teacher: MainLayerwise, k: int, draft_hidden: int) -> MainLayerwise:
    """The teacher's main model with a prior path over k layers: every other weight copied; the prior
    head's first layer and its rows of the teacher's k0 coarse layers copied where the sizes allow."""
    c = Config(**{**teacher.c.dict(), 'draft_layers': k, 'draft_hidden': draft_hidden})
    s = MainLayerwise(c)
    own = {n: t for n, t in teacher.state_dict().items() if not n.startswith('prior.')}
    missing, unexpected = s.load_state_dict(own, strict=False)
    assert not unexpected and all(n.startswith('prior.') for n in missing), (missing, unexpected)
    if draft_hidden == teacher.c.draft_hidden:
        with torch.no_grad():
            s.prior.net[0].load_state_dict(teacher.prior.net[0].state_dict())
            rows = teacher.prior.net[2].weight.shape[0]
            s.prior.net[2].weight[:rows] = teacher.prior.net[2].weight
            s.prior.net[2].bias[:rows] = teacher.prior.net[2].bias
    return s


def loss_of(student: MainLayerwise, teacher: MainLayerwise, obs: tuple, robs: tuple, penalty: float) -> tuple[torch.Tensor, dict]:
    """Cross-entropy of the student's layers (fed the teacher's codes, as greedy decoding feeds its
    own) and of its prior against the teacher's greedy codes, plus the correction penalty on the
    observations and on uniform random ones (where the blocks have seen nothing, the prior decides)."""
    c = student.c
    with torch.no_grad():
        target = teacher.greedy(*obs)[0]  # [B, Q, P]
    hidden, k, v = student.prefill(*obs)
    prior = student.prior(hidden)
    fed = torch.cat([torch.zeros_like(target[:, :1]), target[:, :-1]], 1)
    ids = torch.arange(c.layers, device=target.device)[None, :].expand(len(target), -1)
    logits, corr, _, _ = student.step_parts(fed, ids, k, v)
    ce = F.cross_entropy(logits.float().reshape(-1, c.levels), target.reshape(-1))
    prior_ce = F.cross_entropy(prior.float().reshape(-1, c.levels), target[:, : c.draft_layers].reshape(-1))
    rh, rk, rv = student.prefill(*robs)
    rprior = student.prior(rh).argmax(-1).detach()
    rfed = torch.cat([torch.zeros_like(rprior[:, :1]), rprior[:, :-1]], 1)
    rids = torch.arange(c.draft_layers, device=target.device)[None, :].expand(len(rh), -1)
    _, rcorr, _, _ = student.step_parts(rfed[:, : c.draft_layers], rids, rk, rv)
    pen = corr.float().pow(2).sum((2, 3)).mean() + rcorr.float().pow(2).sum((2, 3)).mean()
    return ce + prior_ce + penalty * pen, {'ce': ce.item(), 'priorCe': prior_ce.item(), 'penalty': pen.item()}


@torch.no_grad()
def agreement(student: MainLayerwise, teacher: MainLayerwise, get, n: int, batch: int = 4096) -> dict:
    """Per layer: items whose student greedy codes equal the teacher's on all P codes; whole chunks equal."""
    same = []
    for i in range(0, n, batch):
        obs = get(slice(i, min(n, i + batch)))
        same.append((student.greedy(*obs)[0] == teacher.greedy(*obs)[0]).all(-1))
    m = torch.cat(same).float()
    return {'layerExact': m.mean(0).tolist(), 'chunkExact': float(m.prod(1).mean())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--bundle', required=True, help='the teacher: a layerwise bundle folder with a draft reading the observation')
    ap.add_argument('--demos', required=True, nargs='+', help='rsd-demo/1 files whose observations are the training inputs')
    ap.add_argument('--draft-layers', type=int, default=8, help='layers the student\'s draft proposes (default 8: all)')
    ap.add_argument('--draft-hidden', type=int, default=None, help='the prior head\'s hidden width (default: the teacher\'s)')
    ap.add_argument('--seconds', type=float, default=180, help='training time budget (default 180)')
    ap.add_argument('--batch', type=int, default=1024)
    ap.add_argument('--lr', type=float, default=3e-4)
    ap.add_argument('--corr-penalty', type=float, default=1.0)
    ap.add_argument('--noise', type=float, default=0.01, help='Gaussian noise on normalised proprio and poses (the teacher labels the noisy observation)')
    ap.add_argument('--raw-noise', type=float, default=0.005, help='noise in metres on unnormalised object positions')
    ap.add_argument('--ema', type=float, default=0.999)
    ap.add_argument('--val-fraction', type=float, default=0.05)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--random-obs', type=int, default=20000, help='uniform random observations the draft\'s acceptance is also measured on')
    ap.add_argument('--name', default='default-deep-draft', help='the student bundle\'s name and folder')
    ap.add_argument('--demo-command', default=None, help='how the demonstrations were recorded (provenance)')
    ap.add_argument('--out', required=True)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s',
                        handlers=[logging.StreamHandler(sys.stdout), logging.FileHandler(os.path.join(args.out, 'distill-log.txt'))])
    t0 = time.time()
    seed_all(args.seed)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

    ckpt, tmodels = rebuild(args.bundle)
    tcfg = Config(**ckpt['config'])
    if tcfg.observation != 'state':
        print('distill: --bundle: only state bundles are supported (vision observations are not in the demos\' text)', file=sys.stderr)
        return 2
    if not (tcfg.draft_layers < args.draft_layers <= tcfg.layers):
        print(f'distill: --draft-layers: {args.draft_layers} must be in {tcfg.draft_layers + 1}..{tcfg.layers} (the teacher proposes {tcfg.draft_layers})', file=sys.stderr)
        return 2
    teacher = tmodels['main'].to(device).eval().requires_grad_(False)
    stats = ckpt['stats']
    data = observations(args.demos, stats)
    rng = np.random.default_rng(args.seed)
    val_eps = rng.random(data['episodes']) < args.val_fraction
    is_val = val_eps[data['episode']]
    split = lambda m: {k: torch.from_numpy(data[k][m]).to(device) for k in ('proprio', 'poses', 'task')}
    tr, va = split(~is_val), split(is_val)
    log.info('teacher %s (draft %d layers); %d observations from %d episodes (%d held out, %d episodes)', args.bundle, tcfg.draft_layers,
             len(data['task']), data['episodes'], int(is_val.sum()), int(val_eps.sum()))

    student = student_of(teacher, args.draft_layers, args.draft_hidden or tcfg.draft_hidden).to(device).train()
    cfg = student.c
    log.info('student: draft over %d layers, prior hidden %d, %d parameters', cfg.draft_layers, cfg.draft_hidden, count_params(student))
    opt = torch.optim.AdamW(student.parameters(), lr=args.lr, weight_decay=0.05, betas=(0.9, 0.98))
    ema = copy.deepcopy(student).eval().requires_grad_(False)
    ema_p, params = list(ema.parameters()), list(student.parameters())
    gen = torch.Generator().manual_seed(args.seed)
    sig_poses = pose_noise(stats, args.noise, args.raw_noise, device)
    it = batches(len(tr['task']), args.batch, gen, device)
    step, last, t_train = 0, 0.0, time.time()
    while time.time() - t_train < args.seconds:
        idx = next(it)
        obs = (noisy(tr['proprio'][idx], args.noise, gen), noisy(tr['poses'][idx], sig_poses, gen), tr['task'][idx])
        robs = random_obs(args.batch // 4, cfg, gen, device)
        # cosine decay over the time budget after 100 warm-up steps
        frac = min(1.0, (time.time() - t_train) / args.seconds)
        for g in opt.param_groups:
            g['lr'] = args.lr * min(1.0, (step + 1) / 100) * 0.5 * (1 + np.cos(np.pi * frac))
        loss, parts = loss_of(student, teacher, obs, robs, args.corr_penalty)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        with torch.no_grad():
            decay = min(args.ema, (1 + step) / (10 + step))
            torch._foreach_mul_(ema_p, decay)
            torch._foreach_add_(ema_p, params, alpha=1 - decay)
        if time.time() - t_train - last > 30:
            last = time.time() - t_train
            log.info('  step %d  t=%.0fs  loss %.4f  ce %.4f  prior ce %.4f  penalty %.4f', step, last, loss.item(), parts['ce'], parts['priorCe'], parts['penalty'])
    log.info('distillation: %d steps in %.0f s', step, time.time() - t_train)

    student = ema.eval()
    draft = Draft.from_main(student).to(device).eval()
    get_va = lambda sl: (va['proprio'][sl], va['poses'][sl], va['task'][sl])
    n_va = len(va['task'])
    vs_teacher = agreement(student, teacher, get_va, n_va)
    accept_va = draft_agreement(cfg, student, draft, get_va, n_va)
    rgen = torch.Generator().manual_seed(args.seed + 99)
    robs = random_obs(args.random_obs, cfg, rgen, device)
    accept_rand = draft_agreement(cfg, student, draft, lambda sl: tuple(t[sl] for t in robs), args.random_obs)
    log.info('student vs teacher greedy codes, held-out observations: layer exact %s, whole chunk %.3f',
             ' '.join(f'{x:.3f}' for x in vs_teacher['layerExact']), vs_teacher['chunkExact'])
    log.info('draft vs student greedy, held-out: layer exact %s, mean accepted %.3f of %d', ' '.join(f'{x:.3f}' for x in accept_va['layerExact']), accept_va['meanAccepted'], cfg.draft_layers)
    log.info('draft vs student greedy, uniform random observations: layer exact %s, mean accepted %.3f', ' '.join(f'{x:.3f}' for x in accept_rand['layerExact']), accept_rand['meanAccepted'])

    prov = copy.deepcopy(ckpt['provenance'])
    prov.pop('onnxCheck', None)
    prov.pop('files', None)
    prov['distilledFrom'] = {'bundle': os.path.basename(os.path.abspath(args.bundle)), 'files': prov.pop('rebuiltFrom', {}).get('files'),
                             'teacherDraftLayers': tcfg.draft_layers}
    prov['distillation'] = {
        'command': 'python -m training.distill ' + ' '.join(sys.argv[1:] if argv is None else argv),
        'demonstrations': {'files': [os.path.basename(p) for p in args.demos], 'command': args.demo_command, 'episodes': data['episodes'],
                           'observations': int(len(data['task'])), 'heldOutEpisodes': int(val_eps.sum())},
        'targets': "the teacher's greedy codes of every (augmented) observation, computed on the fly; the demonstrations' actions are not used",
        'steps': step, 'seconds': round(time.time() - t_train, 1), 'seed': args.seed,
        'machine': {'python': platform.python_version(), 'torch': torch.__version__, 'device': torch.cuda.get_device_name(0) if device.type == 'cuda' else platform.processor()},
        'studentVsTeacher': vs_teacher, 'draftAcceptance': {'heldOut': accept_va, 'randomObservations': accept_rand},
    }
    prov['training'] = {**prov.get('training', {}), 'config': cfg.dict()}
    out_ckpt = {**ckpt, 'config': cfg.dict(), 'provenance': prov,
                'state': {'decoder': ckpt['state']['decoder'], 'main': {k: t.cpu() for k, t in student.state_dict().items()},
                          'draft': {k: t.cpu() for k, t in draft.state_dict().items()}}}
    report = build_bundles(out_ckpt, args.out, ckpt['valSample'])
    src = report['bundles']['layerwise']['dir']
    dst = os.path.join(args.out, args.name)
    os.replace(src, dst)
    with open(os.path.join(dst, 'bundle.json')) as f:
        m = json.load(f)
    m['name'] = args.name
    m['description'] = (f'Distilled from the {prov["distilledFrom"]["bundle"]} bundle (issue 20): the same main model and RFSQ decoder, whose prior path now '
                        f'proposes {cfg.draft_layers} of the {cfg.layers} layers, each refined by a bounded correction from the blocks, so speculative '
                        'decoding verifies them in one step. ' + m['description'])
    with open(os.path.join(dst, 'bundle.json'), 'w') as f:
        f.write(json.dumps(m, indent=2) + '\n')
    log.info('bundle %s written in %.0f s', dst, time.time() - t0)
    return 0


if __name__ == '__main__':
    sys.exit(main())
