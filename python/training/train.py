"""Trains the default bundle from the scripted expert's demonstrations, in one seeded command.

    python -m training.train --demos DEMOS.jsonl --out OUT [--seed 0] [--device cuda]

Stages (each bounded by wall-clock seconds, so a run always reaches the export):
1. RFSQ action autoencoder on chunks [8, 7] (codec.py quantizer, bit-compatible with engine/rfsq);
   reconstruction error by number of layers and code usage per layer are logged.
2. Main policy, layerwise with KV cache (models.MainLayerwise), teacher-forced cross-entropy on the
   RFSQ codes of a[t : t + 8] given the observation at t (noise-augmented).
3. Parallel-head twin (models.MainParallel), same data and block stack.
4. Draft (models.Draft) distilled from the main model's greedy codes of the 3 coarsest layers,
   on demonstration observations (noise-augmented) and on uniform random observations in the
   normalised box (where the engine's benchmark samples).
5. ONNX export of both bundles, onnxruntime check against PyTorch (export.py), bundle.json with
   normalisation statistics and provenance.

Everything is logged to OUT/train.log; OUT/checkpoint.pt holds the weights, OUT/metrics.json the figures.
"""
from __future__ import annotations

import argparse
import copy
import json
import logging
import math
import os
import platform
import random
import shlex
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import codec
from .demos import ENTITIES, build_arrays, load_demos, model_to_env, split_episodes, unnormalize
from .export import build_bundles
from .models import ActionDecoder, ActionEncoder, Config, Draft, MainLayerwise, MainParallel, count_params
from .tokens import build_vocabulary, token_table

log = logging.getLogger('training')

DEMO_COMMAND = 'npx rsd expert --suite libero_spatial --trials 100 --noise 0,0.1,0.2,0.3,0.4 --seed 0 --record DIR --json'
VISION_DEMO_COMMAND = 'npx rsd expert --suite libero_spatial --trials 100 --noise 0,0.1,0.2,0.3,0.4 --seed 0 --cameras agentview,robot0_eye_in_hand --render-size 128 --image-size 64 --record DIR --json'
POLICY_DEMO_COMMAND = 'npx rsd expert --suite libero_spatial --trials 100 --no-clean --policy assets/bundles/default --policy assets/bundles/default-parallel --seed 0 --record DIR --json'


