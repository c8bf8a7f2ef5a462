"""Salesforce-looking record Ids for the demo org, minted deterministically.

A real Id is a 3-character key prefix (``00T`` for Task), a 2-character pod, a reserved ``0``
and a 9-character base-62 counter; the 18-character form adds a 3-character suffix that makes
the Id unique case-insensitively. Minting the same shape matters because kpisync compares Ids
by their first 15 characters and some tools check the suffix.
"""

from __future__ import annotations

import random

KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "Profile": "00e",
    "OpportunityHistory": "008",
    "UserRole": "00E",
    "Task": "00T",
    "Event": "00U",
    "User": "005",
}

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_COUNTER_WIDTH = 9


def id18(id15: str) -> str:
    """The case-safe 18-character form of a 15-character Id.

    Each 5-character chunk becomes one letter whose bits flag the chunk's capitals (the first
    character is the lowest bit), as Salesforce documents for ``CASESAFEID()``.
    """
    return id15 + "".join(_SUFFIX_ALPHABET[_caps(id15[i:i + 5])] for i in (0, 5, 10))


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(_BASE62[digit])
    return "".join(reversed(digits))


def _caps(text: str) -> int:
    """Bit i set when text[i] is a capital letter: one chunk of the case-safe suffix."""
    return sum(1 << i for i, char in enumerate(text) if "A" <= char <= "Z")


# The counter's last two base-62 digits and their capital-letter bits, precomputed: minting
# is the hottest path of a 200,000-Task org, and only these digits change from one Id to the next.
_LOW = [a + b for a in _BASE62 for b in _BASE62]
_LOW_CAPS = [_caps(pair) << 3 for pair in _LOW]


class IdMint:
    """Hands out increasing Ids per object, with small gaps as a busy org's counters have.

    Records must be minted in creation order so that Ids sort roughly like CreatedDate, as
    they do in a real org. ``next(sobject)`` equals ``id18(15-character Id)``; it only caches
    the parts that do not change between neighbouring Ids.
    """

    def __init__(self, rng: random.Random):
        self._rng = rng
        self._pod = rng.choice("123456789") + rng.choice(_BASE62[36:])
        # sobject -> [counter, high digits, 13-character head, first two suffix letters,
        #             capital bits of the head's last three characters]
        self._state: dict[str, list] = {}

    def next(self, sobject: str) -> str:
        state = self._state.get(sobject)
        if state is None:
            # Start deep enough into the counter that the tail looks like a real org's Ids.
            state = self._state[sobject] = [self._rng.randrange(62**5, 62**6), -1, "", "", 0]
        state[0] += 1 + int(self._rng.random() * 11)
        high, low = divmod(state[0], 3844)
        if high != state[1]:
            head = f"{KEY_PREFIXES[sobject]}{self._pod}0{_base62(high, _COUNTER_WIDTH - 2)}"
            state[1:] = [high, head,
                         _SUFFIX_ALPHABET[_caps(head[0:5])] + _SUFFIX_ALPHABET[_caps(head[5:10])],
                         _caps(head[10:13])]
        return state[2] + _LOW[low] + state[3] + _SUFFIX_ALPHABET[state[4] | _LOW_CAPS[low]]
