"""B9's floor: a plain loop doing the work no tap can avoid for the same orders.

`python -m bench.floor_records BODIES OUT` reads length-prefixed response bodies (each one
account's ID-set GET answer, as the emulator serves it: `{"response": [...]}`, preceded by
the account code), then times only the loop: msgspec-decode each body, and for each order
encode the Singer RECORD line the tap writes for it (the order's members plus accountCode,
with time_extracted) into a buffered file. Prints the loop's CPU seconds (user + sys).
"""

from __future__ import annotations

import datetime as dt
import resource
import struct
import sys

import msgspec


def read_bodies(path: str) -> list[tuple[str, bytes]]:
    """(account code, body) pairs written by `write_bodies`."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    at = 0
    while at < len(data):
        code_len, body_len = struct.unpack_from("<II", data, at)
        at += 8
        code = data[at : at + code_len].decode()
        at += code_len
        out.append((code, data[at : at + body_len]))
        at += body_len
    return out


def write_bodies(path: str, bodies: list[tuple[str, bytes]]) -> None:
    """Write (account code, body) pairs for `read_bodies`."""
    with open(path, "wb") as f:
        for code, body in bodies:
            raw = code.encode()
            f.write(struct.pack("<II", len(raw), len(body)) + raw + body)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(source: str, out: str, stream: str = "orders") -> None:
    bodies = read_bodies(source)
    utc = dt.timezone.utc
    encode = msgspec.json.Encoder().encode
    decode = msgspec.json.Decoder().decode
    records = 0
    start = cpu()
    with open(out, "wb") as f:
        write = f.write
        for code, body in bodies:
            now = dt.datetime.now(utc)
            for order in decode(body)["response"]:
                record = {"accountCode": code, **order}
                message = {"type": "RECORD", "stream": stream, "record": record, "time_extracted": now}
                write(encode(message) + b"\n")
                records += 1
    print(f"{cpu() - start:.6f} {records}")


if __name__ == "__main__":
    main(*sys.argv[1:])
