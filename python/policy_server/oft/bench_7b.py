"""Latency of the OFT + RFSQ serving path at Llama-2 7B's shape: main head alone against RSD.

TIMING ONLY, NO RESULTS: every weight is random. The backbone is standin.py's stand-in for
OpenVLA-OFT: transformers' LlamaForCausalLM with Llama-2 7B's config (hidden 4096, 32 layers, 32
heads, intermediate 11008, vocab 32000) and, by default, vision towers of OFT's fused shapes (DINOv2
ViT-L/14 + SigLIP so400m/14 + a 3-layer projector), all random; the RFSQ head, draft, decoder and
proprio projector are this package's classes at the seed's real sizes, random too. The input is
OFT's LIBERO input: 2 images x 256 patches + 1 proprio token + BOS + the prompt (the sequence length
is printed). Each chunk runs the served code path (policy.OftRfsqPolicy.infer: preprocessing,
backbone forward, heads, acceptance, decoder, un-normalisation), with torch.cuda.synchronize()
around every stage. Main-only and RSD chunks alternate in one process after a warm-up; the JSON
gives per-stage medians and p95s and the ratio RSD / main-only of the median total.

Needs only torch + transformers (+ numpy). Run from the repository root:
  python python/policy_server/oft/bench_7b.py --chunks 50          # CUDA, bf16, 7B shape
  python python/policy_server/oft/bench_7b.py --tiny --chunks 3    # CPU check of the script itself
"""
import argparse
import json
import os
import sys
import tempfile
import time

if __package__ in (None, ''):
    # Imported as the top-level package `oft`, so python/policy_server/__init__ (and the server's
    # websockets/msgpack) are never needed on the GPU machine.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = 'oft'  # noqa: A001

import numpy as np
import torch
import transformers

from .heads import CodeShape, ProprioProjector, RFSQDraft, RFSQHead
from .normalization import DatasetStats
from .policy import OftRfsqPolicy
from .rfsq import RFSQDecoder
from .standin import LLAMA2_7B, standin_backbone, tiny_config

INSTRUCTION = 'pick up the black bowl between the plate and the ramekin and place it on the plate'
STATS = {'libero_spatial_no_noops': {
    'action': {'q01': [-0.75, -0.66, -0.94, -0.11, -0.21, -0.18, 0.0], 'q99': [0.94, 0.88, 0.93, 0.10, 0.18, 0.15, 1.0],
               'mask': [True] * 6 + [False]},
    'proprio': {'q01': [-0.3, -0.2, 0.9, 2.9, -0.5, -0.3, 0.0, -0.04], 'q99': [0.2, 0.3, 1.3, 3.3, 0.5, 0.3, 0.04, 0.0]}}}


def build(args: argparse.Namespace, stats_path: str) -> tuple[OftRfsqPolicy, int]:
    device = torch.device(args.device)
    dtype = {'bf16': torch.bfloat16, 'fp32': torch.float32}[args.dtype]
    if args.tiny:
        config, shape, head_hidden, draft_width, draft_ff = tiny_config(64), CodeShape(8, 8, 16, 7), 32, 32, 64
    else:
        config, shape, head_hidden, draft_width, draft_ff = transformers.LlamaConfig(**LLAMA2_7B), CodeShape(8, 8, 16, 7), 1024, 512, 2048
    torch.manual_seed(0)
    dim = config.hidden_size
    projector = ProprioProjector(dim, 8).to(device, dtype).eval()
    backbone = standin_backbone(config, device, dtype, args.num_images, projector, args.vision)
    head = RFSQHead(dim, head_hidden, shape).to(device).eval()
    draft = RFSQDraft(dim, draft_width, 8, draft_ff, 256, 3, shape).to(device).eval()
    decoder = RFSQDecoder(7, shape.latent, shape.layers, shape.levels, use_layernorm=False).to(device).eval()
    policy = OftRfsqPolicy(backbone, head, decoder, draft, DatasetStats(stats_path, None), strategy='speculative',
                           accept='threshold', threshold=args.threshold, num_images=args.num_images, orientation='upright',
                           crop=True, camera_size=256, action_space='oft', name='random-7b-shaped-stand-in',
                           weights_hash='sha256:' + '0' * 64)
    prompt_tokens = backbone.processor(f'In: What action should the robot take to {INSTRUCTION}?\nOut:', np.zeros((1, 1, 3), np.uint8))['input_ids'].shape[1]
    sequence = prompt_tokens + 256 * args.num_images + 1  # BOS counted in prompt_tokens; + proprio token
    return policy, sequence


