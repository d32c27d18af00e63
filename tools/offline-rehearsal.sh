#!/usr/bin/env bash
# offline-rehearsal.sh: rehearse an offline GPU server on this machine. It
# makes the bundle, copies it into an empty folder and runs its gpu-check
# there in a network namespace with loopback only (unshare -n, root), with a
# clean environment: no system Go on PATH, GOFLAGS unset, fresh empty HOME,
# GOPATH, GOCACHE and DSKD_CACHE. Everything is compiled from scratch
# (gotch's C++ included: minutes on 2 cores).
#
#   tools/offline-rehearsal.sh [DIR] [-- gpu-check flags]
#
# DIR (default: a new /tmp/dskd-rehearsal.*) must be empty or missing. The
# gpu-check flags default to --device cpu --budget 40m with per-phase limits
# sized for 2 cores; the bundle's report folder path is printed at the end.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=
if [ $# -gt 0 ] && [ "$1" != -- ]; then dir=$1; shift; fi
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || set -- --device cpu --budget 40m --timeouts setup=10m,build=15m,test=20m,train=6m,bench=6m
dir=${dir:-$(mktemp -d /tmp/dskd-rehearsal.XXXXXX)}
mkdir -p "$dir"
[ -z "$(ls -A "$dir")" ] || { echo "offline-rehearsal: $dir is not empty" >&2; exit 1; }
dir=$(cd "$dir" && pwd)

make -C "$root" bundle
cp -r "$root/_dist/dskd-bundle" "$dir/bundle"
mkdir -p "$dir/home" "$dir/gopath" "$dir/gocache" "$dir/dskd-cache"
# A new network namespace has no network and a loopback that is down; a real
# offline server's loopback is up (the distributed tests meet on 127.0.0.1).
net=(unshare -n sh -c 'ip link set lo up || echo "offline-rehearsal: loopback left down" >&2; exec "$@"' sh)
unshare -n true 2>/dev/null || { echo "offline-rehearsal: unshare -n refused (not root?); running with network, GOPROXY=off only" >&2; net=(); }
echo "offline-rehearsal: in $dir: bundle/run gpu-check $*" >&2
start=$(date +%s)
set +e
(cd "$dir" && "${net[@]}" env -i HOME="$dir/home" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 TERM=dumb GOPROXY=off GOPATH="$dir/gopath" GOCACHE="$dir/gocache" DSKD_CACHE="$dir/dskd-cache" \
  bash bundle/run gpu-check "$@")
rc=$?
set -e
echo "offline-rehearsal: gpu-check exited $rc after $(( $(date +%s) - start )) s (bundle: $(du -sh "$root/_dist/dskd-bundle" | cut -f1))" >&2
exit $rc
