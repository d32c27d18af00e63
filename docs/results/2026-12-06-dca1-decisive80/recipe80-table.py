#!/usr/bin/env python3
"""decisive80 deep-supervision runs: held-out pooled Dice with flips (the study's score)
against flips and turns (the shipped recipe's tta_turns), with a fold bootstrap.

usage: recipe80-table.py STUDY EVALS
  STUDY  the study folder (its runs/deep-supervision/*/study-result.json, ensembles.csv)
  EVALS  the `dskd eval --json` files: fold-F_seed-S.turns.json per run,
         ensemble-fold-F.turns.json per seed ensemble
Prints the markdown that the decisive80 page holds between its recipe80 markers.
"""
import csv, glob, json, os, random, statistics as st, sys
STUDY, EVALS = sys.argv[1], sys.argv[2]


def pooled_dice(eval_json):
    t = json.load(open(eval_json))
    return [s['pooled'] for s in t['summary'] if s['metric'] == 'dice'][0]


rows = []
for f in sorted(glob.glob(f'{EVALS}/fold-*.turns.json')):
    n = os.path.basename(f).split('.')[0]
    r = json.load(open(f'{STUDY}/runs/deep-supervision/{n}/study-result.json'))
    rows.append((n, r['fold'], r['scores']['dice_pooled'], pooled_dice(f)))
print('| run | flips | flips and turns | difference |\n|---|---|---|---|')
for n, _, a, b in rows:
    print(f'| deep-supervision/{n} | {a:.4f} | {b:.4f} | {b-a:+.4f} |')
folds = sorted({r[1] for r in rows})
def boot(vals_by_fold, n=10000, seed=1):
    rnd = random.Random(seed); ms = []
    for _ in range(n):
        pick = [rnd.choice(folds) for _ in folds]
        v = [x for f in pick for x in vals_by_fold[f]]
        ms.append(sum(v) / len(v))
    ms.sort(); return ms[int(0.025 * n)], ms[int(0.975 * n) - 1]
d = {f: [b - a for n, ff, a, b in rows if ff == f] for f in folds}
with_turns = {f: [b for n, ff, a, b in rows if ff == f] for f in folds}
diffs = [b - a for *_, a, b in rows]
lo, hi = boot(d)
tl, th = boot(with_turns)
print(f"\n{len(rows)} runs (folds {', '.join(map(str, folds))}): flips {st.mean(r[2] for r in rows):.4f}; "
      f"flips and turns {st.mean(r[3] for r in rows):.4f} ± {st.stdev(r[3] for r in rows):.4f} "
      f"(mean ± std over runs; 95 % fold-bootstrap interval of the mean [{tl:.4f}, {th:.4f}]); "
      f"turns − flips {st.mean(diffs):+.4f} [{lo:+.4f}, {hi:+.4f}], {sum(x > 0 for x in diffs)} of {len(diffs)} runs up.")
ens_flips = {int(e['fold']): float(e['dice_pooled'])
             for e in csv.DictReader(open(f'{STUDY}/ensembles.csv')) if e['arm'] == 'deep-supervision'}
ens = []
for f in folds:
    p = f'{EVALS}/ensemble-fold-{f}.turns.json'
    if os.path.exists(p):
        ens.append((f, ens_flips[f], pooled_dice(p)))
if ens:
    print('\nThe seed ensembles (the three seeds\' mean probability, threshold picked on the validation carve; '
          'the flips column is the study\'s ensembles.csv):\n')
    print('| fold | flips | flips and turns | difference |\n|---|---|---|---|')
    for f, a, b in ens:
        print(f'| {f} | {a:.4f} | {b:.4f} | {b-a:+.4f} |')
    print(f"\n{len(ens)} folds: flips {st.mean(e[1] for e in ens):.4f}, flips and turns {st.mean(e[2] for e in ens):.4f}; "
          f"turns − flips {st.mean(e[2]-e[1] for e in ens):+.4f}, {sum(e[2] > e[1] for e in ens)} of {len(ens)} folds up.")
