//go:build !unix

package broker

// secretModeMatters: Windows protects the profile directory with ACLs.
const secretModeMatters = false
