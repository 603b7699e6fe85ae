"""PyTorch peer for bench/kernels.ts: times the same workloads in the same run.

Reads a JSON list of workloads on stdin, prints one JSON object: median seconds per step
for each workload, and SGEMM GFLOP/s of the BLAS PyTorch links (OpenBLAS on Debian).
Run with /usr/bin/python3 (Debian's torch) and
LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp, as ../shared/PEERS.md says.
"""
import json
import statistics
import sys
import time

import numpy as np
import torch


def median_seconds(fn, reps, warmup=2, warmup_seconds=1.0):
    # As bench/timing.ts: at least `warmup` untimed calls and at least `warmup_seconds`.
    start = time.perf_counter()
    done = 0
    while done < warmup or time.perf_counter() - start < warmup_seconds:
        fn()
        done += 1
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def recurrent(w):
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[w["cell"]]
    net = cls(w["I"], w["H"])
    x = torch.randn(w["T"], w["B"], w["I"])
    if w["mode"] == "infer":
        def step():
            with torch.no_grad():
                net(x)
    else:
        def step():
            net.zero_grad()
            y, _ = net(x)
            y.sum().backward()
    return median_seconds(step, w["reps"])


def sgemm(w):
    a = np.random.rand(w["M"], w["K"]).astype(np.float32)
    b = np.random.rand(w["K"], w["N"]).astype(np.float32)
    seconds = median_seconds(lambda: np.dot(a, b), w["reps"])
    return seconds


def main():
    workloads = json.load(sys.stdin)
    torch.set_num_threads(workloads["threads"])
    out = {"torch": torch.__version__, "results": []}
    for w in workloads["items"]:
        seconds = sgemm(w) if w["kind"] == "sgemm" else recurrent(w)
        out["results"].append({"id": w["id"], "seconds": seconds})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
