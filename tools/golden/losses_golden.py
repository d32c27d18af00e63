#!/usr/bin/python3
"""Golden values for the Go losses package, computed with PyTorch.

Dev-only. Regenerate (from the repository root) with Debian's python3-torch:

    /usr/bin/python3 tools/golden/losses_golden.py > testdata/golden/losses.json

The inputs are drawn here from a fixed seed and written to the JSON next to
the expected values, so the Go tests (losses/golden_test.go) read the very
same numbers. Everything is float64. The DDL here is written independently of
the Go code: patches are cut by explicit adaptive-pooling bins
(start = floor(i*n/g), end = ceil((i+1)*n/g)) and summed, not pooled.
"""
import json
import math

import torch
import torch.nn.functional as F

torch.manual_seed(20250903)
B, D, H, W = 2, 3, 7, 5
student = [torch.randn(B, 1, H, W, dtype=torch.float64) * 2 for _ in range(D)]
teacher = [torch.randn(B, 1, H, W, dtype=torch.float64) * 2 for _ in range(D)]
target = (torch.rand(B, 1, H, W, dtype=torch.float64) < 0.35).double()


def dice(logits, y, s=1.0):
    p = torch.sigmoid(logits)
    inter = (p * y).sum(dim=(1, 2, 3))
    den = p.sum(dim=(1, 2, 3)) + y.sum(dim=(1, 2, 3))
    return (1 - (2 * inter + s) / (den + s)).mean()


def bce(logits, y):
    return F.binary_cross_entropy_with_logits(logits, y)


def psdl(s, t, y, alpha):
    soft = alpha * torch.sigmoid(t) + (1 - alpha) * y
    return bce(s, soft)


def bins(n, g):
    return [(i * n // g, -((-(i + 1) * n) // g)) for i in range(g)]


def patch_logdist(logits, g, tau, eps, raw):
    p = torch.sigmoid(logits)
    rows = []
    for hs, he in bins(p.shape[2], g):
        cols = []
        for ws, we in bins(p.shape[3], g):
            area = (he - hs) * (we - ws)
            fg = p[:, 0, hs:he, ws:we].sum(dim=(1, 2))  # [B]
            if raw:
                z = torch.stack([fg, area - fg], dim=1)
            else:
                z = torch.log(torch.stack([fg / area, 1 - fg / area], dim=1) + eps)
            cols.append(torch.log_softmax(z / tau, dim=1))  # [B, 2]
        rows.append(torch.stack(cols, dim=2))
    return torch.stack(rows, dim=2)  # [B, 2, g, g]


def ddl(ss, tt, g=4, tau=3.0, eps=1e-6, raw=False, reverse=False, tau2=True):
    total = 0.0
    for s, t in zip(ss, tt):
        ls = patch_logdist(s, g, tau, eps, raw)
        lt = patch_logdist(t, g, tau, eps, raw)
        if reverse:
            ls, lt = lt, ls
        kl = (lt.exp() * (lt - ls)).sum(dim=1)  # [B, g, g]
        total = total + kl.mean()
    return total * (tau * tau if tau2 else 1.0)


def deep_sup(side, y, weights=None):
    if weights is None:
        weights = [1.0 / len(side)] * len(side)
    return sum(w * (dice(s, y) + bce(s, y)) for w, s in zip(weights, side))


def objective(preset, epoch, total, have_teacher, schedule="ramp", start=1,
              lam_psdl=1.0, lam_ddl=1.0, lam_ds=1.0, alpha_T=0.5, ddl_kw=None):
    ddl_kw = ddl_kw or {}
    main = student[-1]
    use_psdl = preset in ("psdl", "dskd")
    use_ddl = preset in ("ddl", "dskd")
    have_teacher = have_teacher and (use_psdl or use_ddl)
    loss = dice(main, target)
    alpha = alpha_T * epoch / total if (use_psdl and have_teacher) else 0.0
    if use_psdl:
        loss = loss + lam_psdl * psdl(main, teacher[-1], target, alpha)
    else:
        loss = loss + lam_psdl * bce(main, target)
    if preset == "deep-supervision":
        loss = loss + lam_ds * deep_sup(student[:-1], target)
    if use_ddl and have_teacher:
        lam = {"ramp": lam_ddl * epoch / total, "constant": lam_ddl,
               "start": lam_ddl if epoch >= start else 0.0}[schedule]
        loss = loss + lam * ddl(student, teacher, **ddl_kw)
    return loss


cases = []


def case(name, kind, value, **params):
    cases.append(dict(name=name, kind=kind, params=params, value=float(value)))


case("dice main", "dice", dice(student[-1], target))
case("dice teacher depth 0", "dice", dice(teacher[0], target), input="teacher0")
case("bce main", "bce", bce(student[-1], target))
for a in (0.0, 0.3, 1.0):
    case(f"psdl alpha {a}", "psdl", psdl(student[-1], teacher[-1], target, a), alpha=a)
for kw in [dict(), dict(g=2), dict(g=3), dict(g=5), dict(g=1), dict(g=3, raw=True),
           dict(g=2, raw=True, tau=50.0), dict(g=2, reverse=True), dict(g=3, tau2=False),
           dict(g=4, tau=1.0), dict(g=3, eps=1e-3)]:
    full = dict(g=4, tau=3.0, eps=1e-6, raw=False, reverse=False, tau2=True)
    full.update(kw)
    case("ddl " + json.dumps(kw), "ddl", ddl(student, teacher, **full), **full)
    case("ddl one depth " + json.dumps(kw), "ddl1", ddl(student[1:2], teacher[1:2], **full), **full)
case("deep supervision equal", "ds", deep_sup(student[:-1], target), weights=None)
case("deep supervision weighted", "ds", deep_sup(student[:-1], target, [0.3, 0.7]), weights=[0.3, 0.7])
for preset in ("unet", "deep-supervision", "psdl", "ddl", "dskd"):
    case(f"objective {preset} e3/10", "objective", objective(preset, 3, 10, True),
         preset=preset, epoch=3, total=10, teacher=True)
case("objective dskd e0 no teacher", "objective", objective("dskd", 0, 10, False),
     preset="dskd", epoch=0, total=10, teacher=False)
case("objective dskd constant e2/10", "objective", objective("dskd", 2, 10, True, schedule="constant"),
     preset="dskd", epoch=2, total=10, teacher=True, schedule="constant")
case("objective ddl start5 e4/10", "objective", objective("ddl", 4, 10, True, schedule="start", start=5),
     preset="ddl", epoch=4, total=10, teacher=True, schedule="start", start=5)
case("objective ddl start5 e5/10", "objective", objective("ddl", 5, 10, True, schedule="start", start=5),
     preset="ddl", epoch=5, total=10, teacher=True, schedule="start", start=5)
case("objective dskd weighted e7/8", "objective",
     objective("dskd", 7, 8, True, lam_psdl=0.5, lam_ddl=2.0, alpha_T=0.8, ddl_kw=dict(g=3, tau=2.0)),
     preset="dskd", epoch=7, total=8, teacher=True, lambda_psdl=0.5, lambda_ddl=2.0, alpha_T=0.8, g=3, tau=2.0)

flat = lambda t: [float(v) for v in t.flatten().tolist()]
print(json.dumps(dict(
    generator="tools/golden/losses_golden.py",
    torch=torch.__version__,
    shape=[B, 1, H, W],
    student=[flat(s) for s in student],
    teacher=[flat(t) for t in teacher],
    target=flat(target),
    cases=cases,
), indent=1))
