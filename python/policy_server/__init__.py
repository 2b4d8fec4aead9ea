"""The project's policy server: openpi's WebSocket + msgpack protocol (docs/remote-policies.md) in
front of any policy object with `metadata`, `infer(obs) -> dict` and `reset()`."""
