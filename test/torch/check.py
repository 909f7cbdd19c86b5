#!/usr/bin/python3
"""check.py -- the PyTorch baseline of the DCRNN benchmarks
(bench/dcrnn_torch.py) against the C model, on what build/torch_export
wrote: the same parameters, supports, windows and coins go through the
baseline's own model and training step, and its forecast, gradients,
losses, clipping norms and parameters after the steps must equal the C
model's within float32 tolerance.  Torch autograd is then an independent
check of the C backward pass in the production diffusion mode (plain
powers), and the benchmarks time the same model in both.

    python3 test/torch/check.py DIR [--device cuda] [--sparse]

--sparse gives the baseline its supports as torch sparse tensors, the
benchmarks' --sparse variant (torch.sparse.mm); by default they are dense.

Prints TAP lines; exit status 0 when every comparison holds.
"""
import json
import os
import sys

import numpy
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import dcrnn_torch as base  # noqa: E402

# Largest error allowed, relative to the largest magnitude of the C value:
# float32 with summation orders that differ between the two (GEMM blocking,
# diffusion by dense products in torch, by sparse rows in C).
TOL = {"forecast": 1e-5, "gradient": 1e-5, "loss": 1e-5, "norm": 1e-5, "update": 1e-3}
failed = 0
label = "torch baseline"        # with its supports and device, set by main


def load(d, name, shape, dtype=numpy.float32):
    return numpy.fromfile(os.path.join(d, name), dtype=dtype).reshape(shape)


def compare(what, kind, got, want):
    """One TAP line: max |got - want| relative to max |want|."""
    global failed
    got = numpy.asarray(got, dtype=numpy.float64)
    want = numpy.asarray(want, dtype=numpy.float64)
    scale = max(numpy.abs(want).max(), 1e-30)
    err = numpy.abs(got - want).max() / scale
    ok = bool(err <= TOL[kind])      # NaN fails
    failed += not ok
    print("%sok - %s equals the C model: %s (relative error %.2e, tolerance %.0e)"
          % ("" if ok else "not ", label, what, err, TOL[kind]))


def torch_params(model):
    """C tensor name -> the baseline's parameter, reshaped to C's (rows, cols)."""
    out = {"projection.weight": model.proj.weight, "projection.bias": model.proj.bias}
    for part, cells in (("encoder", model.enc), ("decoder", model.dec)):
        for l, cell in enumerate(cells):
            for name, p in (("gate.weight", cell.wg), ("gate.bias", cell.bg),
                            ("cand.weight", cell.wc), ("cand.bias", cell.bc)):
                out["%s.%d.%s" % (part, l, name)] = p
    return out


def slices(meta, flat):
    return {t["name"]: flat[t["offset"]:t["offset"] + t["rows"] * t["cols"]].reshape(t["rows"], t["cols"])
            for t in meta["tensors"]}


def build(d, meta, device, sparse):
    n = meta["nodes"]
    sup = [torch.from_numpy(s.copy()) for s in load(d, "supports.f32", (2, n, n))]
    model = base.Dcrnn([(s.to_sparse() if sparse else s).to(device) for s in sup]).to(device)
    params = torch_params(model)
    if sorted(params) != sorted(t["name"] for t in meta["tensors"]):
        sys.exit("Bail out! the C tensor table and the baseline's parameters differ")
    with torch.no_grad():
        for name, value in slices(meta, load(d, "params.f32", -1)).items():
            p = params[name]
            if p.numel() != value.size:
                sys.exit("Bail out! %s: %d floats in C, %d in torch" % (name, value.size, p.numel()))
            p.copy_(torch.from_numpy(value.copy()).reshape(p.shape))
    return model, params


def main():
    global label
    argv = sys.argv[1:]
    device = base.take_device(argv)
    sparse = base.take_flag(argv, "--sparse")
    if len(argv) != 1:
        sys.exit(__doc__)
    d = argv[0]
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    for key, value in (("units", base.U), ("layers", base.LAYERS), ("k", base.K),
                       ("history", base.HISTORY), ("horizon", base.HORIZON)):
        if meta[key] != value:
            sys.exit("Bail out! %s is %d in C, %d in the baseline" % (key, meta[key], value))
    torch.backends.cuda.matmul.allow_tf32 = False
    n, b, steps = meta["nodes"], meta["batch"], meta["steps"]
    xs = torch.from_numpy(load(d, "x.f32", (steps, base.HISTORY, b, n, 1)).copy()).to(device)
    ys = torch.from_numpy(load(d, "labels.f32", (steps, base.HORIZON, b, n, 1)).copy()).to(device)
    coins = load(d, "coins.u8", (steps, base.HORIZON), numpy.uint8).astype(bool).tolist()
    model, params = build(d, meta, device, sparse)
    label = "torch baseline (%s, %s supports)" % (device.type, "sparse" if sparse else "dense")
    print("# %s, N = %d, batch %d, %d steps" % (d, n, b, steps))

    pred = model(xs[0], ys[0], coins[0])
    base.mae(pred, ys[0]).backward()
    compare("forecast of step 0", "forecast", pred.detach().cpu(), load(d, "pred.f32", pred.shape))
    for name, g in slices(meta, load(d, "grads.f32", -1)).items():
        compare("gradient of %s" % name, "gradient", params[name].grad.cpu().reshape(g.shape), g)

    opt = base.optimizer(model)
    before = {k: p.detach().cpu().numpy().copy() for k, p in params.items()}
    losses, norms = [], []
    for s in range(steps):
        loss, norm, _ = base.train_step(model, opt, xs[s], ys[s], coins[s], meta["max_norm"])
        losses.append(loss.item())
        norms.append(norm.item())
    compare("loss of each of %d steps" % steps, "loss", losses, meta["loss"])
    compare("gradient norm before clipping, each step", "norm", norms, meta["norm"])
    for name, after in slices(meta, load(d, "params_after.f32", -1)).items():
        moved = params[name].detach().cpu().numpy().reshape(after.shape) - before[name].reshape(after.shape)
        compare("%s moved by %d Adam steps" % (name, steps), "update", moved, after - before[name].reshape(after.shape))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
