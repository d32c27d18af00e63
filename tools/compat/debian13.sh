#!/usr/bin/env bash
# Runs dskd's setup and `make test` against Debian 13 (trixie)'s libtorch-dev
# 2.6.0 in a debootstrap chroot, so a 2.x libtorch is tried on a Debian 12
# machine, and reports what it found.
#
#   sudo tools/compat/debian13.sh            # bootstrap once (~10 min), then setup + make test
#   sudo tools/compat/debian13.sh --fresh    # also empty the chroot's Go and DSKD caches first
#   sudo tools/compat/debian13.sh --no-test  # setup and the self-check only
#   sudo tools/compat/debian13.sh --python   # also compare conv gradients at 1-4 threads
#                                            # against float64 in Debian's own python3-torch
#
# The chroot lives in $DEBIAN13_DIR (default /var/tmp/dskd-debian13) and is
# reused. Go is bind-mounted from the host's GOROOT, the host's module cache
# read-only (GOPROXY=off: nothing is downloaded for Go), and the working tree
# (tracked and untracked, not ignored files) is copied in afresh each run.
# Needs root, debootstrap (installed with apt-get if missing) and Debian's
# mirror. The report (log, summary.md) goes to $DIR/report.
set -euo pipefail

DIR=${DEBIAN13_DIR:-/var/tmp/dskd-debian13}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
FRESH=0
RUN_TEST=1
PYTHON_CHECK=0
for arg in "$@"; do
  case $arg in
    --fresh) FRESH=1 ;;
    --no-test) RUN_TEST=0 ;;
    --python) PYTHON_CHECK=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "debian13.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

REPO=$(cd "$(dirname "$0")/../.." && pwd)
export PATH="$PATH:/usr/local/go/bin"
GOROOT_HOST=$(go env GOROOT)
MODCACHE_HOST=$(go env GOMODCACHE)
REPORT=$DIR/report

