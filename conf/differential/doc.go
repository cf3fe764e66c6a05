// Package differential holds only tests: a generator that derives
// configs from keepalived's samples and keyword table by mutation, and a
// test that compares gokeepalived's config test with keepalived 2.2.7's
// on each (go test -run Differential ./conf/differential).
package differential
