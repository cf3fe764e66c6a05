package daemon

import (
	"bytes"
	"strings"
	"testing"
)

// PrintDryRun: a refused file prints its positioned problems and fails.
func TestPrintDryRun(t *testing.T) {
	var out, errb bytes.Buffer
	rc := PrintDryRun(DryRun{ConfigFile: "/x.conf", Diagnostics: []string{"/x.conf:3:5: error: There are 1 missing '}'s or extra '{'s"},
		Refusals: []string{"/x.conf:3:5: error: There are 1 missing '}'s or extra '{'s"}}, &out, &errb)
	if rc != 1 || out.Len() != 0 || !strings.Contains(errb.String(), "/x.conf:3:5: error: There are 1 missing") ||
		!strings.Contains(errb.String(), "1 problem(s) lose part of the configuration: a reload would keep the running configuration") {
		t.Errorf("rc %d stdout %q stderr %q", rc, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	rc = PrintDryRun(DryRun{ConfigFile: "/x.conf", Valid: true, Units: []UnitPlan{
		{Name: "VRRP", Action: "reload", Changes: []string{}},
		{Name: "checker", Action: "reload", Changes: []string{"ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1"}}}}, &out, &errb)
	want := "Reload of /x.conf would make these changes (nothing applied):\nVRRP subsystem: reload\n  (no change)\n" +
		"checker subsystem: reload\n  ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n"
	if rc != 0 || out.String() != want || errb.Len() != 0 {
		t.Errorf("rc %d stdout\n%s\nwant\n%s\nstderr %q", rc, out.String(), want, errb.String())
	}
}
