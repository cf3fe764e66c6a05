// Package e2e holds the VRRP integration tests: gokeepalived runtimes (and
// Debian's keepalived) in network namespaces the tests create, as root.
package e2e
