// Package e2e holds the VRRP integration tests, as root: nodes of the
// gokeepalived binary (TestMain builds ./cmd/gokeepalived once per run, or
// GOKEEPALIVED_BIN names one) and of Debian's keepalived, each started the
// same way inside a network namespace the test creates.
package e2e
