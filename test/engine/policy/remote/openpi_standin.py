"""A stand-in for an openpi policy server, written from the protocol's description
(docs/remote-policies.md, /shared research notes), for the engine's RemotePolicy tests.

Protocol: ws://HOST:PORT; on connect the server sends msgpack(metadata); then per request the
client sends msgpack(observation) and the server answers msgpack(reply) with `actions` [H, D],
`policy_timing` and `server_timing`. numpy arrays travel as maps with byte-string keys
{b"__ndarray__": True, b"data", b"dtype", b"shape"}. GET /healthz answers 200. With --api-key,
a connection without `Authorization: Api-Key KEY` gets HTTP 401. On an exception the server sends
a text frame (the traceback) and closes with 1011.

Faults for the tests, by request number (counted from 1 over the whole process): --faults
"3:nan,5:hang" (kinds: missing-actions, actions-1d, actions-strings, short-chunk, narrow, nan,
error, hang); --die-after N exits the process after its N-th reply. --record FILE appends one
JSON line per request saying what arrived (keys, dtypes, shapes, sha256 of each array, values of
small ones). --rsd adds the per-chunk RSD record to every reply. `GET /standin/configure?faults=
...&record=FILE&rsd=1&metadata=JSON` sets these between tests and counts requests from 1 again,
so one process serves a whole test file.

Prints `policy server listening on ws://HOST:PORT` once listening (--port 0: a free port).
"""

import argparse
import asyncio
import hashlib
import http
import json
import os
import sys
import time
import traceback
import urllib.parse

import msgpack
import numpy as np
from websockets.asyncio.server import serve


# --- the wire format -------------------------------------------------------------------------

def encode_hook(obj):
    """msgpack's `default`: numpy arrays and scalars as byte-keyed maps."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "OVc":
            raise ValueError(f"cannot send dtype {obj.dtype}")
        return {b"__ndarray__": True, b"data": obj.tobytes(), b"dtype": obj.dtype.str, b"shape": list(obj.shape)}
    if isinstance(obj, np.generic):
        return {b"__npgeneric__": True, b"data": obj.item(), b"dtype": obj.dtype.str}
    raise TypeError(f"cannot pack {type(obj).__name__}")


def decode_hook(obj):
    """msgpack's `object_hook`: byte-keyed array maps back to numpy."""
    if b"__ndarray__" in obj:
        return np.frombuffer(obj[b"data"], dtype=np.dtype(obj[b"dtype"])).reshape(obj[b"shape"])
    if b"__npgeneric__" in obj:
        return np.dtype(obj[b"dtype"]).type(obj[b"data"])
    return obj


def pack(value) -> bytes:
    return msgpack.packb(value, default=encode_hook)


def unpack(data: bytes):
    return msgpack.unpackb(data, object_hook=decode_hook)


# --- the server ------------------------------------------------------------------------------

def describe(obs: dict, n: int) -> dict:
    """What arrived, for --record: enough for a test to check keys, dtypes, shapes and bytes."""
    out = {"n": n, "keys": sorted(obs.keys()), "arrays": {}, "values": {}}
    for key, value in obs.items():
        if isinstance(value, np.ndarray):
            out["arrays"][key] = {
                "dtype": value.dtype.str,
                "shape": list(value.shape),
                "sha256": hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest(),
                "values": value.astype(float).ravel().tolist() if value.size <= 64 else None,
            }
        else:
            out["values"][key] = value
    return out


def rsd_record(chunk: int) -> dict:
    """A per-chunk decoding record as python/policy_server sends it (the `rsd` reply field)."""
    layers = 8
    return {
        "strategy": "speculative",
        "accept": "threshold",
        "threshold": 0.7,
        "draft_layers": 3,
        "accepted_layers": 2,
        "accepted": [True, True, False],
        "agreement": [1.0, 0.9, 0.5],
        "stages_ms": {"prefill": 1.5, "draft": 0.5, "verify": 1.0, "main_steps": 2.0, "decoder": 0.25, "rfsq": 0.125},
        "main_steps": 5,
        "total_ms": 5.5,
        "codes": (np.arange(layers * chunk * 7, dtype=np.int32) % 7).reshape(layers, chunk * 7),
        "note": "stand-in record",
    }


FAULTS = ["missing-actions", "actions-1d", "actions-strings", "short-chunk", "narrow", "nan", "error", "hang"]


