// Command dskd-setup prepares gotch for the libtorch installed on this
// machine and writes the project's go.work. Run it once after cloning (make
// does); it is idempotent and returns in well under two seconds when nothing
// changed.
//
//	go run ./cmd/dskd-setup           # find libtorch, prepare gotch, write go.work
//	go run ./cmd/dskd-setup --print   # report what it found, change nothing
//	go run ./cmd/dskd-setup --install # install Debian's libtorch-dev if none is found
//
// libtorch is looked for in this order: $LIBTORCH (official zip layout), the
// torch package of python3, the system (apt-get install libtorch-dev).
package main
