"""openpi's policy-server protocol (openpi src/openpi/serving/websocket_policy_server.py), on
websockets' asyncio server:

- on connect the server sends its metadata (one msgpack map); then each binary message from the
  client is an observation map and gets one reply map: the policy's output plus `policy_timing`
  {"infer_ms"} and `server_timing` {"infer_ms", "prev_total_ms" from the second request on};
- `GET /healthz` answers 200 "OK"; with an api key, a handshake without
  `Authorization: Api-Key <key>` is refused with 401 (/healthz stays open, for probes);
- an exception while serving a request: a TEXT frame with the traceback, then close 1011;
- a request {"endpoint": "reset"} (RoboArena's convention) calls `policy.reset()` and gets
  {"reset": True} plus the timings; nothing else resets the policy (not a new connection: with
  several clients sharing one policy, one client's connect must not reset another's state);
- no compression, no message size limit (images are large, already compressed by nobody).

Several connections are served at once, but the policy runs one request at a time on a single
worker thread (torch models are not re-entrant, and two chunks at once would only share the
cores): the event loop stays free to answer pings, /healthz and other clients meanwhile.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import http
import logging
import time
import traceback
from typing import Any, Protocol

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request

from . import msgpack_numpy

log = logging.getLogger('policy_server')


class Policy(Protocol):
    metadata: dict

    def infer(self, obs: dict) -> dict: ...

    def reset(self) -> None: ...


class PolicyServer:
    def __init__(self, policy: Policy, host: str = '127.0.0.1', port: int = 8000, api_key: str | None = None):
        self.policy = policy
        self.host = host
        self.port = port
        self.api_key = api_key
        # One worker: the model is called one request at a time, in arrival order.
        self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix='policy')
        self._server: Server | None = None

    async def start(self) -> tuple[str, int]:
        """Binds (port 0: a free one) and returns the (host, port) actually listened on."""
        self._server = await serve(self._handle, self.host, self.port, compression=None, max_size=None, process_request=self._process_request)
        host, port = self._server.sockets[0].getsockname()[:2]
        return host, port

    async def serve_forever(self) -> None:
        assert self._server is not None, 'start() first'
        await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self._worker.shutdown(wait=True)

    # ---- HTTP before the handshake

    def _process_request(self, connection: ServerConnection, request: Request):
        if request.path == '/healthz':
            return connection.respond(http.HTTPStatus.OK, 'OK\n')
        if self.api_key is not None:
            given = request.headers.get('Authorization', '')
            if not hmac.compare_digest(given.encode(), f'Api-Key {self.api_key}'.encode()):
                return connection.respond(http.HTTPStatus.UNAUTHORIZED, 'missing or wrong Authorization: Api-Key header\n')
        return None

    # ---- one connection

    async def _handle(self, ws: ServerConnection) -> None:
        loop = asyncio.get_running_loop()
        try:
            await ws.send(msgpack_numpy.packb(self.policy.metadata))
        except ConnectionClosed:
            return
        except Exception:
            await self._fail(ws, traceback.format_exc())
            return
        prev_total_ms: float | None = None
        while True:
            try:
                message = await ws.recv()
            except ConnectionClosed:
                return
            start = time.perf_counter()
            try:
                if isinstance(message, str):
                    raise TypeError('the observation must be a binary msgpack message, got a text frame')
                obs = msgpack_numpy.unpackb(message)
                if not isinstance(obs, dict):
                    raise TypeError(f'the observation must be a msgpack map, got {type(obs).__name__}')
                reply, policy_ms = await loop.run_in_executor(self._worker, self._infer, obs)
                reply.setdefault('policy_timing', {'infer_ms': policy_ms})
                reply['server_timing'] = {'infer_ms': (time.perf_counter() - start) * 1000.0}
                if prev_total_ms is not None:
                    reply['server_timing']['prev_total_ms'] = prev_total_ms
                await ws.send(msgpack_numpy.packb(reply))
            except ConnectionClosed:
                return
            except Exception:
                await self._fail(ws, traceback.format_exc())
                return
            prev_total_ms = (time.perf_counter() - start) * 1000.0

    @staticmethod
    async def _fail(ws: ServerConnection, text: str) -> None:
        """A failed request: its traceback as a text frame, then close 1011 (as openpi)."""
        log.error('request failed on %s:\n%s', ws.remote_address, text)
        try:
            await ws.send(text)
            await ws.close(CloseCode.INTERNAL_ERROR, 'Internal server error. Traceback included in previous frame.')
        except ConnectionClosed:
            pass

    def _infer(self, obs: dict) -> tuple[dict[str, Any], float]:
        t = time.perf_counter()
        if obs.get('endpoint') == 'reset':
            self.policy.reset()
            return {'reset': True}, (time.perf_counter() - t) * 1000.0
        reply = self.policy.infer(obs)
        ms = (time.perf_counter() - t) * 1000.0
        if not isinstance(reply, dict) or 'actions' not in reply:
            raise TypeError(f'the policy returned {type(reply).__name__} without "actions"; a reply is a map with at least "actions"')
        return dict(reply), ms
