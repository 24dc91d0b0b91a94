"""Streams on a 3-node JetStream cluster, as the Kubernetes production overlay runs them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from migrator_contracts.base import Message
from migrator_contracts.streams import ALL_STREAMS, COMMANDS
from migrator_devstack import infra
from migrator_platform.bus import create_broker, provision_streams, publish

pytestmark = pytest.mark.integration


class Ping(Message):
    n: int


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[infra.Proc]]:
    """Three nats-servers routed to each other, each with its own JetStream store."""
    ports = [infra.free_port() for _ in range(3)]
    routes = [infra.free_port() for _ in range(3)]
    procs = []
    for i in range(3):
        others = ",".join(f"nats-route://127.0.0.1:{routes[j]}" for j in range(3) if j != i)
        args = [
            infra._venv_bin("nats-server"),
            *("-a", "127.0.0.1", "-p", str(ports[i]), "-js", "-sd", str(tmp_path / f"n{i}")),
            *("-n", f"n{i}", "--cluster_name", "migrator", "--cluster", f"nats://127.0.0.1:{routes[i]}"),
            *("--routes", others),
        ]
        proc = infra._spawn(f"nats-{i}", args, log_dir=tmp_path)
        proc.urls = {"nats": f"nats://127.0.0.1:{ports[i]}"}
        procs.append(proc)
    for i in range(3):
        infra.wait_for_port(ports[i], proc=procs[i].popen)
    yield procs
    for proc in procs:
        proc.stop()


async def _until_meta_leader(url: str) -> None:
    """A fresh cluster elects its JetStream meta leader before it takes streams."""
    nc = await nats.connect(url)
    try:
        for _ in range(100):
            try:
                await nc.jetstream().account_info()
                return
            except Exception:
                await asyncio.sleep(0.2)
        raise TimeoutError("no JetStream meta leader")
    finally:
        await nc.close()


async def test_with_three_replicas_a_stream_outlives_the_loss_of_a_node(cluster: list[infra.Proc]) -> None:
    await _until_meta_leader(cluster[0].urls["nats"])
    broker = create_broker(nats_url=",".join(p.urls["nats"] for p in cluster), service="test")
    await broker.connect()
    try:
        js = broker.connection.jetstream()
        await provision_streams(js, replicas=3)
        await provision_streams(js, replicas=3)  # every replica of every service runs it
        for spec in ALL_STREAMS:
            info = await js.stream_info(spec.name)
            assert info.config.num_replicas == 3
            assert info.cluster is not None and len(info.cluster.replicas or []) == 2, spec.name
        await publish(broker, "migrator.cmd.test.cluster", Ping(n=1), msg_id="cluster-1")
    finally:
        await broker.stop()
    # The node leading the command stream goes; the message is still there on the other two.
    leader = int((await _stream_leader(cluster[0].urls["nats"], COMMANDS.name)).removeprefix("n"))
    cluster[leader].kill()
    survivor = cluster[(leader + 1) % 3]
    nc = await nats.connect(survivor.urls["nats"])
    try:
        js = nc.jetstream()
        for _ in range(100):
            try:
                message = await js.get_msg(COMMANDS.name, subject="migrator.cmd.test.cluster", direct=False)
                break
            except Exception:
                await asyncio.sleep(0.2)
        else:
            raise AssertionError(f"the message did not survive the loss of node n{leader}")
        assert message.data == b'{"n":1}'
    finally:
        await nc.close()


async def _stream_leader(url: str, stream: str) -> str:
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info(stream)
        assert info.cluster is not None and info.cluster.leader
        return str(info.cluster.leader)
    finally:
        await nc.close()
