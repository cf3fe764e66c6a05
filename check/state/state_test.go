package state

import (
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

const s = time.Second

// simChecker drives one Checker on a fake clock: healthy(t) is the
// server's health at time t. It returns the times of every check and
// of every up/down verdict ("U@t", "D@t").
func simChecker(c *Checker, first time.Duration, until time.Duration, healthy func(t time.Duration, step int) bool) (checks []time.Duration, verdicts []string) {
	for t := first; t <= until; {
		checks = append(checks, t)
		next, v, _ := c.Result(healthy(t, c.Step()))
		switch v {
		case WentUp:
			verdicts = append(verdicts, "U@"+t.String())
		case WentDown:
			verdicts = append(verdicts, "D@"+t.String())
		}
		t += next
	}
	return checks, verdicts
}

func ds(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * s
	}
	return out
}

func TestCheckerTiming(t *testing.T) {
	downAfter := func(at time.Duration) func(time.Duration, int) bool {
		return func(t time.Duration, _ int) bool { return t < at }
	}
	window := func(from, to time.Duration) func(time.Duration, int) bool {
		return func(t time.Duration, _ int) bool { return t < from || t >= to }
	}
	tests := []struct {
		name     string
		rule     string
		tm       Timing
		health   func(time.Duration, int) bool
		until    time.Duration
		checks   []time.Duration
		verdicts []string
	}{{
		name:   "retry",
		rule:   "a server goes down after retry+1 consecutive failures, spaced delay_before_retry apart",
		tm:     Timing{Retry: 2, DelayLoop: 10 * s, DelayBeforeRetry: s},
		health: downAfter(20 * s), until: 40 * s,
		// while DOWN keepalived's tcp_epilog still spaces the failures
		// delay_before_retry apart (retry_it was reset): 33, 34, 35.
		checks:   ds(1, 11, 21, 22, 23, 33, 34, 35),
		verdicts: []string{"D@23s"},
	}, {
		name:   "delay_before_retry",
		rule:   "failure while UP with retry_it < retry: check again after delay_before_retry",
		tm:     Timing{Retry: 1, DelayLoop: 10 * s, DelayBeforeRetry: 4 * s},
		health: downAfter(5 * s), until: 30 * s,
		checks:   ds(1, 11, 15, 25, 29),
		verdicts: []string{"D@15s"},
	}, {
		name:   "startup single failure",
		rule:   "at the first check the retry counter starts exhausted, one failure marks DOWN",
		tm:     Timing{Retry: 3, DelayLoop: 5 * s, DelayBeforeRetry: s},
		health: downAfter(0), until: 12 * s,
		checks:   ds(1, 6, 7, 8, 9),
		verdicts: []string{"D@1s"},
	}, {
		name:   "smtp retries at start-up",
		rule:   "check_smtp.c: retry_it restarts at every check, so start-up failures are retried too",
		tm:     Timing{Retry: 2, DelayLoop: 5 * s, DelayBeforeRetry: s, RetryEachCheck: true},
		health: downAfter(0), until: 12 * s,
		checks:   ds(1, 2, 3, 8, 9, 10),
		verdicts: []string{"D@3s"},
	}, {
		name:   "dns and misc do not retry while down",
		rule:   "check_dns.c/check_misc.c: a failure while down only waits delay_loop",
		tm:     Timing{Retry: 2, DelayLoop: 5 * s, DelayBeforeRetry: s, NoRetryWhileDown: true},
		health: downAfter(3 * s), until: 25 * s,
		checks:   ds(1, 6, 7, 8, 13, 18, 23),
		verdicts: []string{"D@8s"},
	}, {
		name:   "one success recovers, no retries while down",
		rule:   "failure while DOWN: no retries; one success brings it back UP",
		tm:     Timing{Retry: 1, DelayLoop: 5 * s, DelayBeforeRetry: s},
		health: window(5*s, 12*s), until: 20 * s,
		checks:   ds(1, 6, 7, 12, 17),
		verdicts: []string{"D@7s", "U@12s"},
	}, {
		name:   "alpha starts down",
		rule:   "alpha checkers start DOWN; the first success brings them up",
		tm:     Timing{Retry: 1, DelayLoop: 5 * s, DelayBeforeRetry: s, Alpha: true},
		health: downAfter(100 * s), until: 7 * s,
		checks:   ds(1, 6),
		verdicts: []string{"U@1s"},
	}, {
		name:   "alpha failing stays down without retries",
		rule:   "alpha checker failing at start: one failure is enough, nothing changes",
		tm:     Timing{Retry: 2, DelayLoop: 5 * s, DelayBeforeRetry: s, Alpha: true},
		health: downAfter(0), until: 12 * s,
		checks: ds(1, 6, 7, 8),
	}, {
		name: "http failed url polled, then a full pass",
		rule: "a failed URL is retried on the same URL; while DOWN only it is polled every max(dbr, delay_loop); " +
			"when it passes a full pass restarts one URL per delay_loop; up only when the whole pass succeeds",
		tm: Timing{Retry: 1, DelayLoop: 3 * s, DelayBeforeRetry: 5 * s, URLs: 2},
		health: func(t time.Duration, step int) bool {
			return step == 0 || t < 6*s || t >= 20*s
		},
		until: 32 * s,
		// 10: url1 fails, retried at 15 (dbr) → down; polled at 20
		// (max(dbr, delay_loop)) and passes; full pass 23 (url0), 26 (url1).
		checks:   ds(1, 4, 7, 10, 15, 20, 23, 26, 29, 32),
		verdicts: []string{"D@15s", "U@26s"},
	}, {
		name:   "http fast_recovery",
		rule:   "with fast_recovery the recovery pass runs back-to-back",
		tm:     Timing{Retry: 0, DelayLoop: 3 * s, DelayBeforeRetry: 3 * s, URLs: 3, FastRecovery: true},
		health: func(t time.Duration, step int) bool { return t < 9*s || t >= 15*s },
		// start-up pass is back-to-back too (has not run yet)
		until:    30 * s,
		checks:   ds(1, 1, 1, 4, 7, 10, 13, 16, 16, 16, 16, 19, 22, 25, 28),
		verdicts: []string{"D@10s", "U@16s"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewChecker(tc.tm)
			checks, verdicts := simChecker(c, tc.tm.FirstDelay(0), tc.until, tc.health)
			if !reflect.DeepEqual(checks, tc.checks) {
				t.Errorf("%s\nchecks at %v, want %v", tc.rule, checks, tc.checks)
			}
			if !reflect.DeepEqual(verdicts, tc.verdicts) {
				t.Errorf("%s\nverdicts %v, want %v", tc.rule, verdicts, tc.verdicts)
			}
		})
	}
}

