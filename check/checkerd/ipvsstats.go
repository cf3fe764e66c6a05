package checkerd

import (
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/internal/metrics"
)

// ipvsStatsTTL is how long one dump of the kernel's counters serves
// scrapes: a scrape storm costs at most one dump a second.
const ipvsStatsTTL = time.Second

// ipvsStatsCache is the last dump of the table with its counters.
type ipvsStatsCache struct {
	mu  sync.Mutex // held through a dump: concurrent scrapes share it
	at  time.Time
	tab []metrics.IPVSService
	err error
}

// IPVSTable dumps the kernel's IPVS table with its counters for
// /metrics (every service, ours or not, as ipvsadm -Ln --stats shows
// it), cached for ipvsStatsTTL. Nil before Start.
func (c *Checker) IPVSTable() ([]metrics.IPVSService, error) {
	c.syncMu.Lock()
	conn, eng := c.conn, c.eng
	c.syncMu.Unlock()
	if eng == nil {
		return nil, nil
	}
	st := &c.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.at.IsZero() && time.Since(st.at) < ipvsStatsTTL {
		return st.tab, st.err
	}
	st.tab, st.err = dumpStats(conn)
	st.at = time.Now()
	return st.tab, st.err
}

func dumpStats(conn Handle) ([]metrics.IPVSService, error) {
	svcs, err := conn.Services()
	if err != nil {
		return nil, err
	}
	out := make([]metrics.IPVSService, 0, len(svcs))
	for _, s := range svcs {
		ds, err := conn.Destinations(s.ServiceKey)
		if err != nil {
			return nil, err
		}
		out = append(out, metrics.IPVSService{ServiceEntry: s, Dests: ds})
	}
	return out, nil
}
