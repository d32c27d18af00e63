#!/usr/bin/env python3
"""The step-scaling tables at 1x, 2x and 4x (folds 0 and 1, seed 1), from the
results.csv of the three length studies' snapshots.

usage: scaling-table.py LEN40 LEN80 LEN160   (study folders with results.csv)
"""
import csv
import os
import sys

NAMES = {"unet": "U-Net", "deep-supervision": "deep supervision"}
FOLDS = ("0", "1")


def load(study):
    rows = {}
    with open(os.path.join(study, "results.csv")) as f:
        for r in csv.DictReader(f):
            if r["seed"] == "1" and r["fold"] in FOLDS:
                rows[(r["arm"], r["fold"])] = r
    return rows


def cell(v):
    return "" if v is None else f"{v:.4f}"


def diff(v):
    return "" if v is None else f"{v:+.4f}".replace("-", "−")


def table(studies, column):
    heads = ["1×", "2×", "4×"]
    out = ["| arm | " + " | ".join(f"{h} fold {f}" for h in heads for f in FOLDS)
           + " | 4× − 2×, fold 0 | 4× − 2×, fold 1 | 4× − 2×, mean |",
           "|---" * 10 + "|"]
    for arm in ("unet", "deep-supervision"):
        vals = []
        for s in studies:
            for f in FOLDS:
                r = s.get((arm, f))
                vals.append(float(r[column]) if r and r.get(column) else None)
        d = [None if vals[4 + i] is None else vals[4 + i] - vals[2 + i] for i in range(2)]
        mean = None if None in d else sum(d) / 2
        out.append(f"| {NAMES[arm]} | " + " | ".join(cell(v) for v in vals)
                   + " | " + " | ".join(diff(v) for v in d + [mean]) + " |")
    return "\n".join(out)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    studies = [load(d) for d in sys.argv[1:]]
    print("With the model validation kept (`dice_pooled`):\n")
    print(table(studies, "dice_pooled"))
    print("\nWith each run's last-epoch model (`last_dice_pooled`, `--score-last`):\n")
    print(table(studies, "last_dice_pooled"))


if __name__ == "__main__":
    main()