def setup_logging(out: str) -> None:
    log.setLevel(logging.INFO)
    fmt = logging.Formatter('%(asctime)s %(message)s', '%H:%M:%S')
    for h in (logging.FileHandler(os.path.join(out, 'train.log'), mode='w'), logging.StreamHandler(sys.stdout)):
        h.setFormatter(fmt)
        log.addHandler(h)


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def git_commit(given: str | None) -> str | None:
    if given:
        return given
    try:
        return subprocess.run(['git', 'rev-parse', 'HEAD'], capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return None


class Schedule:
    """Cosine learning rate over a budget of steps, with a linear warm-up in steps.

    The budget is given in steps (`steps`, reproducible) or in seconds: then the step rate is measured
    over steps CALIBRATE[0]..CALIBRATE[1] (after CUDA's warm-up) and the budget fixed in steps from
    there. The schedule is a function of the step index alone (flat until CALIBRATE[1]), so a rerun
    with `steps` set to the logged count follows the same learning rates."""

    CALIBRATE = (20, 220)

    def __init__(self, opt, lr: float, seconds: float | None = None, steps: int | None = None, warmup: int = 200):
        if steps is None and seconds is None:
            raise ValueError('a schedule needs a budget in steps or in seconds')
        self.opt, self.lr, self.seconds, self.warmup = opt, lr, seconds, warmup
        self.total = steps
        self.t0 = time.time()
        self.t_cal = self.t0
        self.step = 0

    def elapsed(self) -> float:
        return time.time() - self.t0

    def done(self) -> bool:
        return self.total is not None and self.step >= self.total

    def tick(self) -> None:
        self.step += 1
        lo, hi = self.CALIBRATE
        if self.total is None and self.elapsed() >= self.seconds:
            self.total = self.step  # out of time before the rate was measured (a slow device)
            log.info('    budget: %.0f s spent after %d steps', self.seconds, self.step)
        elif self.total is None:
            if self.step == lo:
                self.t_cal = time.time()
            elif self.step == hi:
                rate = (hi - lo) / max(1e-9, time.time() - self.t_cal)
                self.total = max(hi, hi + int(rate * (self.seconds - self.elapsed())))
                log.info('    budget: %.1f steps/s over steps %d-%d, so %d steps in %.0f s', rate, lo, hi, self.total, self.seconds)
        frac = 0.0 if self.step <= hi or self.total is None else min(1.0, self.step / self.total)
        lr = self.lr * min(1.0, self.step / self.warmup) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in self.opt.param_groups:
            g['lr'] = lr


def budget(seconds, steps) -> str:
    return f'{steps} steps' if steps is not None else f'{seconds:.0f} s, fixed in steps after calibration'


def reproduce_command(argv: list[str], ae: int, main: int, parallel: int) -> str:
    """This run's command with its budgets in steps: on the same machine and library versions it
    gives the same weights (make_deterministic)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        name = a.split('=')[0]
        if name in ('--ae-s', '--main-s', '--parallel-s', '--ae-steps', '--main-steps', '--parallel-steps'):
            skip = '=' not in a
            continue
        out.append(shlex.quote(a))
    return ' '.join(['python -m training.train', *out, f'--ae-steps {ae} --main-steps {main} --parallel-steps {parallel}'])


def make_deterministic(on: bool = True) -> None:
    """Same seed, same steps, same machine and library versions: same weights. cuBLAS needs its
    workspace fixed before CUDA starts; ops without a deterministic kernel would warn in the log."""
    if not on:
        return
    os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False


def batches(n: int, size: int, gen: torch.Generator, device):
    if n == 0:
        raise ValueError('no training samples')
    size = min(size, n)  # a tiny set (a dry run) would otherwise yield nothing, forever
    while True:
        perm = torch.randperm(n, generator=gen).to(device)
        for i in range(0, n - size + 1, size):
            yield perm[i:i + size]


# ---------------------------------------------------------------- stage 1: RFSQ autoencoder

def train_ae(cfg, scales, chunks_tr, chunks_va, seconds, steps, device, gen):
    enc, dec = ActionEncoder(cfg).to(device), ActionDecoder(cfg).to(device)
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-4)
    sched = Schedule(opt, 1e-3, seconds, steps, warmup=100)
    it = batches(len(chunks_tr), 1024, gen, device)
    last = 0.0
    while not sched.done():
        idx = next(it)
        x = chunks_tr[idx]
        z = enc(x)
        # quantizer dropout: half the batch decodes from a random prefix of layers
        k = torch.randint(1, cfg.layers + 1, (len(idx),), generator=gen).to(device)
        k = torch.where(torch.rand(len(idx), generator=gen).to(device) < 0.5, k, torch.full_like(k, cfg.layers))
        zq, _ = codec.torch_quantize(z, scales, cfg.levels, layers_used=k)
        recon = dec(zq)
        loss = F.mse_loss(recon, x) + 0.1 * F.relu(z.abs() - 1.0).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.tick()
        if sched.elapsed() - last > 15:
            last = sched.elapsed()
            log.info('  ae step %d  t=%.0fs  loss %.5f', sched.step, last, loss.item())
    log.info('  ae: %d steps in %.0f s', sched.step, sched.elapsed())
    return enc.eval(), dec.eval(), sched.step


@torch.no_grad()
def encode_codes(enc, chunks, scales, L, device):
    """Engine-exact codes (numpy float64 codec) of the encoder's latents, [N, Q, P]."""
    lat = torch.cat([enc(chunks[i:i + 8192].to(device)) for i in range(0, len(chunks), 8192)]).cpu().numpy()
    codes, _ = codec.encode(lat, scales, L)
    return codes, lat


@torch.no_grad()
def decode_actions(dec, codes: np.ndarray, scales, L, device, up_to=None):
    """Codes -> latent (engine-exact numpy sum) -> decoder -> normalised chunk [N, C, 7] (numpy)."""
    lat = codec.decode(codes, scales, L, up_to)
    return torch.cat([dec(torch.from_numpy(lat[i:i + 8192]).to(device)) for i in range(0, len(lat), 8192)]).cpu().numpy()


def action_errors(pred: np.ndarray, target: np.ndarray, stats: dict) -> dict:
    """Normalised MAE on dims 0-5, env-unit MAE on dims 0-5, gripper disagreement after binarising."""
    pe, te = model_to_env(pred, stats), model_to_env(target, stats)
    return {
        'maeNorm': float(np.abs(pred[..., :6] - target[..., :6]).mean()),
        'maxNorm': float(np.abs(pred[..., :6] - target[..., :6]).max()),
        'maeEnv': float(np.abs(pe[..., :6] - te[..., :6]).mean()),
        'gripperFlip': float((pe[..., 6] != te[..., 6]).mean()),
    }


# ---------------------------------------------------------------- stages 2-3: main models

def noisy(x, sigma, gen):
    """x + N(0, sigma^2); sigma a number or a per-dim tensor."""
    return x + sigma * torch.randn(x.shape, generator=gen, device='cpu').to(x.device)


def random_shift(x, pad: int, gen):
    """Each image [N, 3, s, s] moved by a random whole number of pixels in -pad..pad per axis, the
    border repeated (DrQ, Kostrikov et al. 2020): the policy keys on where things are relative to
    each other more than on exact pixel positions."""
    n, c, h, w = x.shape
    if h != w:
        raise ValueError(f'random_shift needs square images, got {h} x {w}')
    x = F.pad(x, (pad, pad, pad, pad), mode='replicate')
    eps = 1.0 / (h + 2 * pad)
    ar = torch.linspace(-1.0 + eps, 1.0 - eps, h + 2 * pad, device=x.device)[:h]
    base = torch.stack([ar[None, :].expand(h, h), ar[:, None].expand(h, h)], -1)[None]  # [1, h, w, 2] (x, y)
    shift = torch.randint(0, 2 * pad + 1, (n, 1, 1, 2), generator=gen).to(x.device, x.dtype) * (2.0 / (h + 2 * pad))
    return F.grid_sample(x, base + shift, mode='nearest', padding_mode='zeros', align_corners=False)


def observe(cfg, d: dict, idx, aug: dict | None = None):
    """The model inputs of items idx (an index tensor or a slice) of split d, in the models' order:
    state (proprio, poses, task); vision (proprio, instruction tokens, one image per camera, float
    in [0, 1]). With aug (training): Gaussian noise on proprio (and poses), random image shifts."""
    proprio = d['proprio'][idx]
    if aug is not None:
        proprio = noisy(proprio, aug['noise'], aug['gen'])
    if cfg.observation == 'state':
        poses = d['poses'][idx]
        if aug is not None:
            poses = noisy(poses, aug['sig_poses'], aug['gen'])
        return proprio, poses, d['task'][idx]
    frames = d['frames'][idx].to(proprio.device, non_blocking=True).float() * (1.0 / 255)  # [B, cams, 3, h, w]
    if aug is not None and aug['shift'] > 0:
        B, K = frames.shape[:2]
        frames = random_shift(frames.flatten(0, 1), aug['shift'], aug['gen']).view(B, K, *frames.shape[2:])
    return (proprio, d['tokens'][idx], *frames.unbind(1))


def pose_noise(stats: dict, sigma: float, raw_position_sigma: float, device):
    """Per object-pose dim: sigma on normalised dims and quaternions, raw_position_sigma (metres)
    on the positions passed through unnormalised (none without object poses)."""
    if stats['poses'] is None:
        return 0.0
    mask = stats['poses']['mask']
    return torch.tensor([sigma if (m or i % 7 >= 3) else raw_position_sigma for i, m in enumerate(mask)], device=device)


LAYER_WEIGHTS = [1.0, 1.0, 1.0, 1.0, 0.75, 0.5, 0.5, 0.5]


def residual_targets(z, coarse, scales, L):
    """Codes of layers k.. that continue the residual z - decode(coarse) (torch, float32): what the
    finer layers must say when the coarse layers are `coarse` rather than z's own codes."""
    spec = codec.LevelSpec(L)
    r = z
    for q in range(coarse.shape[1]):
        r = r - (coarse[:, q].float() - spec.half) / spec.half * scales[q]
    out = []
    for s in scales[coarse.shape[1]:]:
        idx = torch.round(torch.tanh(r / s + spec.shift) * spec.half_l - spec.offset) + spec.floor_half
        r = r - (idx - spec.half) / spec.half * s
        out.append(idx.long())
    return torch.stack(out, 1)


def train_policy(kind, cfg, data, seconds, steps, device, gen, args, stats, scales):
    model = (MainLayerwise if kind == 'layerwise' else MainParallel)(cfg, stats).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05, betas=(0.9, 0.98))
    sched = Schedule(opt, args.lr, seconds, steps, warmup=300)
    tr = data['train']
    it = batches(len(tr['codes']), args.batch, gen, device)
    w = torch.tensor(LAYER_WEIGHTS, device=device)
    sig_poses = pose_noise(stats, args.noise, args.raw_noise, device)
    last = 0.0
    model.train()
    amp = torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=args.amp and device.type == 'cuda')
    # An exponential moving average of the weights is what gets exported: it averages out the last
    # steps' noise, which otherwise decides per task whether a policy grasps a few cm off.
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    ema_params, params = list(ema.parameters()), list(model.parameters())
    while not sched.done():
        idx = next(it)
        with amp:
            loss = policy_loss(kind, model, tr, idx, cfg, gen, args, device, scales, sig_poses, w)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.tick()
        with torch.no_grad():
            decay = min(args.ema, (1 + sched.step) / (10 + sched.step))
            torch._foreach_mul_(ema_params, decay)
            torch._foreach_add_(ema_params, params, alpha=1 - decay)
        if sched.elapsed() - last > 30:
            last = sched.elapsed()
            va = eval_policy(kind, model, data['val'], cfg)
            model.train()
            log.info('  %s step %d  t=%.0fs  loss %.4f  val ce/layer %s  val acc/layer %s', kind, sched.step, last, loss.item(),
                     ' '.join(f'{x:.3f}' for x in va['ce']), ' '.join(f'{x:.3f}' for x in va['acc']))
    log.info('  %s: %d steps in %.0f s (%.1f epochs)', kind, sched.step, sched.elapsed(), sched.step * args.batch / len(tr['codes']))
    if args.ema > 0:
        va = eval_policy(kind, model, data['val'], cfg)
        log.info('  %s last weights: val ce/layer %s (the EMA weights are kept)', kind, ' '.join(f'{x:.3f}' for x in va['ce']))
        return ema, sched.step
    return model.eval(), sched.step


