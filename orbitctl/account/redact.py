"""Masking the API key in text that came from a server (error messages, bodies quoted in them).

A server may echo the key as it was sent, in another letter case, or in part (its last eight
characters, say). :func:`redact` masks every run of ``MIN_RUN`` or more consecutive characters of
the key, in any letter case, each run as one ``MASK``; a key shorter than ``MIN_RUN`` is masked
wherever it appears whole. A run that lies within the key's documented public prefix
(``dv_live_sk_``, ``dv_test_sk_``: the same for every key) is not secret and is left as it is, so
a message quoting the key format still reads.
"""

from __future__ import annotations

from orbitctl.environment import API_KEY_PREFIXES

#: The shortest part of the key that is masked.
MIN_RUN = 8
MASK = "***"

#: ASCII letters to lower case, other characters untouched: the text keeps its length, so that
#: positions found in the lowered text hold in the original (``str.lower`` may lengthen a string).
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def redact(text: str, key: str) -> str:
    """``text`` with every run of ``MIN_RUN`` or more characters of ``key`` (any letter case)
    replaced by ``MASK``: each run as long as it matches, so a whole key is one ``MASK``."""
    if not key or not text:
        return text
    secret = key.translate(_ASCII_LOWER)
    public = next((prefix for prefix in API_KEY_PREFIXES if secret.startswith(prefix) and secret != prefix), "")
    shortest = min(MIN_RUN, len(secret))
    lowered = text.translate(_ASCII_LOWER)
    masked = [False] * len(text)
    for start in range(len(text) - shortest + 1):
        end = start + shortest
        if lowered[start:end] not in secret:
            continue
        while end < len(text) and lowered[start : end + 1] in secret:
            end += 1
        if lowered[start:end] not in public:
            masked[start:end] = [True] * (end - start)
    if not any(masked):
        return text
    pieces = []
    for index, char in enumerate(text):
        if not masked[index]:
            pieces.append(char)
        elif index == 0 or not masked[index - 1]:
            pieces.append(MASK)
    return "".join(pieces)
