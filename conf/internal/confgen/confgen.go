// Package confgen writes large synthetic keepalived.conf files for
// benchmarks: virtual servers with real servers, alternating TCP_CHECK and
// HTTP_GET checkers.
package confgen

import (
	"bufio"
	"fmt"
	"io"
)

// Write emits vs virtual servers with rs real servers each. Addresses are
// unique: virtual servers in 10.0.0.0/8, real servers in 172.16.0.0/12.
func Write(w io.Writer, vs, rs int) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "global_defs {\n    router_id BENCH\n}\n\n")
	n := 0
	for i := 0; i < vs; i++ {
		fmt.Fprintf(b, "virtual_server 10.%d.%d.%d 80 {\n    delay_loop 6\n    lvs_sched wlc\n    lvs_method NAT\n    protocol TCP\n",
			i>>16&0xff, i>>8&0xff, i&0xff)
		for j := 0; j < rs; j++ {
			n++
			fmt.Fprintf(b, "    real_server 172.%d.%d.%d 80 {\n        weight 1\n", 16+(n>>16&0x0f), n>>8&0xff, n&0xff)
			if j%2 == 0 {
				fmt.Fprintf(b, "        TCP_CHECK {\n            connect_timeout 3\n        }\n")
			} else {
				fmt.Fprintf(b, "        HTTP_GET {\n            url {\n                path /health\n                status_code 200\n            }\n            connect_timeout 3\n            retry 3\n            delay_before_retry 2\n        }\n")
			}
			fmt.Fprintf(b, "    }\n")
		}
		fmt.Fprintf(b, "}\n")
	}
	return b.Flush()
}
