"""The service against hostile peers and clients: live loopback clusters, forged and foreign messages.

Each forgery below was, before peer authentication, enough to rewrite logs,
win elections or get a write acknowledged on one disk.
"""

import json
import os
import subprocess
import sys
import urllib.request

import msgspec
import pytest

from raftcheck.core import AppendEntriesRequest, ClientCommand, Entry, RequestVoteRequest
from raftcheck.service.auth import PeerKey
from service_cluster import SECRET, LocalCluster
from test_service import post


def status(address):
    with urllib.request.urlopen(f"http://{address}/status", timeout=5) as response:
        return json.loads(response.read())


def forged_append(src, dst, term):
    entry = Entry(term, ClientCommand("attacker", 1, ("set", "colour", "HACKED")))
    return msgspec.json.encode(AppendEntriesRequest(src, dst, term, 0, 0, (entry,), 1))


def test_unsigned_wrongly_signed_and_foreign_cluster_messages_change_nothing(cluster):
    nodes = cluster.build_three()
    assert cluster.client(nodes[0], "set", "colour", "green").returncode == 0
    before = {address: status(address) for address in nodes}
    wrong_secret = PeerKey(b"not the cluster secret at all", "default")
    other_cluster = PeerKey(SECRET.encode(), "another")
    for address in nodes:
        body = forged_append(nodes[0], address, 99)
        assert post(address, "/raft", body)[0] == 401
        assert post(address, "/raft", body, wrong_secret.sign(nodes[0], body))[0] == 401
        assert post(address, "/raft", body, other_cluster.sign(nodes[0], body))[0] == 403
        vote = msgspec.json.encode(RequestVoteRequest("127.0.0.1:1", address, 50, 99, 99))
        assert post(address, "/raft", vote)[0] == 401
    for address in nodes:
        after = status(address)
        assert after["term"] == before[address]["term"] < 50
        assert after["last_log_index"] == before[address]["last_log_index"]
    assert cluster.client(nodes[1], "get", "colour").stdout.strip() == "green"
    log = (cluster.root / f"{nodes[2].replace(':', '_')}.log").read_text()
    assert log.count("unsigned peer message") == 1, "a refusal is logged once, not once per message"


def test_a_member_cannot_sign_as_another_member(cluster):
    nodes = cluster.build_three()
    key = PeerKey(SECRET.encode(), "default")
    body = forged_append(nodes[0], nodes[1], 99)
    code, reply = post(nodes[1], "/raft", body, key.sign(nodes[2], body))
    assert code == 403 and "signed a message from" in reply["error"]
    assert status(nodes[1])["term"] < 99


def test_a_server_that_formed_its_own_cluster_is_not_merged_in(cluster, tmp_path):
    first = cluster.start()
    joiner = cluster.start(bootstrap=True)
    assert cluster.client(first, "add-server", joiner).returncode == 0
    assert cluster.client(first, "set", "x", "from-a").returncode == 0
    foreign = cluster.start()  # same secret and cluster id, but it elected itself: its own history
    assert cluster.client(foreign, "set", "x", "from-b").returncode == 0
    refused = cluster.client(first, "add-server", foreign)
    assert refused.returncode == 1
    assert "not a server started with --bootstrap" in refused.stderr and "Traceback" not in refused.stderr
    assert foreign not in status(first)["configuration"]

    stranger = LocalCluster(tmp_path / "other", secret="another cluster's secret!")
    (tmp_path / "other").mkdir()
    try:
        outsider = stranger.start(bootstrap=True)
        refused = cluster.client(first, "add-server", outsider)
        assert refused.returncode == 1 and "answered 401" in refused.stderr
    finally:
        stranger.close()


def test_a_data_dir_of_another_cluster_refuses_to_start(cluster):
    address = cluster.start()
    cluster.kill(address)
    cluster.cluster_id = "elsewhere"
    with pytest.raises(RuntimeError, match="exited with 2"):
        cluster.restart(address)
    log = (cluster.root / f"{address.replace(':', '_')}.log").read_text()
    assert "belongs to cluster 'default', not 'elsewhere'" in log


def test_a_server_without_a_secret_refuses_to_start(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "RAFTCHECK_CLUSTER_SECRET"}
    result = subprocess.run([sys.executable, "-m", "raftcheck", "server", "127.0.0.1:1", "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=30, env=env)
    assert result.returncode == 2 and "no cluster secret" in result.stderr and "Traceback" not in result.stderr


def test_a_client_token_is_required_when_the_cluster_has_one(tmp_path):
    secured = LocalCluster(tmp_path)
    secured.env["RAFTCHECK_CLIENT_TOKEN"] = "client token of the test cluster"
    try:
        address = secured.start()
        assert secured.client(address, "set", "k", "v").returncode == 0
        code, reply = post(address, "/client", b'{"client": "c", "seq": 1, "op": ["get", "k"]}')
        assert code == 401 and "client token" in reply["error"]
        secured.env["RAFTCHECK_CLIENT_TOKEN"] = "a wrong token for this cluster"
        denied = secured.client(address, "get", "k")
        assert denied.returncode == 1 and "client token" in denied.stderr
    finally:
        secured.close()
