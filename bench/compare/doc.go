// Command compare runs the Go benchmark (bench/main.go) and its PyTorch twin
// (bench/twin.py) side by side, interleaved (A B B A A B ...) in fresh
// processes at equal threads, prints the table with the ratios, headed by
// the command as it ran (its arguments, shell-quoted), and, with --write,
// replaces the results section of bench/README.md.
//
//	go run ./bench/compare --reps 3 --write
//
// The PyTorch twin needs a Python with torch built on the same libtorch
// (Debian 12: /usr/bin/python3 with python3-torch 1.13.1).
//
// Layer: programs, the top. It may import any runtime layer; nothing
// imports it.
package main
