"""B3's ceiling: a plain loop writing the same Singer messages with orjson.

`python -m bench.plain_orjson RECORDS.jsonl OUT` reads the tap's own RECORD lines (so the
records are identical), then times only the loop: one dict, orjson.dumps, one buffered
write per message, SCHEMA first and STATE last. Prints the loop's seconds.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import orjson


def main(source: str, out: str) -> None:
    schema = None
    stream = ""
    records = []
    state = None
    with open(source, "rb") as f:
        for line in f:
            message = orjson.loads(line)
            kind = message.get("type")
            if kind == "SCHEMA" and schema is None:
                schema, stream = message, message["stream"]
            elif kind == "RECORD":
                records.append(message["record"])
            elif kind == "STATE":
                state = message
    utc = dt.timezone.utc
    start = time.perf_counter()
    with open(out, "wb") as f:
        write = f.write
        write(orjson.dumps(schema) + b"\n")
        for record in records:
            message = {"type": "RECORD", "stream": stream, "record": record, "time_extracted": dt.datetime.now(utc)}
            write(orjson.dumps(message) + b"\n")
        write(orjson.dumps(state) + b"\n")
    print(f"{time.perf_counter() - start:.6f} {len(records)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
