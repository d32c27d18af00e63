package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/angioseg/dskd/engine"
)

func main() {
	threads := flag.String("threads", strconv.Itoa(runtime.NumCPU()), "thread count(s) to check, comma-separated")
	all := flag.Bool("all", false, "check every listed count on its own (no fallback)")
	asJSON := flag.Bool("json", false, "print the decision for the first count as JSON (for dskd-setup)")
	flag.Parse()
	var counts []int
	for _, s := range strings.Split(*threads, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "selfcheck: --threads %q: want counts >= 1, comma-separated\n", *threads)
			os.Exit(2)
		}
		counts = append(counts, n)
	}
	failed := false
	err := engine.Run(func() error {
		if *all {
			for _, n := range counts {
				c, err := engine.CheckThreads(n)
				if err != nil {
					return err
				}
				failed = failed || !c.Pass
				fmt.Println(c)
			}
			return nil
		}
		choice, err := engine.SetThreadsChecked(counts[0])
		if *asJSON {
			out := struct {
				engine.ThreadChoice
				Error string `json:"error,omitempty"`
			}{ThreadChoice: choice}
			if err != nil {
				out.Error = err.Error()
			}
			b, _ := json.Marshal(out)
			fmt.Println(string(b))
			return err
		}
		for _, c := range choice.Checks {
			fmt.Println(c)
		}
		if err != nil {
			return err
		}
		if choice.Warning != "" {
			fmt.Println("warning:", choice.Warning)
		}
		fmt.Printf("training would use %d thread(s)\n", choice.Threads)
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "selfcheck:", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}
