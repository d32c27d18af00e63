// Command dskd-setup prepares gotch for the libtorch installed on this
// machine (compiling its C++ once, on all cores), writes the project's
// go.work, builds gotch and runs the libtorch self-check. Run it once after
// cloning (make does); it is idempotent and returns in about a second, saying
// nothing with --quiet, when nothing changed.
//
//	go run ./cmd/dskd-setup           # find libtorch, prepare gotch, write go.work
//	go run ./cmd/dskd-setup --print   # report what it found, change nothing
//	go run ./cmd/dskd-setup --install # install Debian's libtorch-dev if none is found,
//	                                  # and libgloo-dev for distributed training
//
// libtorch is looked for in this order: $LIBTORCH (official zip layout),
// $TORCH_DIR (a Python torch package directory), the torch of $PYTHON, the
// torch package of python3 (or an activated venv), the system (apt-get
// install libtorch-dev).
//
// Layer: tooling (building and deploying dskd), apart from the runtime
// layers. It imports only foundation packages and other tooling.
package main
