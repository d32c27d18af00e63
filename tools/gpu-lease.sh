#!/usr/bin/env bash
# tools/gpu-lease.sh STAGE: what one short loan of a GPU machine without Go or
# network runs, in two calls (docs/gpu.md). Needs, next to the
# repository: _dist/dskd-bundle (make bundle) and _dist/gpu/dca1-train.tar.xz
# (a DCA1 folder, N.pgm + N_gt.pgm, packed with tar -cJf). Everything it keeps
# lives under $DSKD_LEASE_WORK (default /tmp/dskd-lease), so the second call on
# a machine still warm reuses the first one's build; what it reports goes to
# $OUT (default $DSKD_LEASE_WORK/out), at most 8 files.
#
#   check  gpu-check: set up against the host's libtorch, build, go test with
#          the CUDA tests on, DSKD and U-Net timing runs (fp32, then bf16)
#   study  the DCA1 5-fold study on the GPU until the deadline, waves that
#          finish together (seed 1 unet+dskd, seed 2, the other presets), then
#          bench/compare with what time is left
#
# DSKD_LEASE_SECONDS: the stage's deadline (default 330 for check, 380 for
# study). DSKD_LEASE_DEVICE=cpu with DSKD_LEASE_SMALL=1 rehearses both stages
# on a CPU in minutes.
set -uo pipefail
stage=${1:?usage: gpu-lease.sh check|study}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${DSKD_LEASE_WORK:-/tmp/dskd-lease}
out=${OUT:-$work/out}
device=${DSKD_LEASE_DEVICE:-cuda}
small=${DSKD_LEASE_SMALL:-0}
export DSKD_BUNDLE_HOME=$work/bundle
mkdir -p "$work" "$out"
start=$(date +%s)
case $stage in
  check) deadline=$((start + ${DSKD_LEASE_SECONDS:-330})) ;;
  study) deadline=$((start + ${DSKD_LEASE_SECONDS:-380})) ;;
  *) echo "gpu-lease: unknown stage $stage" >&2; exit 2 ;;
esac
left() { echo $((deadline - $(date +%s))); }
say() { echo "[lease $(date -u +%H:%M:%S) +$(($(date +%s) - start))s] $*"; }

data=$work/dca1-train
[ -d "$data" ] || tar -C "$work" -xJf "$root/_dist/gpu/dca1-train.tar.xz" || exit 1
bin=$work/check/work/bin
gpucheck() { "$root/_dist/dskd-bundle/run" gpu-check --project "$root" --device "$device" --data "$data" "$@"; }
# pack DIR NAME: DIR's small files (no checkpoints) as $out/NAME.tar.gz.
pack() {
  [ -d "$1" ] || return 0
  tar -C "$(dirname "$1")" -czf "$out/$2.tar.gz" --exclude='*.ot' --exclude='*.pt' --exclude='*.safetensors' \
    --exclude='checkpoints' --exclude='bin' --exclude='generated-dca1' --exclude='overlays' --exclude='report.html' \
    --exclude='*.png' "$(basename "$1")"
}

