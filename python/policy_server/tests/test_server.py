"""The protocol server with stand-in policies: metadata first, request/reply, /healthz, the api
key, an exception as a text frame + close 1011, several connections with one model call at a time."""
import asyncio
import http.client
import logging
import threading
import unittest

import numpy as np
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.frames import CloseCode

from policy_server import msgpack_numpy as mn
from policy_server.server import PolicyServer


def setUpModule():
    # The failing requests below are meant to fail: keep their server-side tracebacks out of the output.
    logging.getLogger('policy_server').setLevel(logging.CRITICAL)


class EchoPolicy:
    """Replies actions = state tiled to [8, 7]; raises on prompt 'boom'; counts concurrent calls."""

    metadata = {'server': 'test', 'action': {'dim': 7, 'chunk': 8}}

    def __init__(self):
        self.calls = 0
        self.resets = 0
        self.active = 0
        self.most_active = 0
        self.lock = threading.Lock()
        self.gate = threading.Event()
        self.gate.set()

    def infer(self, obs):
        with self.lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            self.gate.wait(10)
            self.calls += 1
            if obs.get('prompt') == 'boom':
                raise RuntimeError('the stand-in policy failed on purpose')
            state = np.asarray(obs['observation/state'], dtype=np.float32)
            return {'actions': np.tile(state[:7], (8, 1)), 'rsd': {'strategy': 'autoregressive', 'codes': np.zeros((8, 8), np.int32)}}
        finally:
            with self.lock:
                self.active -= 1

    def reset(self):
        self.resets += 1


def request(state, prompt='go'):
    return mn.packb({'observation/state': np.asarray(state, dtype=np.float32), 'prompt': prompt})


class ServerTest(unittest.IsolatedAsyncioTestCase):
    api_key = None

    async def asyncSetUp(self):
        self.policy = EchoPolicy()
        self.server = PolicyServer(self.policy, host='127.0.0.1', port=0, api_key=self.api_key)
        host, self.port = await self.server.start()
        self.url = f'ws://127.0.0.1:{self.port}'
        self.serving = asyncio.ensure_future(self.server.serve_forever())

    async def asyncTearDown(self):
        self.serving.cancel()
        await self.server.close()

    def connect(self, **kw):
        return connect(self.url, compression=None, max_size=None, open_timeout=10, **kw)

    def http_get(self, path, headers=None):
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)
        conn.request('GET', path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read().decode()


class Protocol(ServerTest):
    async def test_metadata_first_then_request_reply_with_timings(self):
        async with self.connect() as ws:
            meta = mn.unpackb(await asyncio.wait_for(ws.recv(), 10))
            self.assertEqual(meta, EchoPolicy.metadata)
            for i in range(2):
                await ws.send(request(np.arange(8) + i))
                reply = mn.unpackb(await asyncio.wait_for(ws.recv(), 10))
                self.assertEqual(reply['actions'].shape, (8, 7))
                np.testing.assert_array_equal(reply['actions'][3], np.arange(7) + i)
                self.assertEqual(reply['rsd']['codes'].dtype, np.int32)
                self.assertGreaterEqual(reply['policy_timing']['infer_ms'], 0.0)
                self.assertGreaterEqual(reply['server_timing']['infer_ms'], 0.0)
                self.assertEqual('prev_total_ms' in reply['server_timing'], i > 0, 'prev_total_ms from the second request on, as openpi')
        self.assertEqual(self.policy.calls, 2)
        self.assertEqual(self.policy.resets, 0, 'a connection does not reset the policy')

    async def test_endpoint_reset(self):
        async with self.connect() as ws:
            await ws.recv()
            await ws.send(mn.packb({'endpoint': 'reset'}))
            reply = mn.unpackb(await asyncio.wait_for(ws.recv(), 10))
            self.assertIs(reply['reset'], True)
        self.assertEqual(self.policy.resets, 1)

    async def test_healthz_answers_200(self):
        status, body = await asyncio.to_thread(self.http_get, '/healthz')
        self.assertEqual((status, body), (200, 'OK\n'))

    async def test_an_exception_is_a_text_frame_then_close_1011_and_the_server_goes_on(self):
        async with self.connect() as ws:
            await ws.recv()
            await ws.send(request(np.zeros(8), prompt='boom'))
            text = await asyncio.wait_for(ws.recv(), 10)
            self.assertIsInstance(text, str, 'the error comes as a text frame')
            self.assertIn('Traceback', text)
            self.assertIn('RuntimeError: the stand-in policy failed on purpose', text)
            with self.assertRaises(ConnectionClosedError) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            self.assertEqual(closed.exception.rcvd.code, CloseCode.INTERNAL_ERROR)
        async with self.connect() as ws:  # a new connection is served
            await ws.recv()
            await ws.send(request(np.ones(8)))
            self.assertEqual(mn.unpackb(await asyncio.wait_for(ws.recv(), 10))['actions'].shape, (8, 7))

    async def test_a_malformed_request_is_an_error_too(self):
        async with self.connect() as ws:
            await ws.recv()
            await ws.send('not msgpack, a text frame')
            text = await asyncio.wait_for(ws.recv(), 10)
            self.assertIn('binary msgpack message', text)
            with self.assertRaises(ConnectionClosedError) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            self.assertEqual(closed.exception.rcvd.code, CloseCode.INTERNAL_ERROR)

    async def test_connections_are_served_together_and_the_model_one_request_at_a_time(self):
        self.policy.gate.clear()  # hold the first call so the others queue behind it
        async with self.connect() as a, self.connect() as b, self.connect() as c:
            for ws in (a, b, c):
                await ws.recv()
            for i, ws in enumerate((a, b, c)):
                await ws.send(request(np.full(8, i)))
            # While the model is held, the server still answers /healthz.
            status, _ = await asyncio.to_thread(self.http_get, '/healthz')
            self.assertEqual(status, 200)
            self.policy.gate.set()
            for i, ws in enumerate((a, b, c)):
                reply = mn.unpackb(await asyncio.wait_for(ws.recv(), 10))
                self.assertEqual(float(reply['actions'][0, 0]), float(i), 'each connection gets its own reply')
        self.assertEqual(self.policy.calls, 3)
        self.assertEqual(self.policy.most_active, 1, 'the policy was called concurrently')


class ApiKey(ServerTest):
    api_key = 's3cret'

    async def test_refused_without_or_with_a_wrong_key(self):
        for headers in ({}, {'Authorization': 'Api-Key wrong'}, {'Authorization': 's3cret'}):
            with self.subTest(headers=headers), self.assertRaises(InvalidStatus) as e:
                async with self.connect(additional_headers=headers):
                    pass
            self.assertEqual(e.exception.response.status_code, 401)

    async def test_accepted_with_the_key_and_healthz_stays_open(self):
        async with self.connect(additional_headers={'Authorization': 'Api-Key s3cret'}) as ws:
            self.assertEqual(mn.unpackb(await ws.recv()), EchoPolicy.metadata)
        status, _ = await asyncio.to_thread(self.http_get, '/healthz')
        self.assertEqual(status, 200)


if __name__ == '__main__':
    unittest.main()