[ "$(id -u)" = 0 ] || { echo "debian13.sh: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }
if ! command -v debootstrap >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
fi

say() { printf '[debian13 %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ ! -f "$DIR/.dskd-bootstrapped" ]; then
  say "debootstrap trixie into $DIR (once; several minutes)"
  debootstrap --variant=minbase --components=main,contrib trixie "$DIR" "$MIRROR"
  touch "$DIR/.dskd-bootstrapped"
fi

MOUNTS=()
cleanup() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" || true; done
}
trap cleanup EXIT
bind() { # bind SRC DST [ro]
  mkdir -p "$2"
  mount --bind "$1" "$2"
  MOUNTS+=("$2")
  if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
}
mkdir -p "$DIR/proc" && mount -t proc proc "$DIR/proc" && MOUNTS+=("$DIR/proc")
bind /dev "$DIR/dev"
bind "$GOROOT_HOST" "$DIR/usr/local/go" ro
bind "$MODCACHE_HOST" "$DIR/root/go/pkg/mod" ro
cp /etc/resolv.conf "$DIR/etc/resolv.conf"

in_chroot() {
  chroot "$DIR" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    GOPATH=/root/go GOMODCACHE=/root/go/pkg/mod GOPROXY=off GOFLAGS=-buildvcs=false \
    GOCACHE=/root/.cache/go-build DSKD_CACHE=/root/.cache/dskd DEBIAN_FRONTEND=noninteractive \
    bash -c "$1"
}

PKGS="libtorch-dev g++ make git ca-certificates"
[ "$PYTHON_CHECK" = 1 ] && PKGS="$PKGS python3-torch"
if ! in_chroot "dpkg-query -W $PKGS >/dev/null 2>&1"; then
  say "apt-get install $PKGS (once)"
  in_chroot "apt-get update -q && apt-get install -y -q --no-install-recommends $PKGS"
fi
LIBTORCH_VERSION=$(in_chroot "dpkg-query -W -f='\${Version}' libtorch-dev")
say "libtorch-dev $LIBTORCH_VERSION"

say "copying the working tree of $REPO into the chroot"
rm -rf "$DIR/root/dskd"
mkdir -p "$DIR/root/dskd"
(cd "$REPO" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -C "$DIR/root/dskd" -xf -
if [ "$FRESH" = 1 ]; then
  say "emptying the chroot's GOCACHE and DSKD_CACHE"
  rm -rf "$DIR/root/.cache/go-build" "$DIR/root/.cache/dskd"
fi

rm -rf "$REPORT" && mkdir -p "$REPORT"
LOG=$REPORT/log.txt
status_setup=0
status_test=skipped
say "make setup (log: $LOG)"
start=$(date +%s)
in_chroot "cd /root/dskd && make setup" >"$LOG" 2>&1 || status_setup=$?
setup_s=$(( $(date +%s) - start ))
test_s=0
if [ "$status_setup" = 0 ] && [ "$RUN_TEST" = 1 ]; then
  say "make test"
  start=$(date +%s)
  status_test=0
  in_chroot "cd /root/dskd && make test" >>"$LOG" 2>&1 || status_test=$?
  test_s=$(( $(date +%s) - start ))
fi
selfcheck=""
if [ "$status_setup" = 0 ] && [ -d "$DIR/root/dskd/cmd/dskd-setup/selfcheck" ]; then
  say "self-check at 1, 2 and 4 threads"
  selfcheck=$(in_chroot "cd /root/dskd && go run ./cmd/dskd-setup/selfcheck --threads 4,2,1 --all" 2>&1 || true)
fi

pycheck=""
if [ "$PYTHON_CHECK" = 1 ]; then
  say "python3-torch: conv gradients at 1-4 threads against float64, random shapes, 60 s"
  cat >"$DIR/root/conv_threads.py" <<'PY'
# Conv2d(1->C) -> ReLU -> Conv2d(C->1), MSE, one backward, in float32 at 1-4
# threads against float64 at 1 thread: the largest relative gradient error.
import copy, random, time, torch
random.seed(0); torch.manual_seed(0)
def grads(net, x, t, dtype):
    torch.set_num_threads(t)
    n = copy.deepcopy(net).to(dtype)
    torch.nn.functional.mse_loss(n(x.to(dtype)), 2 * x.to(dtype)).backward()
    return [p.grad.double() for p in n.parameters()]
worst, runs, t0 = {}, 0, time.time()
while time.time() - t0 < 60:
    b, hw, c = random.choice([1, 2, 4, 8]), random.choice([8, 16, 32, 64, 96]), random.choice([4, 8, 16])
    net = torch.nn.Sequential(torch.nn.Conv2d(1, c, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(c, 1, 3, padding=1))
    x = torch.rand(b, 1, hw, hw)
    ref = grads(net, x, 1, torch.float64)
    for t in (1, 2, 3, 4):
        e = max(((g - r).norm() / r.norm()).item() for g, r in zip(grads(net, x, t, torch.float32), ref))
        if e > worst.get(t, (0,))[0]:
            worst[t] = (e, (b, c, hw))
    runs += 1
print("torch", torch.__version__, "-", runs, "random shapes")
for t in sorted(worst):
    print("%d thread(s): largest relative gradient error %.1e (batch, channels, size %s)" % (t, worst[t][0], worst[t][1]))
PY
  pycheck=$(in_chroot "python3 /root/conv_threads.py" 2>&1 | grep -v -e 'UCX' -e 'cpuinfo' || true)
fi

{
  echo "# dskd on Debian 13 (trixie), libtorch-dev $LIBTORCH_VERSION"
  echo
  echo "- commit: $(cd "$REPO" && git rev-parse --short HEAD)$(cd "$REPO" && git diff --quiet HEAD || echo ' (with uncommitted changes)')"
  echo "- make setup: exit $status_setup, ${setup_s} s"
  echo "- make test: exit $status_test, ${test_s} s"
  echo "- setup lines:"
  grep '^dskd-setup:' "$LOG" | sed 's/^/    /' || true
  echo "- test packages:"
  grep -E '^(ok|FAIL|---) ' "$LOG" | grep -v '^--- PASS' | sed 's/^/    /' || true
  echo "- log lines mentioning NaN: $(grep -ci 'nan' "$LOG" || true)"
  if [ -n "$selfcheck" ]; then
    echo "- self-check (go run ./cmd/dskd-setup/selfcheck --threads 4,2,1 --all):"
    printf '%s\n' "$selfcheck" | sed 's/^/    /'
  fi
  if [ -n "$pycheck" ]; then
    echo "- python3-torch, conv gradients vs float64:"
    printf '%s\n' "$pycheck" | sed 's/^/    /'
  fi
} >"$REPORT/summary.md"
cat "$REPORT/summary.md"
say "report: $REPORT/summary.md, full log: $LOG"
[ "$status_setup" = 0 ] && { [ "$status_test" = 0 ] || [ "$status_test" = skipped ]; }
