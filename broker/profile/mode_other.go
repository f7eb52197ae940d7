//go:build !unix

package profile

// secretModeMatters: Windows protects the profile directory with ACLs.
const secretModeMatters = false
