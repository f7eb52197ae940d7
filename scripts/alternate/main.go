//go:build unix

// Command alternate times whole processes the way a busy machine allows: it
// runs each of the given command lines once per round, in a new random
// order every round, so that the machine's drift falls on all of them
// alike, and reports each one's median (and 10th percentile) wall and CPU
// time, and its ratio to the first command's. scripts/bench prints its
// figures beside hyperfine's.
//
// Usage: alternate [-n ROUNDS] [-warmup N] [-remove PATH] 'CMD [ARGS]' 'CMD [ARGS]' ...
//
// A command line is split on spaces; leading NAME=VALUE words are added to
// its environment. Standard streams are the null device.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	rounds := flag.Int("n", 300, "rounds (runs of each command)")
	warmup := flag.Int("warmup", 10, "rounds not counted")
	remove := flag.String("remove", "", "a file to remove before every run (a marker a command leaves behind)")
	flag.Parse()
	if flag.NArg() < 2 {
		fmt.Fprintln(os.Stderr, "usage: alternate [-n ROUNDS] [-warmup N] 'REFERENCE' 'CMD' ...")
		os.Exit(2)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fail(err)
	}
	lines := flag.Args()
	wall := make([][]time.Duration, len(lines))
	cpu := make([][]time.Duration, len(lines))
	for round := 0; round < *warmup+*rounds; round++ {
		for _, i := range rand.Perm(len(lines)) {
			if *remove != "" {
				os.Remove(*remove)
			}
			w, c, err := run(lines[i], null)
			if err != nil {
				fail(fmt.Errorf("%s: %w", lines[i], err))
			}
			if round >= *warmup {
				wall[i] = append(wall[i], w)
				cpu[i] = append(cpu[i], c)
			}
		}
	}
	fmt.Printf("| command | median wall | p10 wall | median CPU | ratio (wall) | ratio (CPU) |\n|:---|---:|---:|---:|---:|---:|\n")
	refWall, refCPU := quantile(wall[0], 0.5), quantile(cpu[0], 0.5)
	for i, line := range lines {
		w, c := quantile(wall[i], 0.5), quantile(cpu[i], 0.5)
		fmt.Printf("| `%s` | %.3f ms | %.3f ms | %.3f ms | %.2f | %.2f |\n", line, ms(w), ms(quantile(wall[i], 0.1)), ms(c),
			float64(w)/float64(refWall), float64(c)/float64(refCPU))
	}
}

// run runs one command line and returns its wall and CPU (user+system) time.
func run(line string, null *os.File) (wall, cpu time.Duration, err error) {
	words := strings.Fields(line)
	var env []string
	for len(words) > 1 && strings.Contains(words[0], "=") {
		env, words = append(env, words[0]), words[1:]
	}
	cmd := exec.Command(words[0], words[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, err
	}
	wall = time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return wall, time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

func quantile(d []time.Duration, q float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "alternate:", err)
	os.Exit(1)
}
