//go:build unix

package broker

// secretModeMatters: Unix modes say who can read the config file.
const secretModeMatters = true