func TestFirstDelayWarmup(t *testing.T) {
	// first run after 1 s + random(0 .. warmup); warmup 0 → exactly 1 s.
	for _, c := range []struct {
		warmup time.Duration
		frac   float64
		want   time.Duration
	}{{0, 0.7, s}, {10 * s, 0, s}, {10 * s, 0.5, 6 * s}, {60 * s, 0.999, s + 59940*time.Millisecond}} {
		if got := (Timing{Warmup: c.warmup}).FirstDelay(c.frac); got != c.want {
			t.Errorf("warmup %v frac %v: %v, want %v", c.warmup, c.frac, got, c.want)
		}
	}
}

func dest(a string, w uint32) ipvs.Destination {
	return ipvs.NewDestination(netip.MustParseAddrPort(a), ipvs.Masq, w)
}

func pool(inhibit bool, quorum, hyst uint32, sorry bool, sorryInhibit bool, weights ...uint32) *VS {
	cfg := VSConfig{Name: "[10.10.31.100]:tcp:80", Quorum: quorum, Hysteresis: hyst, SorryInhibit: sorryInhibit}
	if sorry {
		d := dest("192.168.31.200:80", 1)
		cfg.Sorry, cfg.SorryName = &d, "[192.168.31.200]:tcp:80"
	}
	var rss []RSConfig
	for i, w := range weights {
		ip := netip.AddrFrom4([4]byte{192, 168, 31, byte(101 + i)})
		rss = append(rss, RSConfig{
			Dest:    ipvs.NewDestination(netip.AddrPortFrom(ip, 80), ipvs.Masq, w),
			Inhibit: inhibit,
			Name:    "[" + ip.String() + "]:tcp:80",
		})
	}
	return NewVS(cfg, rss)
}

