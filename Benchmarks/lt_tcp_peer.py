#!/usr/bin/env python3
"""The shared harness's lt_peer.py with uTP switched off, so two libtorrents talk TCP.

Two libtorrents on loopback otherwise pick uTP, which moves 1 GiB at a few tens of MB/s and
says nothing about libtorrent's TCP path, the one NERD speaks. Same subcommands and output as
lt_peer.py; only the session settings differ.
"""
import os, sys

SHARED = os.environ.get("NERD_SHARED", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared"))
sys.path.insert(0, os.path.join(SHARED, "harness"))
import lt_peer  # noqa: E402

TCP_ONLY = {"enable_outgoing_utp": False, "enable_incoming_utp": False}
_make_session = lt_peer.make_session


def make_session(port, extra=None, dht_nodes=None):
    return _make_session(port, dict(extra or {}, **TCP_ONLY), dht_nodes)


lt_peer.make_session = make_session

if __name__ == "__main__":
    sys.exit(lt_peer.main())
