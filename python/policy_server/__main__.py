"""python -m policy_server: serve a policy over openpi's WebSocket + msgpack protocol.

    python -m policy_server --checkpoint CKPT.pt | --oft DIR [OFT flags]
        [--host 127.0.0.1] [--port 8000] [--api-key KEY]
        [--decoding parallel|autoregressive|speculative] [--accept exact|threshold] [--threshold T]

Run with cwd python/ (or PYTHONPATH=python). When listening it prints exactly one stdout line,
`policy server listening on ws://HOST:PORT` (--port 0 binds a free port). A bad flag or file is
one line on stderr and exit status 2 (--debug: with the traceback).
"""
from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import logging
import os
import signal
import sys

from .errors import UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse's own prints the usage too)
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog='python -m policy_server', description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument('--checkpoint', metavar='CKPT.pt', help='a python/training checkpoint (train.py or training.from_bundle)')
    src.add_argument('--oft', metavar='DIR', help='OpenVLA-OFT + RFSQ head + draft (policy_server/oft; its own flags follow)')
    ap.add_argument('--host', default='127.0.0.1', help='address to bind (default 127.0.0.1)')
    ap.add_argument('--port', type=int, default=8000, help='port (default 8000; 0: a free one)')
    ap.add_argument('--api-key', help='refuse connections without the header "Authorization: Api-Key KEY" (HTTP 401)')
    ap.add_argument('--decoding', choices=['parallel', 'autoregressive', 'speculative'], help="default: speculative where there is a draft, else the model's own")
    ap.add_argument('--accept', choices=['exact', 'threshold'], help='speculative acceptance rule (default exact)')
    ap.add_argument('--threshold', type=float, help='tau of --accept threshold, in [0, 1] (default 0.7)')
    ap.add_argument('--threads', type=int, help="torch's CPU threads (default: torch's choice)")
    ap.add_argument('--debug', action='store_true', help='tracebacks for start-up errors; debug logging')
    return ap


def load_policy(args, extra: list[str]):
    decoding = dict(decoding=args.decoding, accept=args.accept, threshold=args.threshold)
    if args.checkpoint is not None:
        if extra:
            raise UsageError(f'unrecognized arguments: {" ".join(extra)}')
        if not os.path.isfile(args.checkpoint):  # before importing torch: a typo is answered at once
            raise UsageError(f'--checkpoint {args.checkpoint}: no such file')
        from .project import ProjectPolicy

        return ProjectPolicy.from_checkpoint(args.checkpoint, **decoding)
    # The OFT policy imports transformers: only when asked for. Its flags (policy_server/oft/policy.py
    # add_arguments) are parsed from what this parser left, with the shared decoding flags passed on.
    if importlib.util.find_spec(f'{__package__}.oft') is None:
        raise UsageError('--oft: the OpenVLA-OFT policy is not in this build (python/policy_server/oft/ is missing)')
    oft = importlib.import_module(f'{__package__}.oft')
    sub = _Parser(prog='python -m policy_server --oft DIR')
    oft.add_arguments(sub)
    shared = [f'--{k}={v}' for k, v in decoding.items() if v is not None]
    try:
        return oft.load_oft_policy(sub.parse_args(['--oft', args.oft, *extra, *shared]))
    except oft.OftError as e:
        raise UsageError(str(e)) from None


async def _serve(policy, args) -> None:
    from .server import PolicyServer

    server = PolicyServer(policy, host=args.host, port=args.port, api_key=args.api_key)
    try:
        host, port = await server.start()
    except OSError as e:
        raise UsageError(f'--host {args.host} --port {args.port}: cannot listen ({e.strerror or e})') from None
    shown = f'[{host}]' if ':' in host else host
    print(f'policy server listening on ws://{shown}:{port}', flush=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    serving = asyncio.ensure_future(server.serve_forever())
    await asyncio.wait([serving, stop], return_when=asyncio.FIRST_COMPLETED)
    serving.cancel()
    await server.close()


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = build_parser()
    debug = '--debug' in argv
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format='%(asctime)s %(name)s %(levelname)s %(message)s', stream=sys.stderr)
    try:
        args, extra = ap.parse_known_args(argv)
        if not 0 <= args.port <= 65535:
            raise UsageError(f'--port {args.port}: must be in 0..65535')
        if args.api_key is not None and not args.api_key:
            raise UsageError('--api-key: empty')
        if args.threads is not None:
            if args.threads < 1:
                raise UsageError(f'--threads {args.threads}: must be at least 1')
            import torch

            torch.set_num_threads(args.threads)
        policy = load_policy(args, extra)
        asyncio.run(_serve(policy, args))
    except UsageError as e:
        if debug:
            raise
        print(f'policy_server: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
