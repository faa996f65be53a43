"""Which actions a rendering shows together: the one place that groups a plan's actions into blocks.

A plan holds one action per number, so a pool of 300 new numbers is 300 purchases. Shown one by
one they would be 300 identical blocks; the text and markdown renderings show one block per
entry, kind of action and shape instead: actions of the same entry and kind that would show the
same selection, configuration, changes and reason share a block, which says how many numbers it
touches. Kinds that release a number (``RELEASING_KINDS``: a release cannot be undone) still name
every number, so their reasons, which often name the number, may differ within a block.

``detailed`` gives one block per action, as the JSON plan has them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orbitctl.model import RELEASING_KINDS, Action, ActionKind
from orbitctl.values import displayed_changes


@dataclass(frozen=True)
class Block:
    """Actions shown as one: the same entry and kind, and the same shape (see the module)."""

    actions: tuple[Action, ...]

    @property
    def first(self) -> Action:
        return self.actions[0]

    @property
    def kind(self) -> ActionKind:
        return self.first.kind

    @property
    def name(self) -> str:
        return self.first.name

    @property
    def count(self) -> int:
        return len(self.actions)

    @property
    def names_numbers(self) -> bool:
        """Whether the block lists each number it touches (not only how many)."""
        return self.kind in RELEASING_KINDS


def _shape(action: Action) -> tuple:
    """What a block shows once for all its actions (compared with ==: mappings are not hashable)."""
    reason = None if action.kind in RELEASING_KINDS else action.reason
    return (action.selection, action.config, displayed_changes(action), action.tag, reason)


def group(actions: Iterable[Action], *, detailed: bool = False) -> list[Block]:
    """``actions`` in blocks, in the order of each block's first action."""
    if detailed:
        return [Block((action,)) for action in actions]
    # entry, kind, previous name -> [(shape, members)]: few shapes an entry, so a scan is cheap
    buckets: dict[tuple, list[tuple[tuple, list[Action]]]] = {}
    order: list[list[Action]] = []
    for action in actions:
        shapes = buckets.setdefault((action.name, action.kind, action.previous_name), [])
        shape = _shape(action)
        for known, members in shapes:
            if known == shape:
                members.append(action)
                break
        else:
            members = [action]
            shapes.append((shape, members))
            order.append(members)
    return [Block(tuple(members)) for members in order]
