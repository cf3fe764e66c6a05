package bfd

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
)

type noListen struct{ Transport }

func (noListen) Listen(int) (Receiver, error) { return nil, errors.New("address already in use") }

// TestSubsystemPortTaken: a listening port in use leaves BFD off with
// keepalived's lines, and the start does not fail (VRRP and the checker
// run without it).
func TestSubsystemPortTaken(t *testing.T) {
	l, buf := testLog()
	b := NewSubsystem(l, NewHub(), noListen{})
	cfg := &conf.Config{BFDInstances: []*conf.BFDInstance{{Name: "x", NeighborIP: netip.MustParseAddr("10.0.0.2"),
		MinRx: 10 * time.Millisecond, MinTx: 10 * time.Millisecond, IdleTx: time.Second, Multiplier: 5, VRRP: true}}}
	if err := b.Start(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if err := b.Reload(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if err := b.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Unable to open listening socket") {
		t.Fatalf("log:\n%s", buf)
	}
}

// TestSubsystemRuns: the subsystem on the fake network: Start, Reload,
// the data dump, Stop.
func TestSubsystemRuns(t *testing.T) {
	n := NewFakeNet()
	l, _ := testLog()
	hub := NewHub()
	b := NewSubsystem(l, hub, n.Host(netip.MustParseAddr("10.0.0.1")))
	cfg := &conf.Config{BFDInstances: []*conf.BFDInstance{{Name: "x", NeighborIP: netip.MustParseAddr("10.0.0.2"),
		MinRx: 10 * time.Millisecond, MinTx: 10 * time.Millisecond, IdleTx: time.Second, Multiplier: 5, TTL: 255, VRRP: true}}}
	if err := b.Start(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if up, known := hub.VRRP.State("x"); !known || up {
		t.Fatalf("no initial Down: %v %v", up, known)
	}
	if err := b.Reload(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	b.WriteData(&sb)
	if !strings.Contains(sb.String(), " BFD Instance = x\n   Neighbor IP = 10.0.0.2\n") || !strings.Contains(sb.String(), "local state = Down") {
		t.Errorf("data dump:\n%s", sb.String())
	}
	if err := b.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
