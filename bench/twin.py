#!/usr/bin/python3
"""PyTorch twin of bench/main.go (dev-only): the same U-Net, objective and
optimizer, the same flags and the same JSON, on the same libtorch.

Run with Debian's python3-torch (1.13.1, the libtorch gotch links here):

    /usr/bin/python3 bench/twin.py --base 16 --size 256 --batch 4 --threads 2 --steps 20 --mode dskd --json

The network is interop/pytorch/dskd_unet.py's DskdUNet (its state_dict is
checked against models.Describe, the one description of the U-Net, by
interop's Go tests), run with hierarchy=True like dskd's forward: every
side head computed, every output cropped and contiguous. Dice, BCE and
PSDL are copied from tools/golden/losses_golden.py; DDL uses adaptive
average pooling like losses/ddl.go (--check verifies it equals the golden
script's explicit-bin DDL). Optimizer: torch.optim.AdamW(lr 1e-3, wd 1e-5).
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F


# ---- model (interop/pytorch/dskd_unet.py) ----------------------------------

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "interop", "pytorch"))
from dskd_unet import DskdUNet  # noqa: E402  (models.New's U-Net: 1 input channel, bilinear)


# ---- losses (tools/golden/losses_golden.py; losses/*.go) ------------------

def dice(logits, y, s=1.0):
    p = torch.sigmoid(logits)
    inter = (p * y).sum(dim=(1, 2, 3))
    den = p.sum(dim=(1, 2, 3)) + y.sum(dim=(1, 2, 3))
    return (1 - (2 * inter + s) / (den + s)).mean()


def bce(logits, y):
    return F.binary_cross_entropy_with_logits(logits, y)


def psdl(s, t, y, alpha):
    soft = alpha * torch.sigmoid(t.detach()) + (1 - alpha) * y
    return bce(s, soft)


def patch_logdist_pooled(logits, g, tau, eps):
    frac = F.adaptive_avg_pool2d(torch.sigmoid(logits), g)  # [B,1,g,g]
    z = torch.log(torch.cat([frac, 1 - frac], 1) + eps)
    return torch.log_softmax(z / tau, dim=1)  # [B,2,g,g]


def ddl(ss, tt, g=4, tau=3.0, eps=1e-6):
    total = 0.0
    for s, t in zip(ss, tt):
        lt = patch_logdist_pooled(t.detach(), g, tau, eps)
        ls = patch_logdist_pooled(s, g, tau, eps)
        total = total + (lt.exp() * (lt - ls)).sum(dim=1).mean()
    return total * tau * tau


def objective(preset, student, teacher, y, epoch, total_epochs, alpha_T=0.5):
    main = student[-1]
    loss = dice(main, y)
    if preset == "unet":
        return loss + bce(main, y)
    alpha = alpha_T * epoch / total_epochs
    loss = loss + psdl(main, teacher[-1], y, alpha)
    return loss + (epoch / total_epochs) * ddl(student, teacher)


def check_ddl():
    """The pooled DDL equals the golden script's explicit-bin DDL."""
    def bins(n, g):
        return [(i * n // g, -((-(i + 1) * n) // g)) for i in range(g)]

    def golden_logdist(logits, g, tau, eps):
        p = torch.sigmoid(logits)
        rows = []
        for hs, he in bins(p.shape[2], g):
            cols = []
            for ws, we in bins(p.shape[3], g):
                area = (he - hs) * (we - ws)
                fg = p[:, 0, hs:he, ws:we].sum(dim=(1, 2))
                z = torch.log(torch.stack([fg / area, 1 - fg / area], dim=1) + eps)
                cols.append(torch.log_softmax(z / tau, dim=1))
            rows.append(torch.stack(cols, dim=2))
        return torch.stack(rows, dim=2)

    torch.manual_seed(3)
    for h, w in ((16, 16), (7, 5), (33, 20)):
        s = [torch.randn(2, 1, h, w, dtype=torch.float64) * 2 for _ in range(3)]
        t = [torch.randn(2, 1, h, w, dtype=torch.float64) * 2 for _ in range(3)]
        gold = 0.0
        for a, b in zip(s, t):
            ls, lt = golden_logdist(a, 4, 3.0, 1e-6), golden_logdist(b, 4, 3.0, 1e-6)
            gold = gold + (lt.exp() * (lt - ls)).sum(dim=1).mean()
        gold = gold * 9.0
        got = ddl(s, t)
        assert abs(float(got) - float(gold)) < 1e-10, (h, w, float(got), float(gold))
    print("ddl check ok", file=sys.stderr)


# ---- bench -----------------------------------------------------------------

def proc_status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return float(line.split()[1]) / 1024
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=int, default=16)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--mode", default="dskd", choices=["dskd", "unet", "infer"])
    ap.add_argument("--optim", default="torch")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (on CUDA each step ends with a synchronize)")
    ap.add_argument("--check", action="store_true", help="verify the pooled DDL against the golden definition and exit")
    ap.add_argument("--channels-last", action="store_true", help="weights and input in channels_last memory format")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"],
                    help="bf16: forward passes under torch.autocast(bfloat16), losses in float32 (as dskd's --precision bf16)")
    a = ap.parse_args()
    if a.check:
        check_ddl()
        return
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    student = DskdUNet(depth=a.depth, base=a.base).to(dev, memory_format=fmt)
    n_params = sum(p.numel() for p in student.parameters())
    shape = (a.batch, 1, a.size, a.size)
    x = torch.randn(shape, device=dev).contiguous(memory_format=fmt)
    y = (torch.rand(shape, device=dev) < 0.1).float()
    phases_runs = {}
    res = dict(impl="pytorch", device=str(dev), mode=a.mode, base=a.base, depth=a.depth, size=a.size, batch=a.batch,
               threads=torch.get_num_threads(), steps=a.steps, warmup=a.warmup, params=n_params,
               channels_last=a.channels_last, precision=a.precision)

    def forward(model, inp):
        """The model's hierarchy, under bf16 autocast when asked, as float32."""
        if a.precision == "fp32":
            return model(inp, hierarchy=True)
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16):
            outs = model(inp, hierarchy=True)
        return [o.float() for o in outs]

    if a.mode == "infer":
        student.eval()

        def step(ph):
            with torch.no_grad():
                torch.sigmoid(forward(student, x)[-1])
    else:
        res["optim"] = "torch"
        teacher = None
        if a.mode == "dskd":
            teacher = DskdUNet(depth=a.depth, base=a.base).to(dev, memory_format=fmt)
            teacher.load_state_dict(student.state_dict())
            teacher.eval()
            for p in teacher.parameters():
                p.requires_grad_(False)
        student.train()
        opt = torch.optim.AdamW(student.parameters(), lr=1e-3, weight_decay=1e-5)
        epoch, total = 5, 10

        def step(ph):
            t0 = time.perf_counter()
            t_out = None
            if teacher is not None:
                with torch.no_grad():
                    t_out = forward(teacher, x)
            t1 = time.perf_counter()
            out = forward(student, x)
            t2 = time.perf_counter()
            loss = objective(a.mode, out, t_out, y, epoch, total)
            res["loss"] = loss.item()
            t3 = time.perf_counter()
            opt.zero_grad(set_to_none=False)
            loss.backward()
            t4 = time.perf_counter()
            opt.step()
            t5 = time.perf_counter()
            if teacher is not None:
                ph["forward_teacher"] = t1 - t0
            ph["forward"] = t2 - t1
            ph["loss"] = t3 - t2
            ph["backward"] = t4 - t3
            ph["optimizer"] = t5 - t4

    if dev.type == "cuda":  # CUDA runs asynchronously: a step is done when its kernels are
        launch = step

        def step(ph):
            launch(ph)
            torch.cuda.synchronize(dev)

    for _ in range(a.warmup):
        step({})
    res["rss_after_warmup_mib"] = proc_status("VmRSS")
    times, rss = [], []
    for _ in range(a.steps):
        ph = {}
        t0 = time.perf_counter()
        step(ph)
        times.append(time.perf_counter() - t0)
        rss.append(proc_status("VmRSS"))
        for k, v in ph.items():
            phases_runs.setdefault(k, []).append(v)
    res["rss_end_mib"] = proc_status("VmRSS")
    res["peak_rss_mib"] = proc_status("VmHWM")
    # Same definition as bench/main.go: median RSS of the last tenth of the
    # steps against the first tenth.
    k = max(1, len(rss) // 10)
    first, last = statistics.median(rss[:k]), statistics.median(rss[-k:])
    res["drift_pct"] = 100 * (last - first) / first
    res["median_s"] = statistics.median(times)
    res["min_s"] = min(times)
    res["mean_s"] = statistics.fmean(times)
    if a.mode == "infer":
        res["per_image_s"] = res["median_s"] / a.batch
    if phases_runs:
        res["phases"] = {k: statistics.median(v) for k, v in phases_runs.items()}
    if a.json:
        print(json.dumps(res))
    else:
        print(f"pytorch {a.mode} base {a.base} depth {a.depth} size {a.size} batch {a.batch} threads {res['threads']}: "
              f"median {res['median_s']:.4f} s  min {res['min_s']:.4f} s  mean {res['mean_s']:.4f} s "
              f"({a.steps} steps, {a.warmup} warmup)")
        if "per_image_s" in res:
            print(f"  per image {res['per_image_s']:.4f} s")
        for k in sorted(res.get("phases", {})):
            print(f"  {k:<16} {res['phases'][k]:.4f} s")
        print(f"  peak RSS {res['peak_rss_mib']:.0f} MiB, RSS after warmup {res['rss_after_warmup_mib']:.0f} MiB, "
              f"at end {res['rss_end_mib']:.0f} MiB, drift {res['drift_pct']:+.2f} %")


if __name__ == "__main__":
    main()
