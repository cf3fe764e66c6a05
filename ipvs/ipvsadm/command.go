package ipvsadm

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// Command letters of ipvsadm's service and destination commands.
const (
	AddService  = 'A'
	EditService = 'E'
	DelService  = 'D'
	AddDest     = 'a'
	EditDest    = 'e'
	DelDest     = 'd'
)

// Command writes one IPVS operation as the ipvsadm command line that
// would make it (`-a -t 10.0.0.1:80 -r 192.168.1.1:80 -m -w 1`), for
// people reading a reload plan. d is used by the destination commands.
func Command(cmd byte, s ipvs.Service, d ipvs.Destination) string {
	args := []string{"-" + string(cmd)}
	if s.IsFWMark() {
		args = append(args, "-f", strconv.FormatUint(uint64(s.FWMark), 10))
		if s.Family == ipvs.IPv6 {
			args = append(args, "-6")
		}
	} else {
		opt := map[ipvs.Protocol]string{ipvs.TCP: "-t", ipvs.UDP: "-u", ipvs.SCTP: "--sctp-service"}[s.Protocol]
		if opt == "" {
			opt = "--protocol-" + strconv.Itoa(int(s.Protocol))
		}
		args = append(args, opt, hostPort(s.Addr, s.Port))
	}
	switch cmd {
	case AddService, EditService:
		args = append(args, "-s", s.Scheduler)
		if f := schedFlags(s.Scheduler, s.Flags); f != "" {
			args = append(args, "-b", f)
		}
		if s.Flags&ipvs.SvcPersistent != 0 {
			args = append(args, "-p", strconv.FormatUint(uint64(s.Timeout), 10))
			if n := s.NetmaskBits(); s.Family == ipvs.IPv4 && n != 32 {
				m := ^uint32(0) << (32 - n)
				if n == 0 {
					m = 0
				}
				args = append(args, "-M", netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}).String())
			} else if s.Family == ipvs.IPv6 && n != 128 {
				args = append(args, "-M", strconv.Itoa(n))
			}
			if s.PE != "" {
				args = append(args, "--pe", s.PE)
			}
		}
		if s.Flags&ipvs.SvcOnePacket != 0 {
			args = append(args, "-o")
		}
	case AddDest, EditDest, DelDest:
		args = append(args, "-r", hostPort(d.Addr, d.Port))
		if cmd == DelDest {
			break
		}
		switch d.Fwd {
		case ipvs.Masq:
			args = append(args, "-m")
		case ipvs.Route:
			args = append(args, "-g")
		case ipvs.Tunnel:
			args = append(args, "-i")
			if d.TunnelType != ipvs.TunIPIP {
				args = append(args, "--tun-type", d.TunnelType.String())
				if d.TunnelType == ipvs.TunGUE {
					args = append(args, "--tun-port", strconv.Itoa(int(d.TunnelPort)))
				}
				switch {
				case d.TunnelFlags&ipvs.TunRemCsum != 0:
					args = append(args, "--tun-remcsum")
				case d.TunnelFlags&ipvs.TunCsum != 0:
					args = append(args, "--tun-csum")
				default:
					args = append(args, "--tun-nocsum")
				}
			}
		}
		args = append(args, "-w", strconv.FormatUint(uint64(d.Weight), 10))
		if d.UpperThreshold != 0 {
			args = append(args, "-x", strconv.FormatUint(uint64(d.UpperThreshold), 10))
		}
		if d.LowerThreshold != 0 {
			args = append(args, "-y", strconv.FormatUint(uint64(d.LowerThreshold), 10))
		}
	}
	return strings.Join(args, " ")
}

// hostPort is ipvsadm's host:port argument, IPv6 in brackets.
func hostPort(a netip.Addr, port uint16) string {
	return netip.AddrPortFrom(a, port).String()
}
