package check

import "net/netip"

type netipAddrPort = netip.AddrPort

func mustAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
