"""The organisation tree's scope rules, by hand: a branch and below, the head office over everything,
nothing placed belongs to the head office, a move below itself is a cycle."""

from __future__ import annotations

from cti.org.tree import EVERYTHING, Scope, subtree, would_cycle

# 1 华东 ─┬─ 2 上海 ── 4 浦东网点
#         └─ 3 杭州
# 5 华西
TREE = {1: None, 2: 1, 3: 1, 4: 2, 5: None}


def test_a_branch_covers_itself_and_everything_below_it():
    assert subtree(TREE, 1) == {1, 2, 3, 4}
    assert subtree(TREE, 2) == {2, 4}
    assert subtree(TREE, 4) == {4}
    east = Scope.of(TREE, 1)
    assert [east.covers(u) for u in (1, 2, 3, 4, 5, None)] == [True, True, True, True, False, False]


def test_the_head_office_covers_everything_placed_or_not():
    assert Scope.of(TREE, None) == EVERYTHING
    assert all(EVERYTHING.covers(u) for u in (1, 4, 5, None))


def test_a_unit_cannot_move_below_itself():
    assert would_cycle(TREE, 1, 4) and would_cycle(TREE, 2, 2)
    assert not would_cycle(TREE, 2, 5) and not would_cycle(TREE, 4, None)


def test_a_cycle_in_the_table_does_not_loop_for_ever():
    assert subtree({1: 2, 2: 1}, 1) == {1, 2}
