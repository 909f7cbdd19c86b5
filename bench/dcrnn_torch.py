#!/usr/bin/python3
"""dcrnn_torch.py -- the PyTorch baseline for bench/dcrnn_epoch: the same
DCRNN (2 DCGRU layers, U=64, K=2, two supports, history 12, horizon 5,
batch 64) written directly in PyTorch, timed on one training epoch
(forward, backward, gradient clipping, Adam over every window) and on
inference, after one untimed warm-up pass as in the C benchmark.  Prints one JSON line with the same keys as the C benchmark.

    /usr/bin/python3 bench/dcrnn_torch.py [nodes] [threads] [max_batches] [buckets] [--device cuda] [--sparse]

--sparse diffuses with torch.sparse.mm over (N, B*F) as the reference
implementation does; the default multiplies dense supports.
"""
import json
import math
import resource
import sys
import time

import torch

U, LAYERS, K, HISTORY, HORIZON, BATCH = 64, 2, 2, 12, 5, 64


class Cell(torch.nn.Module):
    """DCGRU cell: gates and candidate are diffusion convolutions."""

    def __init__(self, fin, supports):
        super().__init__()
        self.supports = supports
        m = 1 + len(supports) * K
        f = fin + U
        self.wg = torch.nn.Parameter(torch.empty(m * f, 2 * U))
        self.bg = torch.nn.Parameter(torch.ones(2 * U))
        self.wc = torch.nn.Parameter(torch.empty(m * f, U))
        self.bc = torch.nn.Parameter(torch.zeros(U))
        torch.nn.init.xavier_normal_(self.wg)
        torch.nn.init.xavier_normal_(self.wc)

    @staticmethod
    def diffuse(s, t):
        # S t for t (B, N, F); a sparse S multiplies (N, B*F) as the reference does
        if not s.is_sparse:
            return torch.matmul(s, t)
        bsz, n, f = t.shape
        x = t.transpose(0, 1).reshape(n, bsz * f)
        return torch.sparse.mm(s, x).reshape(n, bsz, f).transpose(0, 1)

    def gconv(self, z, w, b):
        # z: (B, N, F); terms S^k z for each support, concatenated per node
        terms = [z]
        for s in self.supports:
            t = z
            for _ in range(K):
                t = self.diffuse(s, t)
                terms.append(t)
        cat = torch.cat(terms, dim=2)
        bsz, n, mf = cat.shape
        return (cat.reshape(bsz * n, mf) @ w + b).reshape(bsz, n, -1)

    def forward(self, x, h):
        v = torch.sigmoid(self.gconv(torch.cat([x, h], 2), self.wg, self.bg))
        r, u = v[..., :U], v[..., U:]
        c = torch.tanh(self.gconv(torch.cat([x, r * h], 2), self.wc, self.bc))
        return u * h + (1 - u) * c


class Dcrnn(torch.nn.Module):
    def __init__(self, supports):
        super().__init__()
        self.enc = torch.nn.ModuleList(Cell(1 if l == 0 else U, supports) for l in range(LAYERS))
        self.dec = torch.nn.ModuleList(Cell(1 if l == 0 else U, supports) for l in range(LAYERS))
        self.proj = torch.nn.Linear(U, 1)

    def forward(self, x, labels=None, coins=None):
        # x: (HISTORY, B, N, 1); returns (HORIZON, B, N, 1)
        bsz, n = x.shape[1], x.shape[2]
        h = [x.new_zeros(bsz, n, U) for _ in range(LAYERS)]
        for t in range(HISTORY):
            inp = x[t]
            for l, cell in enumerate(self.enc):
                h[l] = cell(inp, h[l])
                inp = h[l]
        out, y = [], x.new_zeros(bsz, n, 1)
        for t in range(HORIZON):
            inp = y
            for l, cell in enumerate(self.dec):
                h[l] = cell(inp, h[l])
                inp = h[l]
            y = self.proj(inp)
            out.append(y)
            if labels is not None and coins[t]:
                y = labels[t]
        return torch.stack(out)


