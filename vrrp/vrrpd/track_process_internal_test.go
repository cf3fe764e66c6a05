package vrrpd

import (
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

func TestProcTrackerMatches(t *testing.T) {
	p := func(comm string, argv ...string) *vrrp.Proc { return &vrrp.Proc{Comm: comm, Cmdline: argv} }
	for _, tc := range []struct {
		name string
		cfg  conf.TrackProcess
		proc *vrrp.Proc
		want bool
	}{
		{"comm", conf.TrackProcess{Process: "nginx"}, p("nginx", "nginx: master"), true},
		{"comm differs", conf.TrackProcess{Process: "nginx"}, p("nginx2"), false},
		{"full command argv0", conf.TrackProcess{Process: "/usr/sbin/nginx", FullCommand: true}, p("nginx", "/usr/sbin/nginx", "-g"), true},
		{"full command not comm", conf.TrackProcess{Process: "nginx", FullCommand: true}, p("nginx", "/usr/sbin/nginx"), false},
		{"exact", conf.TrackProcess{Process: "a", Params: []string{"-x", "1"}, ParamMatch: "exact", FullCommand: true}, p("a", "a", "-x", "1"), true},
		{"exact extra", conf.TrackProcess{Process: "a", Params: []string{"-x"}, ParamMatch: "exact", FullCommand: true}, p("a", "a", "-x", "1"), false},
		{"exact none wanted", conf.TrackProcess{Process: "a", ParamMatch: "exact", FullCommand: true}, p("a", "a"), true},
		{"exact none wanted, has", conf.TrackProcess{Process: "a", ParamMatch: "exact", FullCommand: true}, p("a", "a", "x"), false},
		{"partial", conf.TrackProcess{Process: "a", Params: []string{"-x"}, ParamMatch: "partial", FullCommand: true}, p("a", "a", "-x", "1"), true},
		{"partial prefix is not enough", conf.TrackProcess{Process: "a", Params: []string{"-x"}, ParamMatch: "partial", FullCommand: true}, p("a", "a", "-xy"), false},
		{"initial last prefix", conf.TrackProcess{Process: "a", Params: []string{"-c", "/etc/ng"}, ParamMatch: "initial", FullCommand: true}, p("a", "a", "-c", "/etc/nginx.conf", "-q"), true},
		{"initial first must be whole", conf.TrackProcess{Process: "a", Params: []string{"-", "/etc"}, ParamMatch: "initial", FullCommand: true}, p("a", "a", "-c", "/etc"), false},
	} {
		tr := &procTracker{cfg: &tc.cfg}
		if got := tr.matches(tc.proc); got != tc.want {
			t.Errorf("%s: matches = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestProcTrackerObserve(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tr := &procTracker{cfg: &conf.TrackProcess{Quorum: 2, QuorumMax: 3, ForkDelay: time.Second, TerminateDelay: 2 * time.Second}}
	steps := []struct {
		n       int
		at      time.Duration
		changed bool
		up      bool
	}{
		{2, 0, false, false},                      // quorum reached: fork delay starts
		{2, 999 * time.Millisecond, false, false}, // not yet
		{3, time.Second, true, true},              // held for the delay
		{4, 2 * time.Second, false, true},         // above quorum_max: terminate delay
		{3, 3 * time.Second, false, true},         // back in range: timer reset
		{1, 4 * time.Second, false, true},
		{0, 6 * time.Second, true, false},
	}
	for i, s := range steps {
		if ch := tr.observe(s.n, t0.Add(s.at)); ch != s.changed || tr.up != s.up {
			t.Errorf("step %d (n=%d at %v): changed %v up %v, want %v %v", i, s.n, s.at, ch, tr.up, s.changed, s.up)
		}
	}
}
