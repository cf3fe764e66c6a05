package snmp

import (
	"bufio"
	"encoding/binary"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/conf"
	"github.com/gokeepalived/gokeepalived/internal/metrics"
	"github.com/gokeepalived/gokeepalived/internal/snmp/agentx"
)

// fakeMaster is the master's side of one AgentX session.
type fakeMaster struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func (m *fakeMaster) read() *agentx.PDU {
	m.t.Helper()
	m.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	p, err := agentx.ReadPDU(m.r)
	if err != nil {
		m.t.Fatal(err)
	}
	return p
}

func (m *fakeMaster) write(b []byte) {
	m.t.Helper()
	if _, err := m.c.Write(b); err != nil {
		m.t.Fatal(err)
	}
}

func (m *fakeMaster) send(p *agentx.PDU) {
	m.t.Helper()
	b, err := p.Encode()
	if err != nil {
		m.t.Fatal(err)
	}
	m.write(b)
}

// respond answers the subagent's next request (Open, Register) with
// session 42, and returns it.
func (m *fakeMaster) respond(typ uint8) *agentx.PDU {
	m.t.Helper()
	for {
		p := m.read()
		if p.Type == agentx.TypeNotify || p.Type == agentx.TypePing {
			m.send(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeResponse, SessionID: 42, PacketID: p.PacketID}})
			continue
		}
		if p.Type != typ {
			m.t.Fatalf("got PDU type %d, want %d", p.Type, typ)
		}
		m.send(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeResponse, SessionID: 42, PacketID: p.PacketID}})
		return p
	}
}

// answer reads PDUs until the response to packet id.
func (m *fakeMaster) answer(id uint32) *agentx.PDU {
	m.t.Helper()
	for {
		p := m.read()
		if p.Type == agentx.TypeResponse && p.PacketID == id {
			return p
		}
	}
}

// TestAgentAgainstFakeMaster: the session set-up, a request answered,
// a malformed PDU dropped and counted with the session kept, a SET
// refused, and a new session after the master closes the connection.
func TestAgentAgainstFakeMaster(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "master")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := load(t, checkerConf)
	a := Start(Options{Log: slog.New(slog.DiscardHandler), Socket: sock, Which: WhichOf(&cfg.Global),
		Source: func(bool) (*conf.Config, metrics.Snapshot) { return cfg, metrics.Snapshot{} }})
	defer a.Stop()

	session := func() *fakeMaster {
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		m := &fakeMaster{t: t, c: c, r: bufio.NewReader(c)}
		open := m.respond(agentx.TypeOpen)
		if agentx.Compare(open.ID, KeepalivedOID) != 0 {
			t.Errorf("open id %s", open.ID)
		}
		for _, want := range subtrees(WhichOf(&cfg.Global)) {
			if reg := m.respond(agentx.TypeRegister); agentx.Compare(reg.Subtree, want) != 0 || reg.SessionID != 42 {
				t.Errorf("register %s (session %d), want %s", reg.Subtree, reg.SessionID, want)
			}
		}
		return m
	}
	m := session()

	// A Get-PDU whose OID claims 200 sub-identifiers in 4 bytes.
	bad := make([]byte, 24)
	bad[0], bad[1], bad[2] = 1, agentx.TypeGet, agentx.FlagNetworkByteOrder
	binary.BigEndian.PutUint32(bad[16:], 4)
	bad[20] = 200
	m.write(bad)
	m.send(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeGet, SessionID: 42, PacketID: 7},
		Ranges: []agentx.SearchRange{{Start: globalOID.Append(2, 0)}}})
	r := m.answer(7)
	if len(r.VarBinds) != 1 || string(r.VarBinds[0].Value.([]byte)) != "rs-test" {
		t.Errorf("get: %+v", r.VarBinds)
	}
	if a.Malformed() != 1 {
		t.Errorf("malformed count %d", a.Malformed())
	}
	m.send(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeTestSet, SessionID: 42, PacketID: 8},
		VarBinds: []agentx.VarBind{{Type: agentx.Integer, Name: globalOID.Append(4, 0), Value: int32(2)}}})
	if r := m.answer(8); r.Error != agentx.ErrNotWritable {
		t.Errorf("set: error %d", r.Error)
	}
	m.c.Close()
	m = session() // connects again after 1 s
	m.send(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeGetNext, SessionID: 42, PacketID: 9},
		Ranges: []agentx.SearchRange{{Start: KeepalivedOID}}})
	if r := m.answer(9); len(r.VarBinds) != 1 || agentx.Compare(r.VarBinds[0].Name, globalOID.Append(1, 0)) != 0 {
		t.Errorf("getnext: %+v", r.VarBinds)
	}
	go func() { // the Close-PDU at Stop
		for {
			if _, err := agentx.ReadPDU(m.r); err != nil {
				return
			}
		}
	}()
}

func TestDialAddr(t *testing.T) {
	for in, want := range map[string]string{
		"unix:/var/agentx/master": "unix /var/agentx/master",
		"/run/agentx":             "unix /run/agentx",
		"tcp:localhost:705":       "tcp localhost:705",
		"tcp:127.0.0.1":           "tcp 127.0.0.1:705",
		"tcp6:[::1]:7050":         "tcp [::1]:7050",
		"localhost:1705":          "tcp localhost:1705",
		"udp:localhost:705":       "error",
	} {
		n, a, err := dialAddr(in)
		got := n + " " + a
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
