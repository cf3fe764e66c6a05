package nft

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
)

// Fake is a Firewall that records what the kernel's sets would hold.
type Fake struct {
	mu     sync.Mutex
	Config Config
	vips   map[netip.Addr]Addr
	vmacs  map[int]int
	ops    []string
	closed bool
	// Err, if set, fails every call (nf_tables missing).
	Err error
}

// NewFake returns an opener for the runtime's Deps.Firewall and the Fake
// it hands out.
func NewFake() (*Fake, func(Config) (Firewall, error)) {
	f := &Fake{vips: map[netip.Addr]Addr{}, vmacs: map[int]int{}}
	return f, func(c Config) (Firewall, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.Config = c
		return f, nil
	}
}

func (f *Fake) op(s string) error {
	f.ops = append(f.ops, s)
	return f.Err
}

func (f *Fake) AddVIPs(as []Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.op(fmt.Sprint("add ", ips(as))); err != nil {
		return err
	}
	for _, a := range as {
		if _, dup := f.vips[a.IP]; dup {
			return fmt.Errorf("nftables: %s already in the set", a.IP)
		}
		f.vips[a.IP] = a
	}
	return nil
}

func (f *Fake) DelVIPs(as []Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.op(fmt.Sprint("del ", ips(as))); err != nil {
		return err
	}
	for _, a := range as {
		if _, ok := f.vips[a.IP]; !ok {
			return fmt.Errorf("nftables: %s not in the set", a.IP)
		}
		delete(f.vips, a.IP)
	}
	return nil
}

func (f *Fake) AddVMAC(vmac, base int, v4, v6 bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.op(fmt.Sprintf("addvmac %d>%d v4=%v v6=%v", vmac, base, v4, v6)); err != nil {
		return err
	}
	f.vmacs[vmac] = base
	return nil
}

func (f *Fake) DelVMAC(vmac, base int, v4, v6 bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.op(fmt.Sprintf("delvmac %d>%d v4=%v v6=%v", vmac, base, v4, v6)); err != nil {
		return err
	}
	delete(f.vmacs, vmac)
	return nil
}

func (f *Fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	clear(f.vips)
	clear(f.vmacs)
	return f.op("close")
}

// Dropped is the sorted content of the drop sets.
func (f *Fake) Dropped() []Addr {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Addr
	for _, a := range f.vips {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Addr) int { return a.IP.Compare(b.IP) })
	return out
}

// VMACs maps each VMAC ifindex with an IGMP rule to its base.
func (f *Fake) VMACs() map[int]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[int]int{}
	for k, v := range f.vmacs {
		m[k] = v
	}
	return m
}

// Ops are the calls made, in order; Closed tells whether Close was.
func (f *Fake) Ops() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ops)
}

func (f *Fake) Closed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

func ips(as []Addr) []string {
	var s []string
	for _, a := range as {
		s = append(s, a.IP.String())
	}
	return s
}
