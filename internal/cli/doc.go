// Package cli holds what the example programs and the dskd command share:
// training flags on top of a JSON config, dataset opening for the official
// layouts (or generated data when none is given), and result printing.
package cli
