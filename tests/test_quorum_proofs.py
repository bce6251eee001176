"""z3 proofs about majorities, the arithmetic single-server membership changes rest on."""

from raftcheck.properties.quorums import changed_config_disjoint_majorities, disjoint_majorities


def test_z3_proves_one_server_changes_keep_majorities_intersecting_up_to_nine_servers():
    assert changed_config_disjoint_majorities(max_size=9, servers_changed=1) is None
    assert changed_config_disjoint_majorities(max_size=9, servers_changed=0) is None


def test_z3_finds_disjoint_majorities_for_a_two_server_change():
    witness = changed_config_disjoint_majorities(max_size=9, servers_changed=2)
    assert witness is not None
    old, new, old_quorum, new_quorum = witness
    assert len(set(old) ^ set(new)) == 2
    assert set(old_quorum) <= set(old) and len(old_quorum) > len(old) / 2
    assert set(new_quorum) <= set(new) and len(new_quorum) > len(new) / 2
    assert not set(old_quorum) & set(new_quorum)


def test_disjoint_majorities_of_concrete_configurations():
    assert disjoint_majorities(("a", "b", "c"), ("a", "b", "c", "d")) is None
    first, second = disjoint_majorities(("a", "b", "c"), ("a", "b", "c", "d", "e"))
    assert not set(first) & set(second)
    assert disjoint_majorities(("a", "b", "c", "d"), ("b", "c", "d", "e")) is None
    assert disjoint_majorities(("a", "b", "c", "d"), ("c", "d", "e", "f")) is not None
    assert disjoint_majorities((), ("a",)) is None