// table renders Dests as "ip:port=w" for compact comparison.
func table(v *VS) string {
	var b []string
	for _, d := range v.Dests() {
		b = append(b, d.Key().String()+"="+strconv.Itoa(int(d.Weight)))
	}
	return strings.Join(b, " ")
}

func msgs(v *VS) []string {
	var out []string
	for _, e := range v.Events() {
		out = append(out, e.Msg)
	}
	return out
}

// step is one action on a pool: checker (rs, up) or weight change.
type step struct {
	rs     int
	up     bool
	weight *int64
	table  string
	msgs   []string
}

func TestPool(t *testing.T) {
	w := func(x int64) *int64 { return &x }
	tests := []struct {
		name    string
		rule    string
		vs      func() *VS
		alpha   bool
		init    string
		initMsg []string
		steps   []step
	}{{
		name:    "inhibit_on_failure keeps weight 0",
		rule:    "DOWN action with inhibit_on_failure sets weight 0 and keeps the entry; UP restores the weight",
		vs:      func() *VS { return pool(true, 1, 0, false, false, 1, 1) },
		init:    "192.168.31.101:80=1 192.168.31.102:80=1",
		initMsg: []string{"Gained quorum 1+0=1 <= 2 for VS [10.10.31.100]:tcp:80"},
		steps: []step{
			{rs: 1, up: false, table: "192.168.31.101:80=1 192.168.31.102:80=0",
				msgs: []string{"Disabling service [192.168.31.102]:tcp:80 of VS [10.10.31.100]:tcp:80"}},
			{rs: 1, up: true, table: "192.168.31.101:80=1 192.168.31.102:80=1",
				msgs: []string{"Enabling service [192.168.31.102]:tcp:80 of VS [10.10.31.100]:tcp:80"}},
		},
	}, {
		name:    "no inhibit removes and re-adds",
		rule:    "DOWN deletes the destination; UP adds it back",
		vs:      func() *VS { return pool(false, 1, 0, false, false, 1, 1) },
		init:    "192.168.31.101:80=1 192.168.31.102:80=1",
		initMsg: []string{"Gained quorum 1+0=1 <= 2 for VS [10.10.31.100]:tcp:80"},
		steps: []step{
			{rs: 1, up: false, table: "192.168.31.101:80=1",
				msgs: []string{"Removing service [192.168.31.102]:tcp:80 from VS [10.10.31.100]:tcp:80"}},
			{rs: 1, up: true, table: "192.168.31.101:80=1 192.168.31.102:80=1",
				msgs: []string{"Adding service [192.168.31.102]:tcp:80 to VS [10.10.31.100]:tcp:80"}},
		},
	}, {
		name:    "sorry server when all down",
		rule:    "quorum lost at weight_sum 0; the sorry server is added; removed when quorum is gained",
		vs:      func() *VS { return pool(false, 1, 0, true, false, 1, 1) },
		init:    "192.168.31.101:80=1 192.168.31.102:80=1",
		initMsg: []string{"Gained quorum 1+0=1 <= 2 for VS [10.10.31.100]:tcp:80"},
		steps: []step{
			{rs: 0, up: false, table: "192.168.31.102:80=1",
				msgs: []string{"Removing service [192.168.31.101]:tcp:80 from VS [10.10.31.100]:tcp:80"}},
			{rs: 1, up: false, table: "192.168.31.200:80=1", msgs: []string{
				"Removing service [192.168.31.102]:tcp:80 from VS [10.10.31.100]:tcp:80",
				"Lost quorum 1-0=1 > 0 for VS [10.10.31.100]:tcp:80",
				"Adding sorry server [192.168.31.200]:tcp:80 to VS [10.10.31.100]:tcp:80",
				"Removing alive servers from the pool for VS [10.10.31.100]:tcp:80"}},
			{rs: 0, up: true, table: "192.168.31.101:80=1", msgs: []string{
				"Adding service [192.168.31.101]:tcp:80 to VS [10.10.31.100]:tcp:80",
				"Gained quorum 1+0=1 <= 1 for VS [10.10.31.100]:tcp:80",
				"Removing sorry server [192.168.31.200]:tcp:80 from VS [10.10.31.100]:tcp:80",
				"Adding alive servers to the pool for VS [10.10.31.100]:tcp:80"}},
		},
	}, {
		name:    "sorry_server_inhibit and inhibited real servers",
		rule:    "sorry_server_inhibit keeps the sorry server at weight 0 (installed at start-up); inhibited RS stay at 0 while it serves",
		vs:      func() *VS { return pool(true, 1, 0, true, true, 1) },
		init:    "192.168.31.101:80=1 192.168.31.200:80=0",
		initMsg: []string{"Gained quorum 1+0=1 <= 1 for VS [10.10.31.100]:tcp:80"},
		steps: []step{
			{rs: 0, up: false, table: "192.168.31.101:80=0 192.168.31.200:80=1", msgs: []string{
				"Disabling service [192.168.31.101]:tcp:80 of VS [10.10.31.100]:tcp:80",
				"Lost quorum 1-0=1 > 0 for VS [10.10.31.100]:tcp:80",
				"Enabling sorry server [192.168.31.200]:tcp:80 to VS [10.10.31.100]:tcp:80",
				"Removing alive servers from the pool for VS [10.10.31.100]:tcp:80"}},
			{rs: 0, up: true, table: "192.168.31.101:80=1 192.168.31.200:80=0", msgs: []string{
				"Enabling service [192.168.31.101]:tcp:80 of VS [10.10.31.100]:tcp:80",
				"Gained quorum 1+0=1 <= 1 for VS [10.10.31.100]:tcp:80",
				"Disabling sorry server [192.168.31.200]:tcp:80 from VS [10.10.31.100]:tcp:80",
				"Adding alive servers to the pool for VS [10.10.31.100]:tcp:80"}},
		},
	}, {
		name:    "quorum with hysteresis",
		rule:    "while UP lost when weight_sum < quorum-hysteresis (or 0); while DOWN gained when weight_sum >= quorum+hysteresis",
		vs:      func() *VS { return pool(false, 3, 1, true, false, 1, 1, 1, 1) },
		init:    "192.168.31.101:80=1 192.168.31.102:80=1 192.168.31.103:80=1 192.168.31.104:80=1",
		initMsg: []string{"Gained quorum 3+1=4 <= 4 for VS [10.10.31.100]:tcp:80"},
		steps: []step{
			{rs: 0, up: false, table: "192.168.31.102:80=1 192.168.31.103:80=1 192.168.31.104:80=1",
				msgs: []string{"Removing service [192.168.31.101]:tcp:80 from VS [10.10.31.100]:tcp:80"}},
			{rs: 1, up: false, table: "192.168.31.103:80=1 192.168.31.104:80=1",
				msgs: []string{"Removing service [192.168.31.102]:tcp:80 from VS [10.10.31.100]:tcp:80"}},
			{rs: 2, up: false, table: "192.168.31.200:80=1", msgs: []string{
				"Removing service [192.168.31.103]:tcp:80 from VS [10.10.31.100]:tcp:80",
				"Lost quorum 3-1=2 > 1 for VS [10.10.31.100]:tcp:80",
				"Adding sorry server [192.168.31.200]:tcp:80 to VS [10.10.31.100]:tcp:80",
				"Removing alive servers from the pool for VS [10.10.31.100]:tcp:80"}},
			// recorded but not applied while the sorry server serves
			{rs: 0, up: true, table: "192.168.31.200:80=1",
				msgs: []string{"Adding service [192.168.31.101]:tcp:80 to VS [10.10.31.100]:tcp:80"}},
			{rs: 1, up: true, table: "192.168.31.200:80=1",
				msgs: []string{"Adding service [192.168.31.102]:tcp:80 to VS [10.10.31.100]:tcp:80"}},
			{rs: 2, up: true, table: "192.168.31.101:80=1 192.168.31.102:80=1 192.168.31.103:80=1 192.168.31.104:80=1", msgs: []string{
				"Adding service [192.168.31.103]:tcp:80 to VS [10.10.31.100]:tcp:80",
				"Gained quorum 3+1=4 <= 4 for VS [10.10.31.100]:tcp:80",
				"Removing sorry server [192.168.31.200]:tcp:80 from VS [10.10.31.100]:tcp:80",
				"Adding alive servers to the pool for VS [10.10.31.100]:tcp:80"}},
		},
	}, {
		name: "start-up below quorum+hysteresis",
		rule: "at start-up quorum is UP only if weight_sum >= quorum + hysteresis (keepalived 2.2.7 in the VM: " +
			"`Starting with quorum down 3-1=4 > 3`); otherwise the sorry server replaces the live servers at once",
		vs:   func() *VS { return pool(false, 3, 1, true, false, 1, 1, 1) },
		init: "192.168.31.200:80=1",
		initMsg: []string{
			"Starting with quorum down 3-1=4 > 3 for VS [10.10.31.100]:tcp:80",
			"Adding sorry server [192.168.31.200]:tcp:80 to VS [10.10.31.100]:tcp:80",
			"Removing alive servers from the pool for VS [10.10.31.100]:tcp:80"},
		steps: []step{{rs: 2, up: false, table: "192.168.31.200:80=1",
			msgs: []string{"Removing service [192.168.31.103]:tcp:80 from VS [10.10.31.100]:tcp:80"}}},
	}, {
		name:  "alpha start without live servers",
		rule:  "alpha real servers are not added; with no live RS the log says Starting with quorum down and the sorry server is added at once",
		vs:    func() *VS { return pool(false, 1, 0, true, false, 1, 1) },
		alpha: true,
		init:  "192.168.31.200:80=1",
		initMsg: []string{
			"Starting with quorum down 1-0=1 > 0 for VS [10.10.31.100]:tcp:80",
			"Adding sorry server [192.168.31.200]:tcp:80 to VS [10.10.31.100]:tcp:80",
			"Removing alive servers from the pool for VS [10.10.31.100]:tcp:80"},
	}, {
		name:  "alpha with inhibit adds at weight 0",
		rule:  "with alpha and inhibit_on_failure the RS is added with weight 0 until its checkers succeed",
		vs:    func() *VS { return pool(true, 1, 0, false, false, 5) },
		alpha: true,
		init:  "192.168.31.101:80=0",
		// quorum starts down and, with no sorry server, nothing is logged
		steps: []step{{rs: 0, up: true, table: "192.168.31.101:80=5", msgs: []string{
			"Enabling service [192.168.31.101]:tcp:80 of VS [10.10.31.100]:tcp:80",
			"Gained quorum 1+0=1 <= 5 for VS [10.10.31.100]:tcp:80"}}},
	}, {
		name:    "misc_dynamic weight",
		rule:    "misc_dynamic changes the weight without changing the alive state",
		vs:      func() *VS { return pool(false, 1, 0, false, false, 1) },
		init:    "192.168.31.101:80=1",
		initMsg: []string{"Gained quorum 1+0=1 <= 1 for VS [10.10.31.100]:tcp:80"},
		steps: []step{
			{rs: 0, weight: w(10 - 1), table: "192.168.31.101:80=10",
				msgs: []string{"Changing weight from 1 to 10 for active service [192.168.31.101]:tcp:80 of VS [10.10.31.100]:tcp:80"}},
			{rs: 0, up: false, table: "",
				msgs: []string{"Removing service [192.168.31.101]:tcp:80 from VS [10.10.31.100]:tcp:80",
					"Lost quorum 1-0=1 > 0 for VS [10.10.31.100]:tcp:80"}},
			{rs: 0, weight: w(0), table: "",
				msgs: []string{"Changing weight from 10 to 1 for inactive service [192.168.31.101]:tcp:80 of VS [10.10.31.100]:tcp:80"}},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.vs()
			for i := range v.RS {
				v.AddChecker(i, !tc.alpha)
			}
			v.Init()
			if got := table(v); got != tc.init {
				t.Errorf("%s\nstart-up table %q, want %q", tc.rule, got, tc.init)
			}
			if got := msgs(v); !reflect.DeepEqual(got, tc.initMsg) {
				t.Errorf("%s\nstart-up log %q, want %q", tc.rule, got, tc.initMsg)
			}
			for i, st := range tc.steps {
				if st.weight != nil {
					v.SetCheckerWeight(st.rs, 0, *st.weight)
				} else {
					v.SetChecker(st.rs, 0, st.up)
				}
				if got := table(v); got != st.table {
					t.Errorf("%s\nstep %d: table %q, want %q", tc.rule, i, got, st.table)
				}
				if got := msgs(v); !reflect.DeepEqual(got, st.msgs) {
					t.Errorf("%s\nstep %d: log\n%q\nwant\n%q", tc.rule, i, got, st.msgs)
				}
			}
		})
	}
}

