// Package dbusaddr names the D-Bus address that turns the bus off. It is a
// package of its own, importing nothing, so that internal/nobuslaunch (whose
// init must run before any D-Bus code) and the keyring client can share it.
package dbusaddr

// Disabled is a D-Bus address with no transport: dialling it fails at once,
// without a socket, and without starting a bus.
const Disabled = "disabled:"