def policy_loss(kind, model, tr, idx, cfg, gen, args, device, scales, sig_poses, w):
    """One batch's loss: layer-weighted code cross-entropy, plus for the layerwise model the prior's
    cross-entropy and the coarse-correction penalty."""
    kD = cfg.draft_layers
    obs = observe(cfg, tr, idx, {'noise': args.noise, 'sig_poses': sig_poses, 'shift': args.shift, 'gen': gen})
    codes = tr['codes'][idx]
    extra = 0.0
    if kind == 'layerwise':
        # Scheduled sampling of the coarse layers: half the batch feeds the prior's own coarse
        # codes, and the finer layers learn to continue the residual from there.
        hidden, k, v = model.prefill(*obs)
        prior = model.prior(hidden)
        own = (torch.rand(len(idx), generator=gen) < args.sampled).to(device)[:, None, None]
        coarse = torch.where(own, prior.argmax(-1).detach(), codes[:, :kD])
        fine = residual_targets(tr['latent'][idx], coarse, scales, cfg.levels)
        targets = torch.cat([codes[:, :kD], fine], 1)
        inputs = torch.cat([coarse, fine], 1)
        fed = torch.cat([torch.zeros_like(inputs[:, :1]), inputs[:, :-1]], 1)
        ids = torch.arange(cfg.layers, device=device)[None, :].expand(len(idx), -1)
        logits, corr, _, _ = model.step_parts(fed, ids, k, v)
        prior_ce = F.cross_entropy(prior.reshape(-1, cfg.levels), codes[:, :kD].reshape(-1))
        # The correction is also kept small off the data (uniform random observations): where
        # the blocks have seen no data they should not overrule the prior.
        robs = random_obs(args.batch // 4, cfg, gen, device, tr.get('token_table'))
        rh, rk, rv = model.prefill(*robs)
        rprior = model.prior(rh).argmax(-1).detach()
        rfed = torch.cat([torch.zeros_like(rprior[:, :1]), rprior[:, :-1]], 1)
        rids = torch.arange(kD, device=device)[None, :].expand(len(rh), -1)
        _, rcorr, _, _ = model.step_parts(rfed, rids, rk, rv)
        extra = prior_ce + args.corr_penalty * (corr.float().pow(2).sum((2, 3)).mean() + rcorr.float().pow(2).sum((2, 3)).mean())
    else:
        logits = model(*obs)
        targets = codes
    ce = F.cross_entropy(logits.float().reshape(-1, cfg.levels), targets.reshape(-1), reduction='none').view(targets.shape).mean((0, 2))
    return (ce * w).sum() / w.sum() + extra


@torch.no_grad()
def eval_policy(kind, model, va, cfg):
    model.eval()
    ces, accs = [], []
    for i in range(0, len(va['codes']), 4096):
        sl = slice(i, i + 4096)
        obs = observe(cfg, va, sl)
        if kind == 'layerwise':
            logits = model.forward_train(va['codes'][sl], *obs)[0]
        else:
            logits = model(*obs)
        codes = va['codes'][sl]
        ces.append(F.cross_entropy(logits.reshape(-1, cfg.levels), codes.reshape(-1), reduction='none').view(codes.shape).mean(2).sum(0))
        accs.append((logits.argmax(-1) == codes).float().mean(2).sum(0))
    n = len(va['codes'])
    return {'ce': (torch.stack(ces).sum(0) / n).tolist(), 'acc': (torch.stack(accs).sum(0) / n).tolist()}


@torch.no_grad()
def predicted_codes(kind, model, va, cfg):
    out = []
    for i in range(0, len(va['codes']), 4096):
        sl = slice(i, i + 4096)
        obs = observe(cfg, va, sl)
        if kind == 'layerwise':
            out.append(model.greedy(*obs)[0])
        else:
            out.append(model(*obs).argmax(-1))
    return torch.cat(out).cpu().numpy()


# ---------------------------------------------------------------- stage 4: draft

def random_obs(n, cfg, gen, device, token_table=None):
    """The engine benchmark's synthetic observation: U[-1, 1] floats, a random task index; for a
    vision model U[-1, 1] proprio, U[0, 1] pixels and the tokens of a random known instruction."""
    p = torch.rand(n, cfg.proprio_dim, generator=gen) * 2 - 1
    if cfg.observation == 'vision':
        tokens = token_table.cpu()[torch.randint(0, len(token_table), (n,), generator=gen)]
        s = cfg.image_size
        images = [torch.rand(n, 3, s, s, generator=gen).to(device) for _ in range(cfg.cameras)]
        return (p.to(device), tokens.to(device), *images)
    o = torch.rand(n, cfg.pose_dim, generator=gen) * 2 - 1
    t = torch.randint(0, cfg.tasks, (n,), generator=gen)
    return p.to(device), o.to(device), t.to(device)


@torch.no_grad()
def draft_agreement(cfg, main, draft, get, n, batch=2048):
    """Per draft layer: fraction of items whose draft argmax equals main greedy on all P codes;
    and the mean accepted prefix under the `exact` rule. get(slice) gives items' observations."""
    targets, proposals = [], []
    for i in range(0, n, batch):
        obs = get(slice(i, min(n, i + batch)))
        targets.append(main.greedy(*obs, layers=cfg.draft_layers)[0])
        proposals.append(draft(*obs).argmax(-1))
    target, proposed = torch.cat(targets), torch.cat(proposals)
    match = (proposed == target).all(-1).float()  # [N, k]
    prefix = torch.cumprod(match, 1)
    code_match = (proposed == target).float().mean((0, 2))
    return {'layerExact': match.mean(0).tolist(), 'codeMatch': code_match.tolist(), 'meanAccepted': float(prefix.sum(1).mean()), 'allAccepted': float(prefix[:, -1].mean())}


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--demos', required=True, nargs='+', help='rsd-demo/1 files (.jsonl or .jsonl.xz), read as one set')
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--ae-s', type=float, default=45)
    ap.add_argument('--main-s', type=float, default=200)
    ap.add_argument('--parallel-s', type=float, default=130)
    ap.add_argument('--ae-steps', type=int, default=None, help='budget in steps (overrides --ae-s; reproducible)')
    ap.add_argument('--main-steps', type=int, default=None, help='budget in steps (overrides --main-s; reproducible)')
    ap.add_argument('--parallel-steps', type=int, default=None, help='budget in steps (overrides --parallel-s; reproducible)')
    ap.add_argument('--sampled', type=float, default=0.5, help='fraction of a batch whose coarse layers are the prior\'s own codes')
    ap.add_argument('--corr-penalty', type=float, default=1.0, help='weight of the squared coarse correction')
    ap.add_argument('--draft-hidden', type=int, default=Config.draft_hidden, help='hidden width of the coarse prior head (and so of the draft)')
    ap.add_argument('--coarse-correction', type=float, default=Config.coarse_correction, help='bound of the blocks\' correction to the coarse prior logits')
    ap.add_argument('--batch', type=int, default=2048)
    ap.add_argument('--lr', type=float, default=8e-4)
    ap.add_argument('--noise', type=float, default=0.01, help='std of Gaussian noise on normalised proprio and object poses, and on quaternions')
    ap.add_argument('--raw-noise', type=float, default=0.005, help='std (metres) of Gaussian noise on object positions passed through unnormalised')
    ap.add_argument('--val-fraction', type=float, default=0.05)
    ap.add_argument('--scale0', type=float, default=0.8)
    ap.add_argument('--rho', type=float, default=0.5, help='RFSQ scales s_q = scale0 * rho^q')
    ap.add_argument('--amp', action=argparse.BooleanOptionalAction, default=True, help='bfloat16 autocast for the policies\' training steps on CUDA (evaluation, export and the ONNX check stay float32)')
    ap.add_argument('--ema', type=float, default=0.999, help='decay of the exported weights\' exponential moving average (0: the last weights)')
    ap.add_argument('--deterministic', action=argparse.BooleanOptionalAction, default=True, help='deterministic CUDA algorithms (make_deterministic)')
    ap.add_argument('--demo-command', action='append', default=None, help='a command that recorded DEMOS, for the provenance (repeat per file; default: the clean + noise recipe)')
    ap.add_argument('--git-commit', default=None)
    ap.add_argument('--small', action='store_true', help='a tiny configuration, for smoke tests')
    ap.add_argument('--no-export', action='store_true')
    ap.add_argument('--observation', choices=['state', 'vision'], default='state', help='state: proprio, object poses, task index; vision: proprio, instruction tokens and the recorded cameras\' images (demonstrations recorded with rsd expert --cameras)')
    ap.add_argument('--max-tokens', type=int, default=Config.max_tokens, help='vision: the instruction\'s token length L')
    ap.add_argument('--shift', type=int, default=2, help='vision: random image shifts of up to this many pixels (0: none)')
    ap.add_argument('--d-model', type=int, default=None, help='width D of the blocks (default: 256 state, 192 vision)')
    ap.add_argument('--heads', type=int, default=None, help='attention heads (default: 8 state, 6 vision)')
    ap.add_argument('--cnn-channels', default=None, help='vision: four conv widths, e.g. 32,32,64,64')
    ap.add_argument('--no-parallel', action='store_true', help='skip the parallel twin (and its bundle)')
    ap.add_argument('--frames-on', choices=['device', 'cpu'], default='device', help='vision: where the training images are kept (cpu: gathered per batch)')
    ap.add_argument('--check-image-hashes', action='store_true', help='vision: hash every image file against its demonstration line')
    args = ap.parse_args()

    make_deterministic(args.deterministic)
    os.makedirs(args.out, exist_ok=True)
    setup_logging(args.out)
    t_start = time.time()
    seed_all(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    device = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = True  # training only; the export and its ORT check run in float32 on the CPU
    torch.set_flush_denormal(True)  # CPU: tiny weights late in a toy run otherwise slow every step tenfold
    command = 'python -m training.train ' + ' '.join(shlex.quote(a) for a in sys.argv[1:])
    machine = {'python': platform.python_version(), 'torch': torch.__version__, 'device': torch.cuda.get_device_name(0) if device.type == 'cuda' else platform.processor() or 'cpu', 'host': platform.node()}
    log.info('command: %s', command)
    log.info('machine: %s', machine)

    vision = args.observation == 'vision'
    demos = load_demos(args.demos, entities=[] if vision else ENTITIES, images=vision, check_image_hashes=args.check_image_hashes)
    arr = build_arrays(demos)
    val_ep = split_episodes(demos, args.val_fraction, args.seed)
    is_val = val_ep[arr.episode]
    per_task = {t: sum(1 for e in demos.episodes if e.task_id == t) for t in range(len(demos.instructions))}
    log.info('demos: %s, sha256 %s; %d successful episodes (%s per task), %d samples (%d train, %d val from %d held-out episodes); %d perturbed steps\' chunks left out',
             args.demos, demos.sha256, len(demos.episodes), per_task, len(arr.task), int((~is_val).sum()), int(is_val.sum()), int(val_ep.sum()), arr.dropped)

    kind_cfg: dict = {}
    observation: dict = {'kind': 'state'}
    if vision:
        cams = demos.cameras
        size = cams[0]['height']
        if any(c['height'] != size or c['width'] != size for c in cams):
            raise ValueError(f'the vision encoder needs square images of one size; the demonstrations\' cameras are {[(c["name"], c["height"], c["width"]) for c in cams]}')
        vocabulary = build_vocabulary(demos.instructions)
        tokens = token_table(demos.instructions, vocabulary, args.max_tokens)
        observation = {'kind': 'vision', 'cameras': cams, 'vocabulary': vocabulary, 'maxTokens': args.max_tokens}
        kind_cfg = dict(observation='vision', cameras=len(cams), image_size=size, vocab=len(vocabulary), max_tokens=args.max_tokens, d_model=192, heads=6)
        log.info('vision: cameras %s; %d frames of %s (%.1f GB); vocabulary of %d words, L = %d', [c['name'] for c in cams], len(arr.frames),
                 list(arr.frames.shape[1:]), arr.frames.nbytes / 1e9, len(vocabulary), args.max_tokens)
    if args.d_model is not None:
        kind_cfg['d_model'] = args.d_model
    if args.heads is not None:
        kind_cfg['heads'] = args.heads
    if args.cnn_channels is not None:
        kind_cfg['cnn_channels'] = tuple(int(x) for x in args.cnn_channels.split(','))
    cfg = Config(draft_hidden=args.draft_hidden, coarse_correction=args.coarse_correction, **kind_cfg)
    if args.small:
        small = dict(cnn_channels=(8, 8, 16, 16), keypoints=8, text_dim=16, groups=4) if vision else {}
        cfg = Config(**{**kind_cfg, **dict(ae_enc_hidden=64, ae_dec_hidden=64, hidden=64, d_model=192, blocks=1, heads=4, mlp_ratio=1, draft_hidden=64), **small})
    scales = [float(args.scale0 * args.rho ** q) for q in range(cfg.layers)]
    log.info('config: %s', cfg.dict())
    log.info('rfsq scales: %s', scales)

    chunks = torch.from_numpy(arr.chunks)
    chunks_tr = chunks[torch.from_numpy(~is_val)].to(device)
    metrics: dict = {}

    # 1. RFSQ autoencoder
    log.info('stage 1: RFSQ autoencoder (%s)', budget(args.ae_s, args.ae_steps))
    enc, dec, ae_steps = train_ae(cfg, scales, chunks_tr, None, args.ae_s, args.ae_steps, device, gen)
    codes, lat = encode_codes(enc, chunks, scales, cfg.levels, device)
    va_chunks = arr.chunks[is_val]
    by_layers = []
    for k in range(1, cfg.layers + 1):
        e = action_errors(decode_actions(dec, codes[is_val], scales, cfg.levels, device, k), va_chunks, arr.stats['actions'])
        e['layers'] = k
        by_layers.append(e)
        log.info('  recon with layers 0..%d: mae(norm) %.5f  max(norm) %.4f  mae(env) %.5f  gripper flips %.4f', k - 1, e['maeNorm'], e['maxNorm'], e['maeEnv'], e['gripperFlip'])
    usage = codec.code_usage(codes, cfg.levels)
    for u in usage:
        log.info('  layer %d code usage %s  perplexity %.2f (%d of %d levels used)', u['layer'], u['levels'], u['perplexity'], u['used'], cfg.levels)
    latent_range = [float(lat.min()), float(lat.max()), float(np.abs(lat).mean())]
    log.info('  latent min/max/mean|.|: %s', latent_range)
    metrics['rfsq'] = {'steps': ae_steps, 'scales': scales, 'reconByLayers': by_layers, 'codeUsage': usage, 'latentRange': latent_range,
                       'decoderParams': count_params(dec), 'encoderParams': count_params(enc), 'note': 'validation chunks (held-out episodes); mae in q99-normalised units and env units, dims 0-5; gripperFlip = binarised gripper disagreement'}

    def split(mask):
        m = torch.from_numpy(mask)
        d = {'proprio': torch.from_numpy(arr.proprio)[m].to(device), 'poses': torch.from_numpy(arr.poses)[m].to(device),
             'task': torch.from_numpy(arr.task)[m].to(device), 'codes': torch.from_numpy(codes)[m].to(device),
             'latent': torch.from_numpy(lat)[m].to(device)}
        if vision:
            table = torch.from_numpy(tokens).to(device)
            d['tokens'] = table[d['task']]
            d['token_table'] = table
            frames = torch.from_numpy(arr.frames[mask])
            d['frames'] = frames.to(device) if args.frames_on == 'device' else frames
        return d

    data = {'train': split(~is_val), 'val': split(is_val)}
    if vision:
        arr.frames = None  # the splits hold their copies

    # 2. main layerwise
    log.info('stage 2: main layerwise (%s)', budget(args.main_s, args.main_steps))
    main_m, main_steps = train_policy('layerwise', cfg, data, args.main_s, args.main_steps, device, gen, args, arr.stats, scales)
    # 3. parallel
    par_m, par_steps = None, 0
    if not args.no_parallel:
        log.info('stage 3: main parallel (%s)', budget(args.parallel_s, args.parallel_steps))
        par_m, par_steps = train_policy('parallel', cfg, data, args.parallel_s, args.parallel_steps, device, gen, args, arr.stats, scales)
    for kind, model, steps in (('layerwise', main_m, main_steps), ('parallel', par_m, par_steps)):
        if model is None:
            continue
        va = eval_policy(kind, model, data['val'], cfg)
        pred = predicted_codes(kind, model, data['val'], cfg)
        err = action_errors(decode_actions(dec, pred, scales, cfg.levels, device), va_chunks, arr.stats['actions'])
        layer_exact = (pred == codes[is_val]).all(-1).mean(0).tolist()
        log.info('  %s val: ce/layer %s  code acc/layer %s  layer exact %s  greedy-decoded chunk: mae(norm) %.4f mae(env) %.4f gripper flips %.4f',
                 kind, ' '.join(f'{x:.3f}' for x in va['ce']), ' '.join(f'{x:.3f}' for x in va['acc']), ' '.join(f'{x:.3f}' for x in layer_exact), err['maeNorm'], err['maeEnv'], err['gripperFlip'])
        metrics[kind] = {'steps': steps, 'params': count_params(model), 'valCrossEntropy': va['ce'], 'valCodeAccuracy': va['acc'], 'valLayerExact': layer_exact, 'valGreedyChunk': err}

    # 4. draft: the main model's prior path
    log.info('stage 4: draft = copy of the main model\'s prior path')
    draft_m = Draft.from_main(main_m).to(device).eval()
    draft_steps = 0
    va = data['val']
    agree_val = draft_agreement(cfg, main_m, draft_m, lambda sl: observe(cfg, va, sl), len(va['codes']))
    rgen = torch.Generator().manual_seed(args.seed + 99)
    n_rand = 4096 if vision else 20000  # random images are 100 KB each
    robs = random_obs(n_rand, cfg, rgen, device, data['train'].get('token_table'))
    agree_rand = draft_agreement(cfg, main_m, draft_m, lambda sl: tuple(t[sl] for t in robs), n_rand)
    log.info('  draft vs main greedy, validation observations: layer exact %s, mean accepted %.3f of %d', agree_val['layerExact'], agree_val['meanAccepted'], cfg.draft_layers)
    log.info('  draft vs main greedy, uniform random observations: layer exact %s, mean accepted %.3f of %d', agree_rand['layerExact'], agree_rand['meanAccepted'], cfg.draft_layers)
    metrics['draft'] = {'params': count_params(draft_m), 'validation': agree_val, 'randomObservations': agree_rand,
                        'note': 'the draft is the main model\'s prior path (observation encoder + prior head), copied; exact = all P codes of a layer equal the main model\'s greedy codes'}
    metrics['trainingSeconds'] = time.time() - t_start

    states = {k: {n: t.detach().cpu() for n, t in m.state_dict().items()} for k, m in (('decoder', dec), ('encoder', enc), ('main', main_m), ('parallel', par_m), ('draft', draft_m)) if m is not None}
    step = max(1, int(is_val.sum()) // 64)
    sel = np.flatnonzero(is_val)[::step][:64]
    val_sample = {'proprio': arr.proprio[sel], 'poses': arr.poses[sel], 'task': arr.task[sel]}
    if vision:
        # uint8 frames of the same items (their positions in the validation split)
        val_sample['tokens'] = tokens[arr.task[sel]]
        vf = data['val']['frames']
        val_sample['frames'] = vf[torch.arange(int(is_val.sum()), device=vf.device)[::step][:64]].cpu().numpy()
    inits_per_task = [len({e.init_index for e in demos.episodes if e.task_id == t}) for t in range(len(demos.instructions))]
    init_range = f'{min(inits_per_task)}' if min(inits_per_task) == max(inits_per_task) else f'{min(inits_per_task)}-{max(inits_per_task)}'
    provenance = {
        'synthetic': False,
        'demonstrations': {
            'command': ' ; '.join(args.demo_command or [VISION_DEMO_COMMAND if vision else DEMO_COMMAND] + ([POLICY_DEMO_COMMAND] if any(e.perturber.startswith('policy:') for e in demos.episodes) else [])),
            'file': ' + '.join(os.path.basename(p) for p in args.demos),
            'sha256': demos.sha256,
            'episodes': demos.counts,
            'usedEpisodes': len(demos.episodes),
            'usedPerTask': per_task,
            'samples': len(arr.task),
            'samplesLeftOut': f'{arr.dropped} steps of perturbed episodes whose chunk a[t:t+8] spans perturbed steps (the expert reacting to noise after t) are not samples',
            'initStates': f"the project's demo pool (initSource 'project'), disjoint from the project's 50 evaluation states per task; successful episodes from {init_range} initial states per task",
            'initSources': sorted({e.init_source for e in demos.episodes}),
            'expert': 'the scripted expert of engine/expert (rsd expert): one action per observation (closed loop), every step recorded',
            'perturbation': 'DART-style: with --noise levels > 0 the simulator executed the expert\'s actions plus AR(1) Gaussian noise of that std on the 3 translation dims in bursts of 4-12 steps with quiet gaps of 9-20 (engine/expert/perturbation.ts), while the recorded action is the expert\'s own; each initial state runs once per level',
            'policyPerturbation': 'with --policy DIR a trained bundle\'s own chunk actions drove the arm (6 dims, the gripper stays the expert\'s) in bursts of 8-16 steps with quiet gaps of 9-20 (engine/expert/policy-perturbation.ts), DAgger-style: the expert observes every step and its actions are recorded; each initial state runs once per policy' if any(e.perturber.startswith('policy:') for e in demos.episodes) else None,
            'noiseLevels': sorted({e.noise for e in demos.episodes}),
            'perturbers': {k: sum(1 for e in demos.episodes if e.perturber == k) for k in sorted({e.perturber for e in demos.episodes})},
        },
        'training': {
            'command': command,
            'steps': {'autoencoder': ae_steps, 'main': main_steps, 'parallel': par_steps},
            'reproduce': reproduce_command(sys.argv[1:], ae_steps, main_steps, par_steps),
            'seed': args.seed,
            'machine': machine,
            'gitCommit': git_commit(args.git_commit),
            'config': cfg.dict(),
            'rfsqScales': scales,
            'validation': f'{int(val_ep.sum())} held-out episodes (the episodes of {args.val_fraction:.0%} of the initial states per task, every noise level), not trained on',
            'weights': f'exponential moving average of the policies\' weights, decay {args.ema}' if args.ema > 0 else 'the last step\'s weights',
            'precision': 'bfloat16 autocast for the policies\' training steps' if args.amp and device.type == 'cuda' else 'float32',
            'target': 'RFSQ codes of a[t:t+8] (repeat-last padding) from the observation at t; gripper target g = (1 - a_env)/2',
            'augmentation': (f'Gaussian noise std {args.noise} on normalised proprio; images shifted by up to {args.shift} pixels per axis (border repeated)' if vision
                             else f'Gaussian noise std {args.noise} on normalised proprio, normalised object positions and quaternions; {args.raw_noise} m on unnormalised object positions'),
            'draft': 'a copy of the main model\'s coarse prior path (observation encoder + prior head, trained jointly with the main model on the true codes of layers 0-2); the main model adds a bounded correction (|.| <= coarse_correction per logit, penalised) from its blocks',
            'correctionPenalty': f'{args.corr_penalty} x squared coarse correction, on demonstration batches and on uniform random observations (a quarter batch)',
            'scheduledSampling': f'{args.sampled:.0%} of each batch feeds the prior\'s own coarse codes; layers 3-7 then learn to continue the residual from them',
        },
        'metrics': metrics,
    }
    if vision:
        provenance['demonstrations']['images'] = {
            'cameras': demos.cameras,
            'stored': 'per episode a .npy of uint8 [steps, cameras, 3, h, w] beside the .jsonl: each camera\'s image as the engine\'s ImagePreprocessor makes the policy\'s tensor (triangle-filter resize from the render size), round(255 x); the lines record each file\'s SHA-256',
        }
    ckpt = {'config': cfg.dict(), 'state': states, 'scales': scales, 'stats': arr.stats, 'instructions': demos.instructions, 'observation': observation,
            'provenance': provenance, 'valSample': val_sample}
    torch.save(ckpt, os.path.join(args.out, 'checkpoint.pt'))
    with open(os.path.join(args.out, 'metrics.json'), 'w') as f:
        json.dump(metrics, f, indent=2)
    log.info('checkpoint written (%.0f s so far)', time.time() - t_start)

    if not args.no_export:
        report = build_bundles(ckpt, args.out, val_sample)
        metrics['export'] = report
        with open(os.path.join(args.out, 'metrics.json'), 'w') as f:
            json.dump(metrics, f, indent=2)
    log.info('done in %.0f s', time.time() - t_start)


if __name__ == '__main__':
    main()