func TestSeveralCheckers(t *testing.T) {
	// alive only if every checker is up; down on the first failing
	// checker, up when the last failed one recovers.
	v := pool(false, 1, 0, false, false, 1)
	a, b := v.AddChecker(0, true), v.AddChecker(0, true)
	v.Init()
	v.Events()
	v.SetChecker(0, a, false)
	if v.RS[0].Alive {
		t.Fatal("still alive after first checker failed")
	}
	v.SetChecker(0, b, false)
	v.SetChecker(0, a, true)
	if v.RS[0].Alive || table(v) != "" {
		t.Fatalf("alive with one checker still down: %q", table(v))
	}
	v.SetChecker(0, b, true)
	if !v.RS[0].Alive || table(v) != "192.168.31.101:80=1" {
		t.Fatalf("not back after all checkers up: %q", table(v))
	}
	n := 0
	for _, m := range msgs(v) {
		if strings.Contains(m, " service [192.168.31.101]") {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d transitions logged, want 2 (one down, one up)", n)
	}
}

func TestShutdown(t *testing.T) {
	// clear_service_rs: every RS is shut down; "(inhibited) " marks
	// an inhibited RS that was down; omega makes notify_down and
	// quorum_down due.
	for _, omega := range []bool{false, true} {
		v := pool(true, 1, 0, false, false, 1, 1)
		v.AddChecker(0, true)
		v.AddChecker(1, true)
		v.Init()
		v.SetChecker(1, 0, false)
		v.Events()
		v.Shutdown(omega)
		var got []string
		notifies := 0
		for _, e := range v.Events() {
			if e.Msg != "" {
				got = append(got, e.Msg)
			}
			if e.Notify != NoNotify {
				notifies++
			}
		}
		want := []string{
			"Shutting down service [192.168.31.101]:tcp:80 from VS [10.10.31.100]:tcp:80",
			"Shutting down (inhibited) service [192.168.31.102]:tcp:80 from VS [10.10.31.100]:tcp:80",
		}
		wantN := 0
		if omega {
			wantN = 2 // notify_down of the alive RS, quorum_down
		}
		if !reflect.DeepEqual(got, want) || notifies != wantN {
			t.Errorf("omega=%v: log %q with %d notifies, want %q with %d", omega, got, notifies, want, wantN)
		}
		if len(v.Dests()) != 0 || !v.Stopped() {
			t.Errorf("omega=%v: table not empty after shutdown", omega)
		}
	}
}
