"""B10's floor: a bare urllib3 pool doing the same GETs as the tap, and decoding the same bodies.

`python -m bench.floor_requests REQUESTS.json THREADS` reads the requests the tap sent (URL and
headers, from the emulator's log), then times only the loop: THREADS threads share one
urllib3 PoolManager (as many connections per host as threads) and GET every URL with the same
headers, decoding each body with msgspec. Prints the loop's CPU seconds (user + sys) and the
number of requests.
"""

from __future__ import annotations

import json
import queue
import resource
import sys
import threading

import msgspec
import urllib3

SKIPPED_HEADERS = {"host", "content-length", "connection", "accept-encoding", "user-agent"}


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(source: str, threads: str) -> None:
    with open(source, encoding="utf-8") as f:
        sent = json.load(f)
    requests = [(r["url"], {k: v for k, v in r["headers"].items() if k not in SKIPPED_HEADERS}) for r in sent]
    workers = int(threads)
    pool = urllib3.PoolManager(maxsize=workers, retries=False)
    work: queue.SimpleQueue = queue.SimpleQueue()
    for request in requests:
        work.put(request)
    done: list[int] = []
    decode = msgspec.json.Decoder().decode

    def worker() -> None:
        count = 0
        while True:
            try:
                url, headers = work.get_nowait()
            except queue.Empty:
                break
            response = pool.request("GET", url, headers=headers)
            if response.status != 200:
                raise SystemExit(f"{url}: HTTP {response.status}")
            decode(response.data)
            count += 1
        done.append(count)

    start = cpu()
    running = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    print(f"{cpu() - start:.6f} {sum(done)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
