package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/internal/netnstest"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// vs243 is a virtual server around one real server's checker block.
func vs243(checker string) string {
	return "virtual_server 10.9.0.1 443 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n real_server 10.9.0.2 443 {\n" + checker + " }\n}\n"
}

// checker243Cases are the checker and BFD keywords keepalived 2.4 added
// (and the ones the issue names that 2.4.3 does not have), each config
// run through keepalived 2.4.3 -t and ours.
var checker243Cases = map[string]string{
	"tls_compliant":             vs243("  SSL_GET {\n   tls_compliant\n   url {\n    path /\n    tls_compliant no\n   }\n   url {\n    path /b\n    tls_compliant on\n   }\n  }\n"),
	"tls_compliant invalid":     vs243("  SSL_GET {\n   tls_compliant maybe\n   url {\n    path /\n    tls_compliant 2\n   }\n  }\n"),
	"tls_compliant in HTTP_GET": vs243("  HTTP_GET {\n   tls_compliant\n   url {\n    path /\n    tls_compliant\n   }\n  }\n"),
	"sni_name":                  vs243("  SSL_GET {\n   enable_sni\n   sni_name www.example.test\n   url {\n    path /\n   }\n  }\n"),
	"bind_if and bindto": vs243("  TCP_CHECK {\n   bind_if lo\n   bindto 127.0.0.1\n  }\n  UDP_CHECK {\n   bind_if lo\n   bindto 127.0.0.1\n  }\n" +
		"  PING_CHECK {\n   bind_if lo\n   bindto 127.0.0.1\n  }\n  SMTP_CHECK {\n   bind_if lo\n   bindto 127.0.0.1\n  }\n" +
		"  DNS_CHECK {\n   bind_if lo\n   name example.test\n  }\n  MISC_CHECK {\n   misc_path /bin/true\n   bind_if lo\n  }\n"),
	"set_supplementary_groups": "global_defs {\n set_supplementary_groups\n}\n" + vs243("  TCP_CHECK {\n  }\n"),
	"multihop": "bfd_instance b1 {\n neighbor_ip 10.9.0.9\n multihop\n}\nbfd_instance b2 {\n neighbor_ip 10.9.0.9\n}\n" +
		"bfd_instance b3 {\n multihop yes\n neighbor_ip 10.9.0.9\n}\nbfd_instance b4 {\n neighbor_ip 10.9.0.8\n multihop maybe\n}\n" +
		"bfd_instance b5 {\n neighbor_ip 10.9.0.7\n multihop off\n max_hops 2\n}\n",
}

// TestConfigTestCheckers243: keepalived 2.4.3 and gokeepalived agree on
// the verdict and messages of each of checker243Cases.
func TestConfigTestCheckers243(t *testing.T) {
	netnstest.Require(t)
	bin := testenv.Keepalived243(t)
	ns := netnstest.New(t, "gk243c")
	dir := t.TempDir()
	agree := 0
	for name, text := range checker243Cases {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".conf")
			if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			if !configTestAgrees(t, ns, bin, f) {
				return
			}
			agree++
		})
	}
	t.Logf("checker keywords of keepalived 2.4: %d/%d configs agree with 2.4.3 -t (verdict and messages)", agree, len(checker243Cases))
}
