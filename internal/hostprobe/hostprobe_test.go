package hostprobe

import (
	"testing"

	"github.com/gokeepalived/gokeepalived/conf"
)

// Every host has a loopback: a plain device with 127.0.0.1.
func TestLoopback(t *testing.T) {
	o := Options(conf.Options{ConfigID: "x"})
	if o.ConfigID != "x" || !o.InterfaceExists("lo") || o.InterfaceExists("no-such-if0") {
		t.Errorf("InterfaceExists or the options given were lost")
	}
	if a, ok := o.InterfaceAddr("lo", 4); !ok || a.String() != "127.0.0.1" {
		t.Errorf("InterfaceAddr(lo, 4) = %v, %v", a, ok)
	}
	if k, ok := o.LinkKind("lo"); !ok || k != "" {
		t.Errorf("LinkKind(lo) = %q, %v", k, ok)
	}
	if !o.HostResolves("localhost") {
		t.Error("localhost does not resolve")
	}
}
