package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
)

// On this host the subcommand either lists the table or, without IPVS,
// says so and fails; the listing itself is compared with ipvsadm in the
// VM (ipvs/kerneltest TestSubcommand).
func TestIPVSSubcommandHost(t *testing.T) {
	var out, errb strings.Builder
	code := run([]string{"ipvs"}, &out, &errb)
	c, err := ipvs.Open(ipvs.Options{})
	if err == nil {
		c.Close()
	}
	switch {
	case errors.Is(err, ipvs.ErrUnavailable):
		if code != 1 || out.Len() != 0 || errb.String() != "gokeepalived ipvs: this kernel has no IPVS (is the ip_vs module loaded?)\n" {
			t.Errorf("without IPVS: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
		}
	case err == nil:
		if code != 0 || !strings.HasPrefix(out.String(), "IP Virtual Server version ") {
			t.Errorf("with IPVS: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
		}
	default:
		if code != 1 || !strings.HasPrefix(errb.String(), "gokeepalived ipvs: ") {
			t.Errorf("open failed (%v): exit %d, stderr %q", err, code, errb.String())
		}
	}
}

func TestIPVSSubcommandUsage(t *testing.T) {
	var out, errb strings.Builder
	if code := run([]string{"ipvs", "--bogus"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), `unknown option "--bogus"`) {
		t.Errorf("--bogus: exit %d, stderr %q", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"ipvs", "--help"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "Usage: gokeepalived ipvs") {
		t.Errorf("--help: exit %d, stdout %q", code, out.String())
	}
}
