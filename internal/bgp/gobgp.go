package bgp

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"

	"github.com/gokeepalived/gokeepalived/conf"
)

// goBGP is the Speaker on GoBGP's server, embedded (no gRPC listener).
type goBGP struct {
	log *slog.Logger
	s   *server.BgpServer
	ctx context.Context
}

// NewGoBGP returns the Speaker on GoBGP; nothing runs before Start.
func NewGoBGP(log *slog.Logger) Speaker {
	return &goBGP{log: log, ctx: context.Background()}
}

func (g *goBGP) Start(gl Global) error {
	// GoBGP's info lines (every update sent) are debug detail to us
	g.s = server.NewBgpServer(server.LoggerOption(slog.New(quieter{g.log.Handler()}).With("bgp", "gobgp"), nil))
	go g.s.Serve()
	port := int32(gl.ListenPort)
	if port == 0 {
		port = -1 // GoBGP: do not listen
	}
	return g.s.StartBgp(g.ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: gl.LocalAS, RouterId: gl.RouterID.String(), ListenPort: port}})
}

func family(a netip.Addr) *api.Family {
	if a.Is4() {
		return &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
	}
	return &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}
}

func (g *goBGP) AddNeighbor(n conf.BGPNeighbor, gr time.Duration) error {
	hold := uint64(n.HoldTime / time.Second)
	p := &api.Peer{
		Conf: &api.PeerConf{NeighborAddress: n.Address.String(), PeerAsn: n.RemoteAS},
		Timers: &api.Timers{Config: &api.TimersConfig{HoldTime: hold, KeepaliveInterval: hold / 3, ConnectRetry: 5,
			// after a reset (BFD down, hold time expired) try again soon,
			// not after GoBGP's 30 s
			IdleHoldTimeAfterReset: 2}},
		Transport: &api.Transport{PassiveMode: n.Passive, RemotePort: uint32(n.Port)},
	}
	if n.LocalAddress.IsValid() {
		p.Transport.LocalAddress = n.LocalAddress.String()
	}
	// both families on every session: a prefix goes to the neighbours
	// that negotiated its family
	for _, f := range []*api.Family{family(netip.IPv4Unspecified()), family(netip.IPv6Unspecified())} {
		as := &api.AfiSafi{Config: &api.AfiSafiConfig{Family: f, Enabled: true}}
		if gr > 0 {
			as.MpGracefulRestart = &api.MpGracefulRestart{Config: &api.MpGracefulRestartConfig{Enabled: true}}
		}
		p.AfiSafis = append(p.AfiSafis, as)
	}
	if gr > 0 {
		// LocalRestarting sets the forwarding-state bit, so that a
		// router holding our routes from before a restart keeps them
		// until our End-of-RIB instead of dropping them at the OPEN
		p.GracefulRestart = &api.GracefulRestart{Enabled: true, RestartTime: uint32(gr / time.Second), LocalRestarting: true, DeferralTime: 10}
	}
	if b := n.BFD; b != nil {
		p.Bfd = &api.BfdPeerConfig{Enabled: true, DesiredMinimumTxInterval: uint32(b.MinTx / time.Microsecond),
			RequiredMinimumReceive: uint32(b.MinRx / time.Microsecond), DetectionMultiplier: uint32(b.Multiplier)}
	}
	return g.s.AddPeer(g.ctx, &api.AddPeerRequest{Peer: p})
}

func (g *goBGP) DeleteNeighbor(addr netip.Addr) error {
	return g.s.DeletePeer(g.ctx, &api.DeletePeerRequest{Address: addr.String()})
}

