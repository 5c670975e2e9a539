#!/usr/bin/env python3
"""Writes src/back/libm_exp/table.rs: 2^(k/128) for k = 0..127 split as the
C library's exp keeps it, computed with 60-digit decimal arithmetic.

Entry k holds two 64-bit words:
  - the bits of tail_k = 2^(k/128) / h_k - 1, rounded to nearest double,
    where h_k is 2^(k/128) rounded to nearest double;
  - the bits of h_k minus k << 45 (wrapping), so that adding the bits of
    the rounded argument shifted left by 45 puts k back and adds the power
    of two to the exponent.

Run from the repository root: python3 reference/make_exp_table.py
"""
import struct
from decimal import Decimal, getcontext

getcontext().prec = 60


def bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def main() -> None:
    rows = []
    for k in range(128):
        exact = Decimal(2) ** (Decimal(k) / 128)
        h = float(exact)
        tail = float(exact / Decimal(h) - 1)
        scale = (bits(h) - (k << 45)) % 2**64
        rows.append(f"    [0x{bits(tail):016x}, 0x{scale:016x}],")
    text = "\n".join(
        [
            "//! 2^(k/128) for the C library's `exp`, written by",
            "//! `reference/make_exp_table.py` (60-digit decimal arithmetic): entry k",
            "//! is `[bits of tail_k, bits of h_k - (k << 45)]`, h_k = 2^(k/128)",
            "//! rounded to nearest, tail_k = 2^(k/128) / h_k - 1 rounded to nearest.",
            "",
            "/// The table, aligned so that no entry straddles a cache line.",
            "#[repr(C, align(64))]",
            "pub struct Table(pub [[u64; 2]; 128]);",
            "",
            "/// See the module documentation.",
            "pub static TABLE: Table = Table([",
            *rows,
            "]);",
            "",
        ]
    )
    with open("src/back/libm_exp/table.rs", "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