def optimizer(model):
    """Adam as the C trainer runs it: lr 0.01, epsilon 1e-3 outside the root."""
    return torch.optim.Adam(model.parameters(), lr=0.01, eps=1e-3)


def mae(pred, y):
    """The training loss: mean absolute error in model space."""
    return (pred - y).abs().mean()


def train_step(model, opt, x, y, coins, max_norm=5.0):
    """One step: forward with scheduled-sampling coins, MAE, backward,
    clipping at max_norm, Adam.  Returns (loss, norm before clipping, forecast)."""
    opt.zero_grad()
    pred = model(x, y, coins)
    loss = mae(pred, y)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    opt.step()
    return loss, norm, pred


def supports_of(n, gen):
    w = (torch.rand(n, n, generator=gen) < 3.0 / n).float() * (1 + torch.rand(n, n, generator=gen))
    w.fill_diagonal_(0)
    fwd = w / w.sum(1, keepdim=True).clamp(min=1e-12)
    bwd = w.t() / w.t().sum(1, keepdim=True).clamp(min=1e-12)
    return [fwd.t().contiguous(), bwd.t().contiguous()]


def take_device(argv):
    """The device of "--device NAME" in argv (removed from it), else the CPU."""
    if "--device" not in argv:
        return torch.device("cpu")
    i = argv.index("--device")
    device = torch.device(argv[i + 1])
    del argv[i:i + 2]
    return device


def take_flag(argv, name):
    """Whether argv holds the flag name; removes it."""
    if name not in argv:
        return False
    argv.remove(name)
    return True


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def main():
    argv = sys.argv[1:]
    device = take_device(argv)
    sparse = take_flag(argv, "--sparse")
    nodes = int(argv[0]) if len(argv) > 0 else 51
    threads = int(argv[1]) if len(argv) > 1 else 2
    max_batches = int(argv[2]) if len(argv) > 2 else 0
    buckets = int(argv[3]) if len(argv) > 3 else 1008
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(42)
    torch.manual_seed(1)
    t = torch.arange(buckets, dtype=torch.float32).unsqueeze(1)
    series = torch.sin(2 * math.pi * t / 72 + torch.arange(nodes)) + 0.3 * (torch.rand(buckets, nodes, generator=gen) - 0.5)
    series = series.to(device)
    supports = [s.to_sparse() if sparse else s for s in supports_of(nodes, gen)]
    model = Dcrnn([s.to(device) for s in supports]).to(device)
    opt = optimizer(model)
    windows = buckets - HISTORY - HORIZON + 1
    batches = (windows + BATCH - 1) // BATCH
    timed = max_batches if 0 < max_batches < batches else batches

    def batch(i):
        idx = torch.arange(i * BATCH, min(windows, (i + 1) * BATCH))
        steps = idx.unsqueeze(0) + torch.arange(HISTORY + HORIZON).unsqueeze(1)
        win = series[steps].unsqueeze(3)          # (T, B, N, 1)
        return win[:HISTORY], win[HISTORY:]

    x, y = batch(0)                               # warm-up, untimed
    mae(model(x, y, [False] * HORIZON), y).backward()
    sync(device)
    t0 = time.perf_counter()
    loss_sum = 0.0
    for i in range(timed):
        x, y = batch(i)
        coins = (torch.rand(HORIZON, generator=gen) < 0.5).tolist()
        loss_sum += train_step(model, opt, x, y, coins)[0].item()
    sync(device)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with torch.no_grad():
        for i in range(timed):
            model(batch(i)[0])
    sync(device)
    infer_s = time.perf_counter() - t0
    scale = batches / timed
    print(json.dumps({
        "bench": "dcrnn_epoch", "impl": "torch", "torch": torch.__version__,
        "device": str(device), "supports": "sparse" if sparse else "dense",
        "nodes": nodes, "threads": threads, "units": U, "layers": LAYERS, "k": K,
        "batch": BATCH, "buckets": buckets, "windows": windows,
        "batches_timed": timed, "batches": batches,
        "epoch_s": round(train_s * scale, 3), "infer_s": round(infer_s * scale, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "mean_loss": round(loss_sum / timed, 4)}), flush=True)


if __name__ == "__main__":
    main()
