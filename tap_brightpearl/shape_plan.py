"""Checking a whole record's member types at once, for items that share one member list.

`Shaper.shape` (records.py) checks each member's raw JSON against the schema, which in Python
costs a buffer and a set lookup per member; most items of a stream are alike (the same members,
raw, of the declared types), so a plan per member list checks them in a few C calls instead.
"""

from __future__ import annotations

import dataclasses
import itertools
import operator
import typing as t

PLANS_KEPT = 256  # member lists seen per stream (optional members make a few per stream)
_HEADS_KEPT = 64  # first-byte patterns remembered per plan (numbers start with any digit: a few)
_WHOLE_BYTES = b"-0123456789"
Rule = tuple[frozenset[int] | None, t.Callable[[t.Any], t.Any] | None, bool]


@dataclasses.dataclass(frozen=True)
class Plan:
    """The checks `Shaper.shape` makes member by member, made at once for items with one member list.

    Members are grouped by the first bytes their raw JSON may start with; a group's values are
    joined with NUL, so counting NUL + each accepted byte counts the values of an accepted type in
    one C call. Whole-number-only members must be digits and minus signs only. Any surprise (a
    decoded member, a type the schema does not allow, a null integer) sends the item member by
    member, which gives the same record or the one that keeps the surprise in otherMembers.
    """

    checked: t.Callable[[t.Any], tuple[t.Any, ...]] | None  # the members whose first byte is checked
    firsts: tuple[frozenset[int], ...]  # the first bytes each of them may have
    wholes: t.Callable[[t.Any], tuple[t.Any, ...]] | None
    # converted members: name, converter, the first bytes converted as they are (None: already
    # checked with the whole numbers), and the types the converted value may have
    converts: tuple[tuple[str, t.Callable[[t.Any], t.Any], frozenset[int] | None, frozenset[str] | None], ...]
    seen: dict[bytes, bool]  # first bytes of the checked members -> whether all are allowed (bounded)

    @classmethod
    def of(
        cls, names: tuple[str, ...], rules: t.Mapping[str, Rule], types: t.Mapping[str, frozenset[str] | None]
    ) -> Plan | t.Literal[False]:
        """The plan for these members, or False when one is undeclared or accountCode itself."""
        checked: list[str] = []
        firsts_of: list[frozenset[int]] = []
        wholes: list[str] = []
        converts = []
        for name in names:
            rule = rules.get(name)
            if rule is None or name == "accountCode":
                return False
            firsts, convert, whole = rule
            if convert is not None:
                converts.append((name, convert, None if whole else firsts, types[name]))
                if not whole:
                    continue  # checked as the member-by-member path does: see Shaper.shape
            if whole:
                if firsts is None or not firsts <= {ord("n")}:
                    return False  # an integer that may also be something else: member by member
                wholes.append(name)
            elif firsts is not None:
                checked.append(name)
                firsts_of.append(firsts)
        return cls(
            _getter(checked) if checked else None,
            tuple(firsts_of),
            _getter(wholes) if wholes else None,
            tuple(converts),
            {},
        )

    def fits(self, item: t.Mapping[str, t.Any]) -> bool:
        """Whether every member is raw JSON of a type the schema allows."""
        try:
            if self.checked is not None:
                values = self.checked(item)
                joined = b"".join(values)  # TypeError: a member is not raw JSON
                heads = bytes(map(joined.__getitem__, itertools.accumulate(map(len, values[:-1]), initial=0)))
                good = self.seen.get(heads)
                if good is None:
                    good = all(head in firsts for head, firsts in zip(heads, self.firsts, strict=True))
                    if len(self.seen) < _HEADS_KEPT:
                        self.seen[heads] = good
                if not good:
                    return False
            if self.wholes is not None:
                return not b"".join(self.wholes(item)).translate(None, _WHOLE_BYTES)
        except TypeError:
            return False
        return True


def _getter(names: t.Sequence[str]) -> t.Callable[[t.Any], tuple[t.Any, ...]]:
    """The values of `names` in an item, always as a tuple."""
    if len(names) == 1:
        only = names[0]
        return lambda item: (item[only],)
    return operator.itemgetter(*names)