def observation(rng: np.random.Generator) -> dict:
    return {'observation/image': rng.integers(0, 256, (256, 256, 3), dtype=np.uint8),
            'observation/wrist_image': rng.integers(0, 256, (256, 256, 3), dtype=np.uint8),
            'observation/state': rng.normal(0, 0.1, 8).astype(np.float32),
            'task/suite': 'libero_spatial', 'prompt': INSTRUCTION}


def summary(values: list[float]) -> dict:
    a = np.asarray(values)
    return {'median': round(float(np.median(a)), 3), 'p95': round(float(np.percentile(a, 95)), 3),
            'min': round(float(a.min()), 3), 'max': round(float(a.max()), 3)}


def arm(records: list[dict]) -> dict:
    stages = sorted({k for r in records for k in r['stages_ms']})
    out = {'total_ms': summary([r['total_ms'] for r in records]),
           'stages_ms': {s: summary([r['stages_ms'][s] for r in records]) for s in stages},
           # what is not a timed stage: observation parsing and preprocessing, acceptance, un-normalisation
           'outside_stages_ms': summary([r['total_ms'] - sum(r['stages_ms'].values()) for r in records])}
    if records[0]['strategy'] == 'speculative':
        out['accepted_layers_mean'] = float(np.mean([r['accepted_layers'] for r in records]))
        out['agreement_mean'] = [float(x) for x in np.mean([r['agreement'] for r in records], axis=0)]
    return out


