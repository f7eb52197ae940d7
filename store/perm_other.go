//go:build !unix

package store

import "io/fs"

// permissionsApply: Windows has ACLs, not Unix modes; the profile directory
// is private to the user by default.
const permissionsApply = false

func ownedByMe(fs.FileInfo) bool { return true }

func privateGroup(fs.FileInfo) bool { return false }
