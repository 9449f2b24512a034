"""A minimal QR code reader for tests: module matrix -> bytes (binary mode, level M, v1-10).

No image processing: it reads the matrix segno produced, so the round trip proves that
the code really carries the payload, with valid Reed-Solomon error correction, without
a camera library. After ISO/IEC 18004 and Project Nayuki's reference generator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

# Error correction level M, versions 1..10: EC codewords per block, number of blocks.
EC_CODEWORDS_PER_BLOCK_M = (10, 16, 26, 18, 24, 16, 18, 22, 22, 26)
BLOCKS_M = (1, 1, 1, 2, 2, 4, 4, 4, 5, 5)
FORMAT_MASK = 0x5412
LEVEL_M_BITS = 0
MASKS: tuple[Callable[[int, int], bool], ...] = (
    lambda x, y: (x + y) % 2 == 0,
    lambda x, y: y % 2 == 0,
    lambda x, y: x % 3 == 0,
    lambda x, y: (x + y) % 3 == 0,
    lambda x, y: (x // 3 + y // 2) % 2 == 0,
    lambda x, y: x * y % 2 + x * y % 3 == 0,
    lambda x, y: (x * y % 2 + x * y % 3) % 2 == 0,
    lambda x, y: ((x + y) % 2 + x * y % 3) % 2 == 0,
)


class QrReadError(Exception):
    """The matrix is not a level-M binary-mode QR code of version 1 to 10."""


def format_bits(level_bits: int, mask: int) -> int:
    data = level_bits << 3 | mask
    remainder = data
    for _ in range(10):
        remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537)
    return (data << 10 | remainder) ^ FORMAT_MASK


def alignment_positions(version: int) -> list[int]:
    if version == 1:
        return []
    count = version // 7 + 2
    step = (version * 8 + count * 3 + 5) // (count * 4 - 4) * 2
    size = 17 + 4 * version
    return sorted([size - 7 - i * step for i in range(count - 1)] + [6])


def function_modules(version: int) -> list[list[bool]]:
    size = 17 + 4 * version
    marked = [[False] * size for _ in range(size)]

    def mark(x: int, y: int) -> None:
        if 0 <= x < size and 0 <= y < size:
            marked[y][x] = True

    for i in range(size):
        mark(6, i)
        mark(i, 6)
    for cx, cy in ((3, 3), (size - 4, 3), (3, size - 4)):
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                mark(cx + dx, cy + dy)
    positions = alignment_positions(version)
    last = len(positions) - 1
    for i, ax in enumerate(positions):
        for j, ay in enumerate(positions):
            if (i, j) in ((0, 0), (0, last), (last, 0)):
                continue
            for dy in range(-2, 3):
                for dx in range(-2, 3):
                    mark(ax + dx, ay + dy)
    for x, y in first_format_copy() + second_format_copy(size):
        mark(x, y)
    mark(8, size - 8)
    if version >= 7:
        for i in range(18):
            mark(size - 11 + i % 3, i // 3)
            mark(i // 3, size - 11 + i % 3)
    return marked


def first_format_copy() -> list[tuple[int, int]]:
    """(x, y) of format bits 0..14 around the top-left finder."""
    return [(8, i) for i in range(6)] + [(8, 7), (8, 8), (7, 8)] + [(14 - i, 8) for i in range(9, 15)]


def second_format_copy(size: int) -> list[tuple[int, int]]:
    return [(size - 1 - i, 8) for i in range(8)] + [(8, size - 15 + i) for i in range(8, 15)]


def gf_multiply(x: int, y: int) -> int:
    z = 0
    for i in reversed(range(8)):
        z = (z << 1) ^ ((z >> 7) * 0x11D)
        z ^= ((y >> i) & 1) * x
    return z


def reed_solomon_remainder(data: Sequence[int], degree: int) -> list[int]:
    divisor = [0] * (degree - 1) + [1]
    root = 1
    for _ in range(degree):
        for j in range(degree):
            divisor[j] = gf_multiply(divisor[j], root)
            if j + 1 < degree:
                divisor[j] ^= divisor[j + 1]
        root = gf_multiply(root, 0x02)
    result = [0] * degree
    for byte in data:
        factor = byte ^ result.pop(0)
        result.append(0)
        for i, coefficient in enumerate(divisor):
            result[i] ^= gf_multiply(coefficient, factor)
    return result


def raw_codewords(version: int) -> int:
    bits = (16 * version + 128) * version + 64
    if version >= 2:
        count = version // 7 + 2
        bits -= (25 * count - 10) * count - 55
        if version >= 7:
            bits -= 36
    return bits // 8


def read_qr(matrix: Sequence[Sequence[int]]) -> bytes:
    """The payload of a binary-mode, level-M QR code of version 1 to 10."""
    size = len(matrix)
    version = (size - 17) // 4
    if not 1 <= version <= 10 or size != 17 + 4 * version:
        raise QrReadError(f"size {size}")
    dark = [[bool(v) for v in row] for row in matrix]
    read_format = sum(dark[y][x] << i for i, (x, y) in enumerate(first_format_copy()))
    candidates = [m for m in range(8) if format_bits(LEVEL_M_BITS, m) == read_format]
    if not candidates:
        raise QrReadError("not error correction level M (or a damaged format area)")
    mask = MASKS[candidates[0]]
    functions = function_modules(version)

    bits: list[int] = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        for vert in range(size):
            for j in range(2):
                x = right - j
                upward = (right + 1) & 2 == 0
                y = size - 1 - vert if upward else vert
                if not functions[y][x]:
                    bits.append(int(dark[y][x] ^ mask(x, y)))
        right -= 2
    total = raw_codewords(version)
    codewords = [int("".join(map(str, bits[i * 8 : i * 8 + 8])), 2) for i in range(total)]

    blocks = BLOCKS_M[version - 1]
    ec_length = EC_CODEWORDS_PER_BLOCK_M[version - 1]
    short_blocks = blocks - total % blocks
    short_data = total // blocks - ec_length
    data_lengths = [short_data + (0 if b < short_blocks else 1) for b in range(blocks)]
    data_blocks: list[list[int]] = [[] for _ in range(blocks)]
    position = 0
    for i in range(short_data + 1):
        for b in range(blocks):
            if i < data_lengths[b]:
                data_blocks[b].append(codewords[position])
                position += 1
    ec_blocks: list[list[int]] = [[] for _ in range(blocks)]
    for _ in range(ec_length):
        for b in range(blocks):
            ec_blocks[b].append(codewords[position])
            position += 1
    for data, ec in zip(data_blocks, ec_blocks, strict=True):
        if reed_solomon_remainder(data, ec_length) != ec:
            raise QrReadError("Reed-Solomon check failed")

    stream = "".join(f"{byte:08b}" for block in data_blocks for byte in block)
    if stream[:4] != "0100":
        raise QrReadError(f"mode {stream[:4]} is not binary")
    count_bits = 8 if version <= 9 else 16
    length = int(stream[4 : 4 + count_bits], 2)
    start = 4 + count_bits
    if start + 8 * length > len(stream):
        raise QrReadError("length beyond the data")
    return bytes(int(stream[start + 8 * i : start + 8 * i + 8], 2) for i in range(length))