func (g *goBGP) path(a Announcement, withdraw bool) (*apiutil.Path, error) {
	nlri, err := bgp.NewIPAddrPrefix(a.Prefix)
	var pfx bgp.NLRI = nlri
	if err != nil {
		return nil, err
	}
	attrs := []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(bgp.BGP_ORIGIN_ATTR_TYPE_IGP)}
	nh := a.NextHop
	fam := bgp.RF_IPv4_UC
	if a.Prefix.Addr().Is4() {
		if !nh.IsValid() {
			nh = netip.IPv4Unspecified() // GoBGP: the session's local address
		}
		attr, err := bgp.NewPathAttributeNextHop(nh)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, attr)
	} else {
		fam = bgp.RF_IPv6_UC
		if !nh.IsValid() {
			nh = netip.IPv6Unspecified()
		}
		mp, err := bgp.NewPathAttributeMpReachNLRI(fam, []bgp.PathNLRI{{NLRI: pfx}}, nh)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, mp)
	}
	if a.MED != nil {
		attrs = append(attrs, bgp.NewPathAttributeMultiExitDisc(*a.MED))
	}
	if a.LocalPref != nil {
		attrs = append(attrs, bgp.NewPathAttributeLocalPref(*a.LocalPref))
	}
	if len(a.Communities) > 0 {
		attrs = append(attrs, bgp.NewPathAttributeCommunities(a.Communities))
	}
	return &apiutil.Path{Family: fam, Nlri: pfx, Attrs: attrs, Withdrawal: withdraw}, nil
}

func (g *goBGP) Announce(a Announcement) error {
	p, err := g.path(a, false)
	if err != nil {
		return err
	}
	_, err = g.s.AddPath(apiutil.AddPathRequest{Paths: []*apiutil.Path{p}})
	return err
}

func (g *goBGP) Withdraw(pfx netip.Prefix) error {
	p, err := g.path(Announcement{Prefix: pfx}, true)
	if err != nil {
		return err
	}
	return g.s.DeletePath(apiutil.DeletePathRequest{Paths: []*apiutil.Path{p}})
}

func (g *goBGP) Sessions() []Session {
	var out []Session
	err := g.s.ListPeer(g.ctx, &api.ListPeerRequest{}, func(p *api.Peer) {
		st := p.GetState()
		a, _ := netip.ParseAddr(st.GetNeighborAddress())
		if !a.IsValid() {
			a, _ = netip.ParseAddr(p.GetConf().GetNeighborAddress())
		}
		s := Session{Neighbor: a, RemoteAS: st.GetPeerAsn(),
			State:       strings.ToLower(strings.TrimPrefix(st.GetSessionState().String(), "SESSION_STATE_")),
			Established: st.GetSessionState() == api.PeerState_SESSION_STATE_ESTABLISHED}
		if p.GetBfd().GetEnabled() {
			s.BFD = strings.ToLower(strings.TrimPrefix(st.GetBfdState().GetSessionState().String(), "BFD_SESSION_STATE_"))
		}
		for _, as := range p.GetAfiSafis() {
			s.Accepted += int(as.GetState().GetAccepted())
		}
		out = append(out, s)
	})
	if err != nil {
		g.log.Debug(fmt.Sprintf("BGP: listing the sessions: %v", err))
	}
	return out
}

func (g *goBGP) Stop(graceful bool) {
	if graceful {
		// GoBGP closes the sessions that negotiated graceful restart
		// without a NOTIFICATION; Stop then finds the server stopped
		if err := g.s.StopBgp(g.ctx, &api.StopBgpRequest{AllowGracefulRestart: true}); err != nil {
			g.log.Error(fmt.Sprintf("BGP: graceful stop: %v", err))
		}
	}
	g.s.Stop()
}

// quieter lowers GoBGP's info and debug lines to debug.
type quieter struct{ slog.Handler }

func (q quieter) Enabled(ctx context.Context, l slog.Level) bool {
	if l < slog.LevelWarn {
		l = slog.LevelDebug
	}
	return q.Handler.Enabled(ctx, l)
}

func (q quieter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		r.Level = slog.LevelDebug
	}
	return q.Handler.Handle(ctx, r)
}

func (q quieter) WithAttrs(as []slog.Attr) slog.Handler { return quieter{q.Handler.WithAttrs(as)} }
func (q quieter) WithGroup(n string) slog.Handler       { return quieter{q.Handler.WithGroup(n)} }
