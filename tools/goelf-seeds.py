#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write two tiny Go-shaped ELF files for lib/capture/goelf's unit test and fuzz corpus:
tests/fuzz/corpus/goelf/mini.elf (with section headers: .text, .gopclntab,
.go.buildinfo) and mini-noshdr.elf (the same bytes without section headers,
as a packer or sstrip leaves them: found by scanning the segments).
Functions (go1.18 pclntab, text at 0x400100): crypto/tls.(*Conn).Read with
two RETs (and a C3 byte inside an immediate), writeRecordLocked,
(*Config).writeKeyLog, runtime.main."""
import os
import struct
import sys

BASE = 0x400000
TEXT_OFF = 0x100
funcs = [
    ("crypto/tls.(*Conn).Read",
     bytes.fromhex("493b6610 7610 4883ec08 b8c3000000 c3 e800000000 c3")),
    ("crypto/tls.(*Conn).writeRecordLocked", bytes.fromhex("493b6610 7602 4883ec08 c3")),
    ("crypto/tls.(*Config).writeKeyLog", bytes.fromhex("4c8d6424f8 4d3b6610 0f8602000000 c3")),
    ("runtime.main", bytes.fromhex("c3")),
]


def build(with_shdr):
    text = b""
    entries = []
    for name, code in funcs:
        entries.append((name, len(text)))
        text += code
        text += b"\xcc" * (-len(text) % 32)
    text_end = len(text)

    # go1.18 pclntab
    p = 8
    hdr_len = 8 + 8 * p
    names = b""
    nameoffs = []
    for name, _ in entries:
        nameoffs.append(len(names))
        names += name.encode() + b"\0"
    nameoff = hdr_len
    pcln = (nameoff + len(names) + 7) & ~7
    nf = len(entries)
    ftab = b""
    funcoff0 = (nf + 1) * 8
    for i, (_, off) in enumerate(entries):
        ftab += struct.pack("<II", off, funcoff0 + 8 * i)
    ftab += struct.pack("<II", text_end, 0)
    fstructs = b"".join(struct.pack("<Ii", off, nameoffs[i]) for i, (_, off) in enumerate(entries))
    tab = bytearray(pcln + len(ftab) + len(fstructs))
    struct.pack_into("<IBBBB", tab, 0, 0xfffffff0, 0, 0, 1, p)
    struct.pack_into("<8Q", tab, 8, nf, 0, BASE + TEXT_OFF, nameoff, 0, 0, 0, pcln)
    tab[nameoff:nameoff + len(names)] = names
    tab[pcln:pcln + len(ftab)] = ftab
    tab[pcln + len(ftab):] = fstructs

    bi = bytearray(b"\xff Go buildinf:" + bytes([8, 2]) + bytes(16))
    v = b"go1.19.8"
    bi += bytes([len(v)]) + v + bytes([0])

    shstr = b"\0.text\0.gopclntab\0.go.buildinfo\0.shstrtab\0"
    out = bytearray(TEXT_OFF)
    out += text
    pcl_off = len(out) + (-len(out) % 32)
    out += bytes(pcl_off - len(out)) + tab
    bi_off = len(out) + (-len(out) % 16)
    out += bytes(bi_off - len(out)) + bi
    shs_off = len(out)
    out += shstr
    sh_off = len(out) + (-len(out) % 8)
    out += bytes(sh_off - len(out))
    load_size = len(out)

    def sh(name, typ, flags, addr, off, size):
        return struct.pack("<IIQQQQIIQQ", name, typ, flags, addr, off, size, 0, 0, 1, 0)

    shdrs = sh(0, 0, 0, 0, 0, 0)
    shdrs += sh(shstr.index(b".text"), 1, 6, BASE + TEXT_OFF, TEXT_OFF, text_end)
    shdrs += sh(shstr.index(b".gopclntab"), 1, 2, BASE + pcl_off, pcl_off, len(tab))
    shdrs += sh(shstr.index(b".go.buildinfo"), 1, 3, BASE + bi_off, bi_off, len(bi))
    shdrs += sh(shstr.index(b".shstrtab"), 3, 0, 0, shs_off, len(shstr))
    if with_shdr:
        out += shdrs
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, BASE + TEXT_OFF, 64,
                               sh_off if with_shdr else 0, 0, 64, 56, 1, 64,
                               5 if with_shdr else 0, 4 if with_shdr else 0)
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, BASE, BASE, load_size, load_size, 0x1000)
    out[0:64] = ehdr
    out[64:120] = phdr
    return bytes(out)


root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
d = os.path.join(root, "tests/fuzz/corpus/goelf")
os.makedirs(d, exist_ok=True)
for fname, with_shdr in (("mini.elf", True), ("mini-noshdr.elf", False)):
    with open(os.path.join(d, fname), "wb") as f:
        f.write(build(with_shdr))
sys.exit(0)