def parse_faults(text: str) -> dict:
    """"3:nan,5:hang" -> {3: "nan", 5: "hang"}."""
    faults = {}
    for item in filter(None, (text or "").split(",")):
        n, kind = item.split(":")
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; faults: {', '.join(FAULTS)}")
        faults[int(n)] = kind
    return faults


class Server:
    def __init__(self, args):
        self.args = args
        self.requests = 0
        self.replies = 0
        self.faults = parse_faults(args.faults)

    def metadata(self) -> dict:
        if self.args.metadata:
            return json.loads(self.args.metadata)
        return {"server": "openpi-standin", "name": "standin-policy", "policy": "zeros with the gripper open"}

    def actions(self, obs: dict) -> np.ndarray:
        actions = np.zeros((self.args.chunk, self.args.dim), dtype=np.float32)
        actions[:, 6] = -1.0  # gripper open
        return actions

    def reply(self, obs: dict, fault: str | None) -> dict:
        actions = self.actions(obs)
        if fault == "nan":
            actions[1, 2] = np.nan
        reply = {"actions": actions, "policy_timing": {"infer_ms": 0.5}}
        if fault == "missing-actions":
            del reply["actions"]
        elif fault == "actions-1d":
            reply["actions"] = actions.ravel()
        elif fault == "actions-strings":
            reply["actions"] = [["up"] * self.args.dim] * self.args.chunk
        elif fault == "short-chunk":
            reply["actions"] = actions[:1]
        elif fault == "narrow":
            reply["actions"] = actions[:, :3]
        elif fault == "error":
            raise RuntimeError("the stand-in's policy failed on purpose")
        if self.args.rsd:
            reply["rsd"] = rsd_record(self.args.chunk)
        return reply

    async def handler(self, websocket):
        await websocket.send(pack(self.metadata()))
        prev_total = None
        while True:
            try:
                message = await websocket.recv()
            except Exception:
                return
            start = time.monotonic()
            self.requests += 1
            n = self.requests
            fault = self.faults.get(n)
            try:
                obs = unpack(message)
                if self.args.record:
                    with open(self.args.record, "a") as f:
                        f.write(json.dumps(describe(obs, n)) + "\n")
                if fault == "hang":
                    await asyncio.Future()
                reply = self.reply(obs, fault)
                reply["server_timing"] = {"infer_ms": (time.monotonic() - start) * 1000}
                if prev_total is not None:
                    reply["server_timing"]["prev_total_ms"] = prev_total
                await websocket.send(pack(reply))
            except Exception:
                await websocket.send(traceback.format_exc())
                await websocket.close(code=1011, reason="Internal server error. Traceback included in previous frame.")
                return
            prev_total = (time.monotonic() - start) * 1000
            self.replies += 1
            if self.args.die_after and self.replies >= self.args.die_after:
                os._exit(3)

    def configure(self, query: dict) -> None:
        self.faults = parse_faults(query.get("faults", [""])[0])
        self.args.record = query.get("record", [None])[0]
        self.args.rsd = query.get("rsd", ["0"])[0] == "1"
        self.args.metadata = query.get("metadata", [None])[0]
        self.requests = 0

    def process_request(self, connection, request):
        url = urllib.parse.urlsplit(request.path)
        if url.path == "/standin/configure":
            self.configure(urllib.parse.parse_qs(url.query))
            return connection.respond(http.HTTPStatus.OK, "configured\n")
        if request.path == "/healthz":
            return connection.respond(http.HTTPStatus.OK, "OK\n")
        if self.args.api_key and request.headers.get("Authorization") != f"Api-Key {self.args.api_key}":
            return connection.respond(http.HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
        return None


async def main(args):
    server = Server(args)
    async with serve(server.handler, args.host, args.port, compression=None, max_size=None, process_request=server.process_request) as ws:
        host, port = ws.sockets[0].getsockname()[:2]
        print(f"policy server listening on ws://{host}:{port}", flush=True)
        await ws.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key")
    parser.add_argument("--chunk", type=int, default=10)
    parser.add_argument("--dim", type=int, default=7)
    parser.add_argument("--faults", default="", help='faults by request number (from 1), e.g. "3:nan,5:hang"')
    parser.add_argument("--die-after", type=int, default=0)
    parser.add_argument("--record")
    parser.add_argument("--rsd", action="store_true", help="add the per-chunk RSD record to every reply")
    parser.add_argument("--metadata", help="the metadata message, as JSON")
    try:
        asyncio.run(main(parser.parse_args()))
    except KeyboardInterrupt:
        sys.exit(0)
