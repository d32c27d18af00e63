// Package bundle packs what an offline linux/amd64 host needs to build, test
// and run this project with nothing but g++ and a libtorch: a trimmed Go
// toolchain, the module-cache files the build reads, and the project source.
//
// A bundle is a folder of three xz-compressed tar archives (go, modcache,
// dskd), env.sh (unpacks them next to itself on first use and sets GOROOT,
// GOMODCACHE, GOPROXY=off, ...), run (`./run gpu-check --device cuda`) and
// MANIFEST.json. cmd/dskd-bundle writes it; `make bundle` runs that.
//
// What is kept is derived from `go list -deps -test ./...` at bundle time:
//   - GOROOT: bin/go, the tools go build/vet/test run (compile, link, asm,
//     cgo, vet, cover), pkg/include, lib/time and the standard library's
//     source without src/cmd, testdata, tests and foreign .syso objects;
//   - module cache: each needed package's directory (no tests), files it
//     embeds or names through ${SRCDIR} in #cgo lines, each module's go.mod
//     and licence, and the download metadata (.mod, .info, .ziphash) of every
//     module version go.sum lists. No zips: the go command trusts an
//     extracted module directory that has its .ziphash;
//   - source: the files git tracks or would track (the working tree minus
//     ignored files), so uncommitted edits travel too.
//
// Plan computes these lists without writing anything; its test checks, on
// every `make test`, that an offline `go list -deps -test ./...` succeeds
// against the planned module cache alone, so the bundle cannot silently go
// stale when an import is added.
//
// Layer: tooling (building and deploying dskd), apart from the runtime
// layers. It imports only foundation packages and other tooling.
package bundle