if [ "$stage" = check ]; then
  say "host: $(nproc) cores; $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo no nvidia-smi)"
  # The packages that reach libtorch: what a new libtorch and CUDA can break.
  sizes=(--test-packages "./internal/aten ./models ./losses ./optim ./engine ./dskd ./interop ./distributed")
  [ "$small" = 1 ] && sizes=(--train-base 8 --train-crop 128 --train-epochs 2 --test-packages ./losses)
  gpucheck --out "$work/check" --budget "$(($(left) - 15))s" --timeouts setup=240s,build=120s,test=150s,train=60s \
    --train-presets dskd,unet --skip bench "${sizes[@]}"
  say "gpu-check exit $?"
  cp "$work/check/report.md" "$out/check-report.md" 2>/dev/null
  [ /tmp/dskd-setup-compile.log -nt "$work/dca1-train" ] && cp /tmp/dskd-setup-compile.log "$out/setup-compile.log"
  # Why a c10d backend did not compile (the setup drops it and goes on).
  c10d=$(find /tmp -maxdepth 1 -name 'dskd-setup-c10d-*.log' -newer "$work/dca1-train" -printf '%f\n' 2>/dev/null)
  [ -n "$c10d" ] && tar -C /tmp -czf "$out/c10d-logs.tar.gz" $c10d
  pack "$work/check" check
  if [ -x "$bin/dskd" ] && [ "$(left)" -gt 80 ]; then
    [ "$small" = 1 ] && sizes=(--train-base 8 --train-crop 128 --train-epochs 2)
    gpucheck --out "$work/bf16" --budget "$(($(left) - 10))s" --skip test,bench --train-presets dskd,unet \
      --train-args "--precision bf16" --timeouts train=50s "${sizes[@]}" > "$work/bf16.log" 2>&1
    say "bf16 exit $?"
    cp "$work/bf16/report.md" "$out/bf16-report.md" 2>/dev/null
  fi
  say "check stage done"
  exit 0
fi

# study
if [ ! -x "$bin/dskd" ]; then # a fresh machine: set up and build only
  say "no build from a check stage here: building"
  gpucheck --out "$work/check" --budget "$(($(left) - 60))s" --skip test,train,bench
fi
[ -x "$bin/dskd" ] || { say "no dskd binary"; pack "$work/check" check; exit 1; }
study=$work/study
sets=(--set model.base=32 --set epochs=50)
[ "$small" = 1 ] && sets=(--set model.base=4 --set epochs=1)
# wave PRESETS SEEDS: runs start in fold order, six at a time, so what
# finishes before the deadline (less a reserve for the reports) comes in
# pairs; a run cut off resumes in a later call on the same machine.
wave() {
  local budget=$(($(left) - 40))
  [ "$budget" -gt 30 ] || { say "skip wave $1 seeds $2: ${budget}s left"; return 1; }
  say "wave $1 seeds $2: ${budget}s"
  timeout -k 10 "$budget" "$bin/dskd" study --dir "$study" --dataset dca1 --data "$data" \
    --config "$root/examples/dca1/recipe.json" "${sets[@]}" --presets "$1" --seeds "$2" --folds 5 \
    --jobs 6 --threads "$(nproc)" > "$work/study-$1-$2.log" 2>&1
  local rc=$?
  say "wave $1 seeds $2 exit $rc, runs finished: $(grep -c 'run finished' "$work/study-$1-$2.log")"
  return $rc
}
nvidia-smi --query-gpu=name,memory.used --format=csv,noheader 2>/dev/null
wave unet,dskd 1 && wave unet,dskd 2 && wave deep-supervision,psdl,ddl 1
"$bin/dskd" study --dir "$study" --report --presets unet,dskd --seeds 1,2 --folds 5 > "$work/report-grid1.log" 2>&1
cp "$study/results.md" "$out/study-grid1.md" 2>/dev/null
"$bin/dskd" study --dir "$study" --report --presets unet,deep-supervision,psdl,ddl,dskd --seeds 1 --folds 5 > "$work/report-grid2.log" 2>&1
cp "$study/results.md" "$out/study-grid2.md" 2>/dev/null
cp "$study/results.csv" "$out/study-results.csv" 2>/dev/null
pack "$study" study
say "study done, $(left)s left"

if [ "$(left)" -gt 60 ]; then
  sizes=()
  [ "$small" = 1 ] && sizes=(--bench-configs 8:128:2)
  gpucheck --out "$work/bench" --budget "$(($(left) - 5))s" --skip test,train "${sizes[@]}" > "$work/bench.log" 2>&1
  say "bench exit $?"
  cp "$work/bench/report.md" "$out/bench-report.md" 2>/dev/null
fi
tar -C "$work" -czf "$out/logs.tar.gz" $(cd "$work" && ls ./*.log 2>/dev/null) 2>/dev/null
say "all done"
