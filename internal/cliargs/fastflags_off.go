//go:build genflags

package cliargs

// Built only by go generate (-tags genflags), in place of fastflags_gen.go,
// which no longer compiles once a field it names is renamed or removed: the
// package builds without it, and the generator can write it anew. ParseFast
// leaves every command line to kong here.

const fastParseOff = true

var fastFlagTable = [...]fastFlag{}

func fastField(c *CLI, row int) any { return nil }
