package ipvs

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
)

const famID = 0x24

// hx decodes hex with spaces and '|' separators ignored. Golden bytes
// below are written by hand from include/uapi/linux/ip_vs.h, not produced
// by our encoder.
func hx(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "", "|", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex: %v", err)
	}
	return b
}

func littleEndian(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("golden bytes are little-endian")
	}
}

type capture struct {
	cmd   uint8
	ver   uint8
	flags netlink.HeaderFlags
	typ   netlink.HeaderType
	data  []byte
	calls int
}

// testConn returns a Conn over a fake kernel that records the request and
// answers with reply / err.
func testConn(t *testing.T, reply []genetlink.Message, rerr error) (*Conn, *capture) {
	t.Helper()
	cp := &capture{}
	fn := func(g genetlink.Message, n netlink.Message) ([]genetlink.Message, error) {
		cp.calls++
		cp.cmd, cp.ver, cp.flags, cp.typ = g.Header.Command, g.Header.Version, n.Header.Flags, n.Header.Type
		cp.data = append([]byte(nil), g.Data...)
		if rerr != nil {
			return nil, rerr
		}
		if reply == nil {
			return nil, io.EOF // empty dump / bare ack
		}
		return reply, nil
	}
	c, err := NewConn(genltest.Dial(genltest.ServeFamily(genetlink.Family{ID: famID, Version: 1, Name: "IPVS"}, fn)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, cp
}

func (cp *capture) check(t *testing.T, cmd uint8, flags netlink.HeaderFlags, want []byte) {
	t.Helper()
	if cp.calls != 1 {
		t.Fatalf("kernel saw %d requests, want 1", cp.calls)
	}
	if cp.cmd != cmd || cp.ver != 1 {
		t.Errorf("command %d version %d, want %d version 1", cp.cmd, cp.ver, cmd)
	}
	if cp.typ != famID {
		t.Errorf("netlink type %#x, want family %#x", cp.typ, famID)
	}
	if cp.flags != flags {
		t.Errorf("flags %v, want %v", cp.flags, flags)
	}
	if !bytes.Equal(cp.data, want) {
		t.Errorf("request attributes\n got %x\nwant %x", cp.data, want)
	}
}

var (
	ack  = netlink.Request | netlink.Acknowledge
	dump = netlink.Request | netlink.Dump
)

func TestGoldenRequests(t *testing.T) {
	littleEndian(t)
	v4svc := Service{
		ServiceKey: NewServiceKey(TCP, netip.MustParseAddrPort("10.10.31.100:80")),
		Scheduler:  "lc", Flags: SvcPersistent, Timeout: 360, Netmask: 24, PE: "sip",
	}
	v4svcAttrs := `50000100
		06000100 02000000 | 06000200 06000000 | 08000300 0a0a1f64 | 06000400 00500000
		07000600 6c630000 | 08000b00 73697000 | 0c000700 01000000 ffffffff
		08000800 68010000 | 08000900 ffffff00`
	v6key := NewServiceKey(TCP, netip.MustParseAddrPort("[2001:db8::1]:443"))
	v6keyAttrs := `30000100
		06000100 0a000000 | 06000200 06000000
		14000300 20010db8 00000000 00000000 00000001 | 06000400 01bb0000`
	fwm := FWMarkKey(IPv4, 7)
	fwmAttrs := `14000100 06000100 02000000 | 08000500 07000000`

	tests := []struct {
		name  string
		call  func(c *Conn) error
		cmd   uint8
		flags netlink.HeaderFlags
		want  string
	}{
		{"new-service v4 persistent mask pe", func(c *Conn) error { return c.NewService(v4svc) },
			cmdNewService, ack, v4svcAttrs},
		{"set-service v6 sh flags /64", func(c *Conn) error {
			return c.SetService(Service{ServiceKey: v6key, Scheduler: "sh", Flags: SvcSHFallback | SvcSHPort | SvcHashed, Netmask: 64})
		}, cmdSetService, ack, `54000100
			06000100 0a000000 | 06000200 06000000
			14000300 20010db8 00000000 00000000 00000001 | 06000400 01bb0000
			07000600 73680000 | 0c000700 18000000 ffffffff
			08000800 00000000 | 08000900 40000000`},
		{"new-service fwmark v6 default netmask", func(c *Conn) error {
			return c.NewService(Service{ServiceKey: FWMarkKey(IPv6, 0x102), Scheduler: "wlc"})
		}, cmdNewService, ack, `38000100
			06000100 0a000000 | 08000500 02010000
			08000600 776c6300 | 0c000700 00000000 ffffffff
			08000800 00000000 | 08000900 80000000`},
		{"del-service", func(c *Conn) error { return c.DelService(v4svc.ServiceKey) },
			cmdDelService, ack, `24000100
			06000100 02000000 | 06000200 06000000 | 08000300 0a0a1f64 | 06000400 00500000`},
		{"new-dest v4 behind v6 gue csum max weight", func(c *Conn) error {
			return c.NewDestination(v6key, Destination{
				Addr: netip.MustParseAddr("192.0.2.1"), Port: 443, Fwd: Tunnel, Weight: MaxWeight,
				UpperThreshold: 100, LowerThreshold: 10, TunnelType: TunGUE, TunnelPort: 6080, TunnelFlags: TunCsum,
			})
		}, cmdNewDest, ack, v6keyAttrs + `54000200
			08000100 c0000201 | 06000200 01bb0000 | 06000b00 02000000
			08000300 02000000 | 08000400 ffffff7f | 08000500 64000000 | 08000600 0a000000
			05000d00 01000000 | 06000e00 17c00000 | 06000f00 01000000`},
		{"set-dest route weight 0", func(c *Conn) error {
			return c.SetDestination(fwm, Destination{Addr: netip.MustParseAddr("10.0.0.2"), Fwd: Route})
		}, cmdSetDest, ack, fwmAttrs + `54000200
			08000100 0a000002 | 06000200 00000000 | 06000b00 02000000
			08000300 03000000 | 08000400 00000000 | 08000500 00000000 | 08000600 00000000
			05000d00 00000000 | 06000e00 00000000 | 06000f00 00000000`},
		{"del-dest fwmark", func(c *Conn) error {
			return c.DelDestination(fwm, DestKey{Addr: netip.MustParseAddr("10.0.0.2")})
		}, cmdDelDest, ack, fwmAttrs + `1c000200
			08000100 0a000002 | 06000200 00000000 | 06000b00 02000000`},
		{"new-daemon master full", func(c *Conn) error {
			return c.NewSyncDaemon(SyncDaemon{State: SyncMaster, Interface: "eth0", SyncID: 51, MaxLen: 1472,
				Group: netip.MustParseAddr("224.0.0.81"), Port: 8848, TTL: 2})
		}, cmdNewDaemon, ack, `40000300
			08000100 01000000 | 09000200 65746830 00000000 | 08000300 33000000
			06000400 c0050000 | 08000500 e0000051 | 06000700 90220000 | 05000800 02000000`},
		{"new-daemon backup v6 group", func(c *Conn) error {
			return c.NewSyncDaemon(SyncDaemon{State: SyncBackup, Interface: "eth1", Group: netip.MustParseAddr("ff02::81")})
		}, cmdNewDaemon, ack, `34000300
			08000100 02000000 | 09000200 65746831 00000000 | 08000300 00000000
			14000600 ff020000 00000000 00000000 00000081`},
		{"del-daemon backup", func(c *Conn) error { return c.DelSyncDaemon(SyncBackup) },
			cmdDelDaemon, ack, `0c000300 08000100 02000000`},
		{"set-timeouts", func(c *Conn) error { return c.SetTimeouts(Timeouts{TCP: 900, TCPFin: 120, UDP: 300}) },
			cmdSetConfig, ack, `08000400 84030000 | 08000500 78000000 | 08000600 2c010000`},
		{"set-timeouts udp only", func(c *Conn) error { return c.SetTimeouts(Timeouts{UDP: 60}) },
			cmdSetConfig, ack, `08000600 3c000000`},
		{"flush", func(c *Conn) error { return c.Flush() }, cmdFlush, ack, ``},
		{"list-services", func(c *Conn) error { _, err := c.Services(); return err }, cmdGetService, dump, ``},
		{"list-dests", func(c *Conn) error { _, err := c.Destinations(fwm); return err }, cmdGetDest, dump, fwmAttrs},
		{"list-daemons", func(c *Conn) error { _, err := c.SyncDaemons(); return err }, cmdGetDaemon, dump, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, cp := testConn(t, nil, nil)
			if err := tc.call(c); err != nil {
				t.Fatal(err)
			}
			cp.check(t, tc.cmd, tc.flags, hx(t, tc.want))
		})
	}
}

// tlv is an independent netlink attribute builder for canned kernel
// replies: little-endian length and type, payload, padding to 4.
func tlv(typ uint16, parts ...[]byte) []byte {
	var p []byte
	for _, x := range parts {
		p = append(p, x...)
	}
	b := binary.LittleEndian.AppendUint16(nil, uint16(4+len(p)))
	b = binary.LittleEndian.AppendUint16(b, typ)
	b = append(b, p...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
func bep(v uint16) []byte  { return binary.BigEndian.AppendUint16(nil, v) }
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func gm(cmd uint8, data ...[]byte) genetlink.Message {
	return genetlink.Message{Header: genetlink.Header{Command: cmd, Version: 1}, Data: cat(data...)}
}

func addr16(s string) []byte { a := netip.MustParseAddr(s).As16(); return a[:] }

// v4union is an IPv4 address in the kernel's 16-byte nf_inet_addr.
func v4union(s string) []byte {
	a := netip.MustParseAddr(s).As4()
	return append(a[:], make([]byte, 12)...)
}

func TestParseServicesDump(t *testing.T) {
	littleEndian(t)
	// A TCP service as the kernel dumps it: 16-byte address union, HASHED
	// flag, full netmask, 32-bit STATS with a PAD attribute and STATS64
	// whose counters exceed 32 bits.
	stats32 := tlv(svcAttrStats, tlv(1, le32(5)), tlv(2, le32(6)), tlv(3, le32(7)), tlv(11),
		tlv(4, le64(8)), tlv(5, le64(9)), tlv(6, le32(1)))
	stats64 := tlv(svcAttrStats64, tlv(1, le64(1<<32)), tlv(2, le64(6)), tlv(3, le64(7)), tlv(4, le64(8)),
		tlv(5, le64(9)), tlv(6, le64(1)), tlv(7, le64(2)), tlv(8, le64(3)), tlv(9, le64(4)), tlv(10, le64(5)))
	msgs := []genetlink.Message{
		gm(cmdNewService, tlv(cmdAttrService,
			tlv(1, le16(2)), tlv(2, le16(6)), tlv(3, v4union("10.10.31.100")), tlv(4, bep(80)),
			tlv(6, []byte("lc\x00")), tlv(7, le32(3), le32(0xffffffff)), tlv(8, le32(360)),
			tlv(9, []byte{255, 255, 255, 255}), stats32, stats64)),
		// IPv6 fwmark service, /64 granularity, PE, no stats; the kernel
		// sends no protocol for fwmark services but tolerate one.
		gm(cmdNewService, tlv(cmdAttrService,
			tlv(1, le16(10)), tlv(5, le32(0x102)), tlv(2, le16(6)), tlv(6, []byte("sh\x00")),
			tlv(11, []byte("sip\x00")), tlv(7, le32(0x19), le32(0xffffffff)), tlv(9, le32(64)))),
	}
	c, cp := testConn(t, msgs, nil)
	got, err := c.Services()
	if err != nil {
		t.Fatal(err)
	}
	cp.check(t, cmdGetService, dump, nil)
	want := []ServiceEntry{
		{Service: Service{ServiceKey: NewServiceKey(TCP, netip.MustParseAddrPort("10.10.31.100:80")),
			Scheduler: "lc", Flags: SvcPersistent, Timeout: 360},
			Stats: Stats{Conns: 1 << 32, InPkts: 6, OutPkts: 7, InBytes: 8, OutBytes: 9, CPS: 1, InPPS: 2, OutPPS: 3, InBPS: 4, OutBPS: 5}},
		{Service: Service{ServiceKey: FWMarkKey(IPv6, 0x102), Scheduler: "sh",
			Flags: SvcPersistent | SvcSHFallback | SvcSHPort, Netmask: 64, PE: "sip"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d services, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("service %d\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestParseServiceStats32Fallback(t *testing.T) {
	littleEndian(t)
	// Old kernels have no STATS64: fall back to STATS.
	b := cat(tlv(1, le16(2)), tlv(2, le16(17)), tlv(3, []byte{10, 0, 0, 1}), tlv(4, bep(53)),
		tlv(6, []byte("rr\x00")), tlv(7, le32(0), le32(0xffffffff)), tlv(8, le32(0)),
		tlv(9, []byte{255, 255, 0, 0}), tlv(svcAttrStats, tlv(1, le32(42)), tlv(4, le64(1<<32))))
	e, err := decodeService(b)
	if err != nil {
		t.Fatal(err)
	}
	want := ServiceEntry{Service: Service{ServiceKey: NewServiceKey(UDP, netip.MustParseAddrPort("10.0.0.1:53")),
		Scheduler: "rr", Netmask: 16}, Stats: Stats{Conns: 42, InBytes: 1 << 32}}
	if e != want {
		t.Fatalf("got %+v\nwant %+v", e, want)
	}
}

func TestParseDestsDump(t *testing.T) {
	littleEndian(t)
	msgs := []genetlink.Message{
		gm(cmdNewDest, tlv(cmdAttrDest,
			tlv(1, v4union("192.168.31.101")), tlv(2, bep(80)), tlv(3, le32(0)), tlv(4, le32(1)),
			tlv(13, []byte{0}), tlv(14, bep(0)), tlv(15, le16(0)), tlv(5, le32(0)), tlv(6, le32(0)),
			tlv(7, le32(3)), tlv(8, le32(4)), tlv(9, le32(5)), tlv(11, le16(2)),
			tlv(destAttrStats, tlv(1, le32(1))),
			tlv(destAttrStats64, tlv(1, le64(0x1ffffffff)), tlv(4, le64(42))))),
		// v4 real server behind a v6 service, GUE tunnel: family comes
		// from ADDR_FAMILY, not from the service.
		gm(cmdNewDest, tlv(cmdAttrDest,
			tlv(1, v4union("192.0.2.1")), tlv(2, bep(443)), tlv(3, le32(2|0x100)), tlv(4, le32(MaxWeight)),
			tlv(13, []byte{1}), tlv(14, bep(6080)), tlv(15, le16(2)), tlv(5, le32(100)), tlv(6, le32(10)),
			tlv(11, le16(2)))),
		// Kernel < 3.18: no ADDR_FAMILY, use the service's.
		gm(cmdNewDest, tlv(cmdAttrDest,
			tlv(1, addr16("2001:db8::10")), tlv(2, bep(443)), tlv(3, le32(3)), tlv(4, le32(5)))),
	}
	c, cp := testConn(t, msgs, nil)
	k := NewServiceKey(TCP, netip.MustParseAddrPort("[2001:db8::1]:443"))
	got, err := c.Destinations(k)
	if err != nil {
		t.Fatal(err)
	}
	cp.check(t, cmdGetDest, dump, hx(t, `30000100
		06000100 0a000000 | 06000200 06000000
		14000300 20010db8 00000000 00000000 00000001 | 06000400 01bb0000`))
	want := []DestinationEntry{
		{Destination: Destination{Addr: netip.MustParseAddr("192.168.31.101"), Port: 80, Fwd: Masq, Weight: 1},
			ActiveConns: 3, InactConns: 4, PersistConns: 5, Stats: Stats{Conns: 0x1ffffffff, InBytes: 42}},
		{Destination: Destination{Addr: netip.MustParseAddr("192.0.2.1"), Port: 443, Fwd: Tunnel, Weight: MaxWeight,
			UpperThreshold: 100, LowerThreshold: 10, TunnelType: TunGUE, TunnelPort: 6080, TunnelFlags: TunRemCsum}},
		{Destination: Destination{Addr: netip.MustParseAddr("2001:db8::10"), Port: 443, Fwd: Route, Weight: 5}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d dests", len(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("dest %d\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestParseInfoTimeoutsDaemons(t *testing.T) {
	littleEndian(t)
	c, cp := testConn(t, []genetlink.Message{gm(cmdSetInfo, tlv(1, le32(0x010201)), tlv(2, le32(4096)))}, nil)
	info, err := c.Info()
	if err != nil {
		t.Fatal(err)
	}
	cp.check(t, cmdGetInfo, netlink.Request, nil)
	if info.VersionString() != "1.2.1" || info.ConnTabSize != 4096 {
		t.Errorf("info %+v (%s)", info, info.VersionString())
	}

	c, cp = testConn(t, []genetlink.Message{gm(cmdSetConfig, tlv(4, le32(900)), tlv(5, le32(120)), tlv(6, le32(300)))}, nil)
	to, err := c.Timeouts()
	if err != nil {
		t.Fatal(err)
	}
	cp.check(t, cmdGetConfig, netlink.Request, nil)
	if to != (Timeouts{TCP: 900, TCPFin: 120, UDP: 300}) {
		t.Errorf("timeouts %+v", to)
	}

	c, _ = testConn(t, []genetlink.Message{
		gm(cmdNewDaemon, tlv(cmdAttrDaemon, tlv(1, le32(1)), tlv(2, []byte("eth0\x00")), tlv(3, le32(51)),
			tlv(4, le16(1472)), tlv(7, le16(8848)), tlv(8, []byte{1}), tlv(5, []byte{224, 0, 0, 81}))),
		gm(cmdNewDaemon, tlv(cmdAttrDaemon, tlv(1, le32(2)), tlv(2, []byte("eth1\x00")), tlv(3, le32(5)),
			tlv(4, le16(1472)), tlv(7, le16(8848)), tlv(8, []byte{1}), tlv(6, addr16("ff02::81")))),
	}, nil)
	ds, err := c.SyncDaemons()
	if err != nil {
		t.Fatal(err)
	}
	want := []SyncDaemon{
		{State: SyncMaster, Interface: "eth0", SyncID: 51, MaxLen: 1472, Group: netip.MustParseAddr("224.0.0.81"), Port: 8848, TTL: 1},
		{State: SyncBackup, Interface: "eth1", SyncID: 5, MaxLen: 1472, Group: netip.MustParseAddr("ff02::81"), Port: 8848, TTL: 1},
	}
	if len(ds) != 2 || ds[0] != want[0] || ds[1] != want[1] {
		t.Fatalf("daemons %+v\nwant %+v", ds, want)
	}
}

func TestGetService(t *testing.T) {
	littleEndian(t)
	c, cp := testConn(t, []genetlink.Message{gm(cmdNewService, tlv(cmdAttrService, tlv(1, le16(2)), tlv(5, le32(7)),
		tlv(6, []byte("rr\x00")), tlv(7, le32(2), le32(0xffffffff)), tlv(8, le32(0)), tlv(9, le32(0xffffffff))))}, nil)
	s, err := c.Service(FWMarkKey(IPv4, 7))
	if err != nil {
		t.Fatal(err)
	}
	cp.check(t, cmdGetService, netlink.Request, hx(t, `14000100 06000100 02000000 | 08000500 07000000`))
	if s.Service != (Service{ServiceKey: FWMarkKey(IPv4, 7), Scheduler: "rr"}) {
		t.Errorf("got %+v", s)
	}
}

func TestEmptyDumpsAreEmptyNotErrors(t *testing.T) {
	c, _ := testConn(t, nil, nil)
	s, err := c.Services()
	if err != nil || len(s) != 0 || s == nil {
		t.Errorf("Services() = %v, %v; want empty non-nil slice, nil", s, err)
	}
	d, err := c.Destinations(FWMarkKey(IPv4, 1))
	if err != nil || len(d) != 0 {
		t.Errorf("Destinations() = %v, %v", d, err)
	}
}

func TestKernelErrorsAreTyped(t *testing.T) {
	for _, tc := range []struct {
		errno    syscall.Errno
		exist    bool
		notExist bool
	}{
		{syscall.EEXIST, true, false},
		{syscall.ESRCH, false, true},
		{syscall.ENOENT, false, true},
		{syscall.EINVAL, false, false},
	} {
		c, _ := testConn(t, nil, genltest.Error(int(tc.errno)))
		err := c.NewService(Service{ServiceKey: FWMarkKey(IPv4, 1), Scheduler: "rr"})
		var oe *OpError
		if !errors.As(err, &oe) || oe.Op != "new-service" || oe.Obj != "FWM 1 inet" {
			t.Fatalf("%v: got %#v, want *OpError for new-service", tc.errno, err)
		}
		if !errors.Is(err, tc.errno) || IsExist(err) != tc.exist || IsNotExist(err) != tc.notExist {
			t.Errorf("%v: errors.Is=%v IsExist=%v IsNotExist=%v", tc.errno, errors.Is(err, tc.errno), IsExist(err), IsNotExist(err))
		}
	}
}

func TestInvalidRequestsNeverReachKernel(t *testing.T) {
	c, cp := testConn(t, nil, nil)
	bad := []func() error{
		func() error { return c.NewService(Service{ServiceKey: FWMarkKey(IPv4, 1)}) }, // no scheduler
		func() error {
			return c.NewService(Service{ServiceKey: FWMarkKey(IPv4, 1), Scheduler: "0123456789abcdef"})
		},
		func() error {
			return c.NewService(Service{ServiceKey: ServiceKey{Family: IPv6, Protocol: TCP, Addr: netip.MustParseAddr("10.0.0.1")}, Scheduler: "rr"})
		},
		func() error {
			return c.NewService(Service{ServiceKey: FWMarkKey(IPv4, 1), Scheduler: "rr", Netmask: 33})
		},
		func() error {
			return c.NewService(Service{ServiceKey: ServiceKey{Family: IPv4, Protocol: 99, Addr: netip.MustParseAddr("10.0.0.1")}, Scheduler: "rr"})
		},
		func() error { return c.DelService(ServiceKey{}) },
		func() error { return c.NewDestination(FWMarkKey(IPv4, 1), Destination{}) },
		func() error { return c.NewSyncDaemon(SyncDaemon{State: 3, Interface: "eth0"}) },
		func() error { return c.NewSyncDaemon(SyncDaemon{State: SyncMaster}) },
		func() error {
			return c.NewSyncDaemon(SyncDaemon{State: SyncMaster, Interface: "eth0", Group: netip.MustParseAddr("10.0.0.1")})
		},
	}
	for i, f := range bad {
		if err := f(); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	if cp.calls != 0 {
		t.Errorf("kernel saw %d requests for invalid input", cp.calls)
	}
}

func TestOpenWithoutIPVSFamily(t *testing.T) {
	fn := func(g genetlink.Message, n netlink.Message) ([]genetlink.Message, error) {
		return nil, genltest.Error(int(syscall.ENOENT)) // nlctrl: no such family
	}
	c, err := NewConn(genltest.Dial(fn))
	if c != nil || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("newConn = %v, %v; want nil, ErrUnavailable", c, err)
	}
	fn = func(g genetlink.Message, n netlink.Message) ([]genetlink.Message, error) {
		return nil, genltest.Error(int(syscall.EPERM))
	}
	if _, err := NewConn(genltest.Dial(fn)); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("EPERM must not be reported as unavailable: %v", err)
	}
}

// On this kernel (or any without ip_vs) Open must fail with ErrUnavailable,
// in the current namespace and via an explicit namespace path.
func TestOpenRealKernel(t *testing.T) {
	for _, ns := range []string{"", "/proc/self/ns/net"} {
		c, err := Open(Options{NetNS: ns})
		if err == nil {
			c.Close()
			t.Skip("kernel has IPVS; covered by the VM suite")
		}
		if ns != "" && (errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EPERM)) {
			t.Skipf("no permission to setns: %v", err)
		}
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Open(%q) = %v; want ErrUnavailable", ns, err)
		}
	}
	if _, err := Open(Options{NetNS: "gokeepalived-no-such-ns"}); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("missing namespace: %v", err)
	}
}