def served_arm(policy, chunks: int, warmup: int) -> dict:
    """The same policy behind python/policy_server on loopback, timed from a client in this process:
    the round trip against the server's own time for the model (its `rsd.total_ms`), per chunk.
    Needs websockets and msgpack (pure-Python copies are enough)."""
    import asyncio
    import threading

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    from policy_server import msgpack_numpy
    from policy_server.server import PolicyServer
    from websockets.sync.client import connect

    loop = asyncio.new_event_loop()
    server = PolicyServer(policy, port=0)
    host, port = loop.run_until_complete(server.start())
    loop.create_task(server.serve_forever())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    rng = np.random.default_rng(1)
    round_trip, model, protocol = [], [], []
    with connect(f'ws://{host}:{port}', compression=None, max_size=None) as ws:
        msgpack_numpy.unpackb(ws.recv())  # metadata
        for i in range(warmup + chunks):
            message = msgpack_numpy.packb(observation(rng))
            t0 = time.perf_counter()
            ws.send(message)
            reply = msgpack_numpy.unpackb(ws.recv())
            ms = (time.perf_counter() - t0) * 1000
            if i >= warmup:
                round_trip.append(ms)
                model.append(reply['rsd']['total_ms'])
                protocol.append(ms - reply['rsd']['total_ms'])
    asyncio.run_coroutine_threadsafe(server.close(), loop).result()
    loop.call_soon_threadsafe(loop.stop)
    return {'round_trip_ms': summary(round_trip), 'model_in_server_ms': summary(model),
            'protocol_and_server_ms': summary(protocol), 'request_bytes': len(message),
            'msgpack': 'pure Python' if 'fallback' in type(msgpack_numpy.msgpack.Packer()).__module__ else 'C extension'}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--tiny', action='store_true', help='tiny shapes on CPU: checks the script, times nothing of interest')
    p.add_argument('--chunks', type=int, default=50, help='timed chunks per arm (default 50)')
    p.add_argument('--warmup', type=int, default=5, help='untimed chunks per arm first (default 5)')
    p.add_argument('--device', default=None, help='default cuda (cpu with --tiny)')
    p.add_argument('--dtype', choices=('bf16', 'fp32'), default=None, help='backbone dtype (default bf16; fp32 with --tiny)')
    p.add_argument('--vision', choices=('vit', 'patch'), default=None, help="stand-in image embedding: vit (OFT's tower shapes; default) or patch (one convolution; default with --tiny)")
    p.add_argument('--num-images', type=int, choices=(1, 2), default=2)
    p.add_argument('--threshold', type=float, default=0.7)
    p.add_argument('--served', action='store_true', help='also time the RSD arm through python/policy_server on loopback (needs websockets, msgpack)')
    p.add_argument('--out', help='also write the JSON here')
    args = p.parse_args()
    args.device = args.device or ('cpu' if args.tiny else 'cuda')
    args.dtype = args.dtype or ('fp32' if args.tiny else 'bf16')
    args.vision = args.vision or ('patch' if args.tiny else 'vit')
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        sys.exit('bench_7b: --device cuda but CUDA is not available (use --tiny for a CPU check)')

    with tempfile.TemporaryDirectory() as tmp:
        stats_path = os.path.join(tmp, 'dataset_statistics.json')
        with open(stats_path, 'w') as f:
            json.dump(STATS, f)
        t0 = time.perf_counter()
        policy, sequence = build(args, stats_path)
        build_s = time.perf_counter() - t0
        rng = np.random.default_rng(0)
        for _ in range(args.warmup):
            policy.infer(observation(rng), strategy='parallel')
            policy.infer(observation(rng), strategy='speculative')
        main_only, rsd = [], []
        for i in range(args.chunks):
            obs = observation(rng)
            # alternate which arm goes first, so neither always follows the other
            order = (('parallel', main_only), ('speculative', rsd)) if i % 2 == 0 else (('speculative', rsd), ('parallel', main_only))
            for strategy, out in order:
                out.append(policy.infer(obs, strategy=strategy)['rsd'])
        served = served_arm(policy, args.chunks, args.warmup) if args.served else None

    result = {
        'what': 'TIMING-ONLY stand-in: random weights at Llama-2 7B shape (no model results)' if not args.tiny else 'tiny CPU check of bench_7b.py (no figures of interest)',
        'device': torch.cuda.get_device_name(0) if args.device.startswith('cuda') else 'cpu',
        'torch': torch.__version__, 'transformers': transformers.__version__,
        'dtype': args.dtype, 'vision_stand_in': args.vision, 'num_images': args.num_images,
        'backbone': {k: getattr(policy.backbone.vla.language_model.config, k) for k in ('hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'vocab_size')},
        'sequence_tokens': sequence,
        'chunks_per_arm': args.chunks, 'warmup_per_arm': args.warmup, 'build_s': round(build_s, 1),
        'main_only': arm(main_only), 'rsd': arm(rsd),
        'threshold': args.threshold,
    }
    result['ratio_rsd_over_main_only'] = round(result['rsd']['total_ms']['median'] / result['main_only']['total_ms']['median'], 4)
    if served is not None:
        result['served_rsd'] = served
        result['ratio_served_round_trip_over_in_process_rsd'] = round(served['round_trip_ms']['median'] / result['rsd']['total_ms']['median'], 4)
    if args.device.startswith('cuda'):
        result['peak_gpu_memory_gib'] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    result['note'] = ('main-only and RSD run the same backbone forward; RSD adds the draft and acceptance, so the ratio '
                      'is >= 1 up to noise (research/rsd.md 0). Acceptance figures are of random weights: meaningless.')
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')


if __name__ == '__main__':
    main()
