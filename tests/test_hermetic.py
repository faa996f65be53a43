"""The suite's own guard (conftest): a test cannot open a connection beyond loopback."""

from __future__ import annotations

import socket

import pytest


@pytest.mark.parametrize("address", [("192.0.2.1", 443), ("api.orbit.devotel.io", 443)])
def test_a_connection_beyond_loopback_is_refused_before_it_is_made(address):
    with pytest.raises(AssertionError, match="loopback only"):
        socket.create_connection(address, timeout=0.1)
