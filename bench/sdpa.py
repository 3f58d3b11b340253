#!/usr/bin/env python3
"""PyTorch SDPA reference timings for qflash's bench (ALGORITHM.md section 5 shapes).

Times torch.nn.functional.scaled_dot_product_attention on f16 [Z, H, N, D] tensors with each backend
(flash, cuDNN, mem-efficient) forced through torch.nn.attention.sdpa_kernel: kernel time is the median
over --reps CUDA-graph replays (after --warmup) of the time of one call, each graph holding GRAPH_CALLS
calls back to back timed with CUDA events (as qflash bench times its own kernels: timed one at a time, a
short kernel is measured with the host's dispatch gap before it); call time is the median host wall time
of one eager call including torch.cuda.synchronize(), over --call-reps calls after --call-warmup. A backend that refuses a shape is reported as
"unsupported".

usage: sdpa.py --shapes shapes.csv --out sdpa.csv   (shapes.csv: row,b,Z,H,N,D[,causal])
"""
import argparse
import csv
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

BACKENDS = [("flash", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION),
            ("efficient", SDPBackend.EFFICIENT_ATTENTION)]


GRAPH_CALLS = 20   # qflash's CudaBackend.GRAPH_LAUNCHES


def time_eager(call, warmup, reps, call_warmup, call_reps):
    for _ in range(warmup):
        call()
    torch.cuda.synchronize()
    start = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    stop = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    for i in range(reps):
        start[i].record()
        call()
        stop[i].record()
    torch.cuda.synchronize()
    return statistics.median(s.elapsed_time(e) for s, e in zip(start, stop)), wall_ms(call, call_reps, call_warmup)


def wall_ms(call, reps, warmup=0):
    for _ in range(warmup):
        call()
    torch.cuda.synchronize()
    walls = []
    for _ in range(reps):
        t0 = time.perf_counter()
        call()
        torch.cuda.synchronize()
        walls.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(walls)


def time_backend(backend, q, k, v, causal, warmup, reps, call_warmup, call_reps):
    with sdpa_kernel(backend):
        def call():
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                call()   # a backend that refuses the shape raises here, before capture
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                for _ in range(GRAPH_CALLS):
                    call()
        except RuntimeError as e:
            # Not capturable: say so, and time eager calls (which count the dispatch gap, flattering qflash).
            print(f"sdpa.py: {backend} could not be captured in a CUDA graph ({e}); timing eager calls", file=sys.stderr)
            torch.cuda.synchronize()
            return time_eager(call, warmup, reps, call_warmup, call_reps)
        for _ in range(warmup):
            graph.replay()
        torch.cuda.synchronize()
        start = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
        stop = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
        for i in range(reps):
            start[i].record()
            graph.replay()
            stop[i].record()
        torch.cuda.synchronize()
        kernel = statistics.median(s.elapsed_time(e) / GRAPH_CALLS for s, e in zip(start, stop))
        del graph
        return kernel, wall_ms(call, call_reps, call_warmup)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--call-warmup", type=int, default=1000)
    ap.add_argument("--call-reps", type=int, default=1000)
    a = ap.parse_args()
    dev = torch.cuda.get_device_name(0)
    with open(a.shapes) as f, open(a.out, "w", newline="") as o:
        w = csv.writer(o)
        w.writerow(["row", "b", "Z", "H", "N", "D", "causal", "backend", "kernel_ms", "call_ms", "device", "torch"])
        for r in csv.DictReader(f):
            Z, H, N, D = (int(r[x]) for x in ("Z", "H", "N", "D"))
            causal = r.get("causal", "0") == "1"
            g = torch.Generator(device="cuda").manual_seed(0)
            q, k, v = (torch.rand(Z, H, N, D, device="cuda", dtype=torch.float16, generator=g) * 2 - 1 for _ in range(3))
            for name, be in BACKENDS:
                try:
                    kern, call = time_backend(be, q, k, v, causal, a.warmup, a.reps, a.call_warmup, a.call_reps)
                    w.writerow([r["row"], r["b"], Z, H, N, D, int(causal), name, f"{kern:.5f}", f"{call:.5f}", dev, torch.__version__])
                except RuntimeError as e:
                    w.writerow([r["row"], r["b"], Z, H, N, D, int(causal), name, "unsupported", "", dev, torch.__version__])
            o.flush()
            del q, k, v
    return 0


if __name__ == "__main__":
    sys.exit(main())
