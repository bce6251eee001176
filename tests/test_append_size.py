"""AppendEntries stays under the peers' body limit: the byte cap, in the core and in the live service."""

import json
import time
import urllib.request

from msgspec.structs import replace

from helpers import THREE, config_log, elect, member
from raftcheck.core import ClientCommand, Entry
from raftcheck.core.replication import send_append_entries, with_progress
from raftcheck.core.state import Progress
from test_service import post

ENTRY = 300_000


def leader_sending_everything(cap: int):
    """A leader whose follower b needs every entry from index 2: three commands of about 300 kB each."""
    log = config_log(THREE) + tuple(Entry(1, ClientCommand("c", seq, ("set", "k", "x" * ENTRY))) for seq in (1, 2, 3))
    leader, _ = elect(member("a", log=log, params=replace(member("a").params, max_append_bytes=cap)))
    return with_progress(leader, Progress("b", 2, 0))


def sent_to_b(cap: int):
    out = []
    send_append_entries(leader_sending_everything(cap), "b", out)
    return out[0].entries


def test_the_byte_cap_splits_a_batch_and_always_sends_at_least_one_entry():
    assert len(sent_to_b(0)) == 4, "no cap: the three commands and the new leader's noop"
    assert len(sent_to_b(2 * ENTRY + 1000)) == 2
    assert len(sent_to_b(1024)) == 1, "an entry over the cap still goes, alone"


def test_a_write_of_any_accepted_size_replicates_and_a_larger_one_is_refused(cluster):
    nodes = cluster.build_three()
    big = "v" * (500 * 1024)
    cluster.kill(nodes[2])  # it must catch up on 1.5 MB of entries, more than one request may carry
    for seq in (1, 2, 3):
        body = json.dumps({"client": "big", "seq": seq, "op": ["set", f"k{seq}", big]}).encode()
        code, reply = post(nodes[0], "/client", body)
        if code == 200 and reply.get("status") == "not_leader":
            code, reply = post(reply["leader"], "/client", body)
        assert code == 200 and reply["status"] == "ok", reply
    too_big = json.dumps({"client": "big", "seq": 4, "op": ["set", "k", "v" * (600 * 1024)]}).encode()
    code, reply = post(nodes[0], "/client", too_big)
    assert code == 413 and "the limit is 524288 (--max-append-bytes)" in reply["error"]
    assert cluster.client(nodes[1], "set", "small", "after").returncode == 0
    cluster.restart(nodes[2])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len({status(a)["commit_index"] for a in nodes}) > 1:
        time.sleep(0.1)
    assert len({status(a)["commit_index"] for a in nodes}) == 1, "every node holds and commits the big entries"
    assert len(cluster.client(nodes[2], "get", "k3").stdout.strip()) == len(big)


def status(address):
    with urllib.request.urlopen(f"http://{address}/status", timeout=5) as response:
        return json.loads(response.read())
