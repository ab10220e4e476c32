#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""nkey.py SEEDFILE: make a NATS user NKey (ed25519, in the nkeys encoding:
base32 of a prefix byte, the key and a CRC-16/XMODEM), write its seed to
SEEDFILE and print its public key."""
import base64
import binascii
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption,
                                                          PrivateFormat, PublicFormat)

USER = 20 << 3  # 'U'
SEED = 18 << 3  # 'S'


def encode(raw):
    raw += struct.pack("<H", binascii.crc_hqx(raw, 0))
    return base64.b32encode(raw).decode().rstrip("=")


def main():
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with open(sys.argv[1], "w") as f:
        f.write(encode(bytes([SEED | USER >> 5, (USER & 31) << 3]) + seed) + "\n")
    print(encode(bytes([USER]) + pub))


if __name__ == "__main__":
    main()
