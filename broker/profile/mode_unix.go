//go:build unix

package profile

// secretModeMatters: Unix modes say who can read the config file.
const secretModeMatters = true
