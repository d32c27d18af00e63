// Command selfcheck runs dskd's numerical self-check of the linked libtorch
// (engine.SetThreadsChecked: a small convolutional network's output and
// gradients in float32 and float64 against a float64 reference computed in
// Go) and prints the outcome. dskd-setup runs it once per libtorch and
// thread count; run it by hand to see each thread count on its own:
//
//	go run ./cmd/dskd-setup/selfcheck                    # all cores, falling back like Train does
//	go run ./cmd/dskd-setup/selfcheck --threads 4,2,1 --all
//
// It exits 1 when libtorch is wrong even with one thread.
//
// Layer: programs, the top. It may import any runtime layer; nothing
// imports it.
package main
