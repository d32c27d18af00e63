#!/usr/bin/env bash
# dskd offline bundle: this project's commands with the bundled Go toolchain,
# on a linux/amd64 host with g++ and a libtorch, without network.
#
#   ./run gpu-check [--device cuda] [--data DIR] [--out DIR] [--budget 8m]
#         set up against this host's libtorch, build, run the tests, a short
#         DSKD training and bench/compare; prints the report folder at the end
#         (./run gpu-check --help lists every option)
#   ./run setup [--print]   prepare gotch for this host's libtorch (or show it)
#   ./run test [PKGS]       set up, then go vet + go test (default ./...)
#   ./run go ARGS...        the bundled go command, in the dskd folder
#
# LIBTORCH=/path/to/libtorch picks the libtorch (else a Python torch, else the
# system's); DSKD_BUNDLE_HOME=DIR unpacks elsewhere (default: this folder).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$here/run"; }
cmd=${1:-help}
[ $# -gt 0 ] && shift
case $cmd in
  help | -h | --help) usage; exit 0 ;;
  gpu-check | setup | test | go) ;;
  *) echo "run: unknown command '$cmd'" >&2; usage >&2; exit 2 ;;
esac
# shellcheck source=/dev/null
source "$here/env.sh"
case $cmd in
  gpu-check)
    mkdir -p "$DSKD_BUNDLE_HOME/bin"
    (cd "$DSKD_SRC" && GOWORK=off go build -o "$DSKD_BUNDLE_HOME/bin/dskd-gpucheck" ./cmd/dskd-gpucheck)
    exec "$DSKD_BUNDLE_HOME/bin/dskd-gpucheck" --project "$DSKD_SRC" --reports "$DSKD_BUNDLE_HOME/reports" "$@" ;;
  setup) cd "$DSKD_SRC" && GOWORK=off exec go run ./cmd/dskd-setup "$@" ;;
  test)
    cd "$DSKD_SRC" && GOWORK=off go run ./cmd/dskd-setup --quiet
    [ $# -gt 0 ] || set -- ./...
    go vet "$@" && exec go test -count=1 "$@" ;;
  go) cd "$DSKD_SRC" && exec go "$@" ;;
esac
