package conf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gokeepalived/gokeepalived/conf/internal/syntax"
	"github.com/gokeepalived/gokeepalived/internal/testenv"
)

// The keyword inventory (issue 13: no silent keyword). For every keyword
// of keepalived 2.2.7 it finds, mechanically, the model fields the keyword
// sets: a small config places the keyword in its block with a guessed
// value (a hand table where no generic value fits), and the model is
// compared, field by field through reflection, with the same config
// without it. A changed field has a run-time effect when code outside
// package conf reads it and every field on the way to it from Config
// (type-checked selectors, see fieldsReadOutsideConf). Limits, accepted:
// a read is any use of the field, a test of it included, so a field read
// only to be skipped counts as used (ignoredAtRunTime lists those known);
// an effect that needs a config richer than the templates goes unseen,
// which errs towards "unsupported", never towards silence.

// keywordsTSV is keepalived's keyword inventory (its header says how it
// was derived from keepalived's install_keyword calls).
var keywordsTSV = filepath.Join(testenv.Root(), "testdata", "keepalived-keywords.tsv")

type tsvKeyword struct {
	context, keyword, notes string
}

func readKeywordsTSV(t *testing.T) []tsvKeyword {
	t.Helper()
	f, err := os.Open(keywordsTSV)
	if err != nil {
		testenv.Unavailable(t, "keyword inventory: %v", err)
	}
	defer f.Close()
	var rows []tsvKeyword
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "context\t") {
			continue
		}
		col := strings.Split(line, "\t")
		if len(col) < 3 {
			t.Fatalf("%s: bad row %q", keywordsTSV, line)
		}
		if col[2] != "yes" {
			continue
		}
		r := tsvKeyword{context: col[0], keyword: col[1]}
		if len(col) > 3 {
			r.notes = col[3]
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 400 {
		t.Fatalf("%s: only %d keywords of 2.2.7", keywordsTSV, len(rows))
	}
	return rows
}

// newerKeywords are the block|keyword keys of the TSV's rows that
// keepalived 2.4.3 has and 2.2.7 not.
func newerKeywords(t *testing.T) []string {
	b, err := os.ReadFile(keywordsTSV)
	if err != nil {
		testenv.Unavailable(t, "keyword inventory: %v", err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		col := strings.Split(line, "\t")
		if len(col) < 3 || strings.HasPrefix(line, "#") || !strings.HasPrefix(col[2], "NO") {
			continue
		}
		for _, blk := range blockNames(col[0]) {
			out = append(out, blk+"|"+col[1])
		}
	}
	return out
}

// blockNames are the decoder's names (the where of decoder.walk) of the
// innermost block of a TSV context.
func blockNames(context string) []string {
	if context == "(top level)" {
		return []string{"top level"}
	}
	parts := strings.Split(context, " > ")
	return strings.Split(parts[len(parts)-1], "|")
}

// parseTimeKeywords have their whole effect while the configuration is
// read or checked, so nothing at run time has to read what they set.
var parseTimeKeywords = map[string]string{
	"top level|global_defs":              "only opens the block; its keywords are inventoried one by one",
	"global_defs|enable_script_security": "decides at load time which scripts are disabled (Script.Disabled)",
	"vrrp_instance|native_ipv6":          "deprecated: the family comes from the addresses; it only checks them",
	"virtual_server|ip_family":           "the family comes from the addresses or real servers; it only checks them",
	"virtual_server|hashed":              "keepalived 2.2.7 has it error out unless lvs_sched sh/mh, and ignores it otherwise",
}

// ignoredAtRunTime are unsupported keywords that change fields read
// outside conf, but only for those to be skipped there or as a side
// effect; each says why.
var ignoredAtRunTime = map[string]string{
	"vrrp_instance|use_ipvlan":          "its address becomes the source address (SrcIP), but no ipvlan interface is made (UseIPVLAN is read by no one)",
	"vrrp_instance|promote_secondaries": "only printed in the data dump; the sysctl is set on VMACs alone",
}

// keywordTemplates places a keyword (the line %KW%) in a minimal config of
// its context. Instances track the scripts, files and processes, which an
// unused object would otherwise be dropped.
var keywordTemplates = map[string]string{
	"(top level)":                    trackObjects + vrrpBase("") + vrrpBase2 + vsBase("TCP_CHECK {\n}\n") + "%KW%\n",
	"global_defs":                    "global_defs {\n%KW%\n}\n" + vrrpBase("") + vsBase("TCP_CHECK {\n}\n"),
	"track_group":                    vrrpBase("") + "track_group TG {\n%KW%\n}\n",
	"vrrp_sync_group":                "vrrp_script chk2 {\nscript /bin/true\nweight 10\n}\n" + trackObjects + vrrpBase("track_script {\nchk2\n}\n") + vrrpBase2 + "vrrp_sync_group SG {\n%GROUP%\n%KW%\n}\n",
	"garp_group":                     vrrpBase("") + "garp_group {\n%IFACE%\n%DELAY%\n%KW%\n}\n",
	"vrrp_instance":                  trackObjects + vrrpBase("%KW%\n"),
	"vrrp_instance > authentication": vrrpBase("authentication {\n%AUTH%\n%AUTHPASS%\n%KW%\n}\n"),
	"vrrp_script":                    "vrrp_script chk {\n%SCRIPT%\n%KW%\n}\n" + vrrpBase("track_script {\nchk\n}\n"),
	"vrrp_track_process":             "vrrp_track_process tp {\n%PROCESS%\n%KW%\n}\n" + vrrpBase("track_process {\ntp\n}\n"),
	"track_file":                     "track_file tf {\n%FILE%\n%KW%\n}\n" + vrrpBase("track_file {\ntf\n}\n"),
	"vrrp_track_file":                "vrrp_track_file tf {\n%FILE%\n%KW%\n}\n" + vrrpBase("track_file {\ntf\n}\n"),
	"bfd_instance":                   "bfd_instance b1 {\n%NEIGHBOR%\n%KW%\n}\n" + vrrpBase("track_bfd {\nb1\n}\n"),
	"SSL":                            "SSL {\n%KW%\n}\n" + vsBase("HTTP_GET {\nurl {\npath /\nstatus_code 200\n}\n}\n"),
	"virtual_server":                 "virtual_server 10.0.0.1 80 {\nlvs_sched rr\nlvs_method NAT\nprotocol TCP\n%KW%\nreal_server 10.0.0.2 80 {\nTCP_CHECK {\n}\n}\n}\n",
	"virtual_server > real_server":   trackObjects + vsBase("%KW%\nTCP_CHECK {\n}\n"),
	"virtual_server > real_server > MISC_CHECK":             vsBase("MISC_CHECK {\n%MISC%\n%KW%\n}\n"),
	"virtual_server > real_server > SMTP_CHECK":             vsBase("SMTP_CHECK {\n%KW%\n}\n"),
	"virtual_server > real_server > SMTP_CHECK > host":      vsBase("SMTP_CHECK {\nhost {\nconnect_ip 10.0.0.3\n%KW%\n}\n}\n"),
	"virtual_server > real_server > TCP_CHECK":              vsBase("TCP_CHECK {\n%KW%\n}\n"),
	"virtual_server > real_server > PING_CHECK":             vsBase("PING_CHECK {\n%KW%\n}\n"),
	"virtual_server > real_server > UDP_CHECK":              vsBase("UDP_CHECK {\n%KW%\n}\n"),
	"virtual_server > real_server > HTTP_GET|SSL_GET":       vsBase("HTTP_GET {\n%URL%\n%KW%\n}\n"),
	"virtual_server > real_server > HTTP_GET|SSL_GET > url": vsBase("HTTP_GET {\nurl {\n%PATH%\nstatus_code 200\n%KW%\n}\n}\n"),
	"virtual_server > real_server > DNS_CHECK":              vsBase("DNS_CHECK {\n%KW%\n}\n"),
	"virtual_server > real_server > FILE_CHECK":             "track_file tf {\nfile /etc/hostname\n}\n" + vsBase("FILE_CHECK {\n%TRACKFILE%\n%KW%\n}\n"),
	"virtual_server > real_server > BFD_CHECK":              "bfd_instance b1 {\nneighbor_ip 10.0.0.2\n}\n" + vsBase("BFD_CHECK {\n%BFDNAME%\n%KW%\n}\n"),
}

// trackObjects are what instances and sync groups can track.
const trackObjects = "vrrp_script chk {\nscript /bin/true\n}\ntrack_file tf {\nfile /etc/hostname\n}\n" +
	"vrrp_track_process tp {\nprocess keepalived\n}\nbfd_instance b1 {\nneighbor_ip 10.0.0.2\n}\n"

func vrrpBase(extra string) string {
	return "vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\npriority 100\nadvert_int 1\nvirtual_ipaddress {\n10.9.9.9\n}\n" + extra + "}\n"
}

const vrrpBase2 = "vrrp_instance VI_2 {\ninterface eth0\nvirtual_router_id 52\npriority 100\nadvert_int 1\nvirtual_ipaddress {\n10.9.9.8\n}\n}\n"

func vsBase(check string) string {
	return "virtual_server 10.0.0.1 80 {\nlvs_sched rr\nlvs_method NAT\nprotocol TCP\nreal_server 10.0.0.2 80 {\n" + check + "}\n}\n"
}

// rowTemplates replace the context's template for keywords that only
// act with another keyword (a VMAC, a scheduler, a sorry server).
var rowTemplates = map[string]string{
	"bfd_instance|checker":                   "bfd_instance b1 {\n%NEIGHBOR%\n%KW%\n}\n" + vsBase("BFD_CHECK {\nname b1\n}\n"),
	"vrrp_instance|vmac_xmit_base":           trackObjects + vrrpBase("use_vmac\n%KW%\n"),
	"vrrp_instance|vrf":                      "vrrp_instance VI_1 {\nvirtual_router_id 51\nunicast_peer {\n10.0.0.3\n}\nvirtual_ipaddress {\n10.9.9.9\n}\n%KW%\n}\n",
	"garp_group|interfaces":                  vrrpBase("") + "garp_group {\ngarp_interval 3\n%KW%\n}\n",
	"virtual_server|quorum":                  strings.Replace(vsBase("weight 10\nTCP_CHECK {\n}\n"), "protocol TCP\n", "protocol TCP\n%KW%\n", 1),
	"virtual_server|hysteresis":              strings.Replace(vsBase("weight 10\nTCP_CHECK {\n}\n"), "protocol TCP\n", "protocol TCP\nquorum 5\n%KW%\n", 1),
	"vrrp_instance|track_src_ip":             vrrpBase("unicast_src_ip 10.0.0.1\nunicast_peer {\n10.0.0.3\n}\n%KW%\n"),
	"vrrp_instance|unicast_ttl":              vrrpBase("unicast_peer {\n10.0.0.3\n}\n%KW%\n"),
	"vrrp_instance|accept":                   vrrpBase("no_accept\n%KW%\n"),
	"vrrp_instance|preempt":                  vrrpBase("nopreempt\n%KW%\n"),
	"virtual_server|ops":                     strings.Replace(vsBase("TCP_CHECK {\n}\n"), "protocol TCP\n", "protocol UDP\n%KW%\n", 1),
	"virtual_server|sh-port":                 strings.Replace(vsBase("TCP_CHECK {\n}\n"), "lvs_sched rr\n", "lvs_sched sh\n%KW%\n", 1),
	"virtual_server|sh-fallback":             strings.Replace(vsBase("TCP_CHECK {\n}\n"), "lvs_sched rr\n", "lvs_sched sh\n%KW%\n", 1),
	"virtual_server|mh-port":                 strings.Replace(vsBase("TCP_CHECK {\n}\n"), "lvs_sched rr\n", "lvs_sched mh\n%KW%\n", 1),
	"virtual_server|mh-fallback":             strings.Replace(vsBase("TCP_CHECK {\n}\n"), "lvs_sched rr\n", "lvs_sched mh\n%KW%\n", 1),
	"virtual_server|sorry_server_inhibit":    strings.Replace(vsBase("TCP_CHECK {\n}\n"), "protocol TCP\n", "protocol TCP\nsorry_server 10.0.0.9 80\n%KW%\n", 1),
	"virtual_server|sorry_server_lvs_method": strings.Replace(vsBase("TCP_CHECK {\n}\n"), "protocol TCP\n", "protocol TCP\nsorry_server 10.0.0.9 80\n%KW%\n", 1),
	"url|regex_no_match":                     vsBase("HTTP_GET {\nurl {\npath /\nregex ok\n%KW%\n}\n}\n"),
	"url|regex_options":                      vsBase("HTTP_GET {\nurl {\npath /\nregex ok\n%KW%\n}\n}\n"),
	"url|regex_min_offset":                   vsBase("HTTP_GET {\nurl {\npath /\nregex ok\n%KW%\n}\n}\n"),
	"url|regex_max_offset":                   vsBase("HTTP_GET {\nurl {\npath /\nregex ok\n%KW%\n}\n}\n"),
	"url|regex_stack":                        vsBase("HTTP_GET {\nurl {\npath /\nregex ok\n%KW%\n}\n}\n"),
}

// valueErrorsOK are keywords keepalived reports as errors even when they
// take effect (deprecated forms it still applies).
var valueErrorsOK = map[string]bool{
	"global_defs|vrrp_iptables":               true,
	"vrrp_sync_group|group":                   true,
	"vrrp_sync_group|global_tracking":         true,
	"vrrp_instance|linkbeat_use_polling":      true,
	"vrrp_instance|lvs_sync_daemon_interface": true,
}

// templateParts are the lines a template needs for its block to be valid;
// a keyword that is itself one of them is given alone instead.
var templateParts = map[string][2]string{
	"%GROUP%":     {"group", "group {\nVI_1\nVI_2\n}"},
	"%IFACE%":     {"interface", "interface eth0"},
	"%DELAY%":     {"garp_interval", "garp_interval 3"},
	"%AUTH%":      {"auth_type", "auth_type PASS"},
	"%AUTHPASS%":  {"auth_pass", "auth_pass secret"},
	"%SCRIPT%":    {"script", "script /bin/true"},
	"%PROCESS%":   {"process", "process keepalived"},
	"%FILE%":      {"file", "file /etc/hostname"},
	"%NEIGHBOR%":  {"neighbor_ip", "neighbor_ip 10.0.0.2"},
	"%MISC%":      {"misc_path", "misc_path /bin/true"},
	"%URL%":       {"url", "url {\npath /\nstatus_code 200\n}"},
	"%PATH%":      {"path", "path /"},
	"%TRACKFILE%": {"track_file", "track_file tf"},
	"%BFDNAME%":   {"name", "name b1"},
}

// genericValues are tried in turn; the first one that changes the model
// without an error is the keyword's value.
var genericValues = []string{
	"", "7", "3", "10.1.2.3", "eth7", "/bin/false", "false", "true", "BACKUP",
	"{\n10.1.2.3\n}", "{\n}",
}

// handValues are the values of keywords no generic value fits.
var handValues = map[string][]string{
	"SMTP_CHECK|host":                         {"{\nconnect_ip 10.0.0.4\n}"},
	"url|regex_max_offset":                    {"7"},
	"real_server|smtp_alert":                  {"false"},
	"url|regex_min_offset":                    {"7"},
	"url|regex_stack":                         {"10 20"},
	"HTTP_GET|SSL_GET|url":                    {"{\npath /x\n}"},
	"bfd_instance|idle_tx":                    {"2000"},
	"garp_group|interface":                    {"eth0"},
	"top level|net_namespace_ipvs":            {"ns1"},
	"top level|track_group":                   {"TG2 {\ngroup {\nVI_1\n}\n}"},
	"top level|static_ipaddress":              {"{\n10.1.2.3/32 dev lo\n}"},
	"top level|static_routes":                 {"{\n10.1.2.0/24 dev lo\n}"},
	"top level|static_rules":                  {"{\nfrom 10.1.2.3 table 100 priority 7\n}"},
	"top level|vrrp_sync_group":               {"SG {\ngroup {\nVI_1\nVI_2\n}\n}"},
	"top level|garp_group":                    {"{\ninterface eth0\ngarp_interval 3\n}"},
	"top level|linkbeat_interfaces":           {"{\nlo\n}"},
	"top level|vrrp_instance":                 {"VI_3 {\ninterface eth0\nvirtual_router_id 53\nvirtual_ipaddress {\n10.1.2.3\n}\n}"},
	"top level|vrrp_script":                   {"chk3 {\nscript /bin/true\n}"},
	"top level|vrrp_track_process":            {"tp3 {\nprocess keepalived\n}"},
	"top level|interface_up_down_delays":      {"{\nlo 1 2\n}"},
	"top level|track_file":                    {"tf3 {\nfile /etc/hostname\n}"},
	"top level|vrrp_track_file":               {"tf3 {\nfile /etc/hostname\n}"},
	"top level|bfd_instance":                  {"b3 {\nneighbor_ip 10.0.0.9\n}"},
	"top level|SSL":                           {"{\npassword x\n}"},
	"top level|virtual_server_group":          {"G1 {\n10.0.0.6 80\n}\nvirtual_server group G1 {\nlvs_sched rr\nlvs_method NAT\nprotocol TCP\nreal_server 10.0.0.2 80 {\nTCP_CHECK {\n}\n}\n}"},
	"top level|virtual_server":                {"10.0.0.5 80 {\nlvs_sched rr\nlvs_method NAT\nprotocol TCP\nreal_server 10.0.0.2 80 {\nTCP_CHECK {\n}\n}\n}"},
	"global_defs|process_names":               {""},
	"global_defs|notification_email":          {"{\nroot@localhost\n}"},
	"global_defs|notification_email_from":     {"a@b.c"},
	"global_defs|smtp_server":                 {"10.1.2.3 25"},
	"global_defs|smtp_helo_name":              {"mail.example"},
	"global_defs|lvs_timeouts":                {"tcp 7"},
	"global_defs|lvs_sync_daemon":             {"lo VI_1"},
	"global_defs|vrrp_mcast_group4":           {"224.0.0.19"},
	"global_defs|vrrp_mcast_group6":           {"ff02::13"},
	"global_defs|vrrp_garp_extra_if":          {"7"},
	"global_defs|vrrp_vmac_garp_intvl":        {"7"},
	"global_defs|vrrp_version":                {"3"},
	"global_defs|vrrp_iptables":               {"IN OUT"},
	"global_defs|vrrp_ipsets":                 {"a b c"},
	"global_defs|nftables":                    {"tbl"},
	"global_defs|vrrp_cpu_affinity":           {"0"},
	"global_defs|checker_cpu_affinity":        {"0"},
	"global_defs|bfd_cpu_affinity":            {"0"},
	"global_defs|snmp_socket":                 {"udp:localhost:705"},
	"global_defs|dbus_service_name":           {"org.example"},
	"global_defs|script_user":                 {"nobody"},
	"global_defs|vrrp_rx_bufs_policy":         {"MTU"},
	"global_defs|vmac_prefix":                 {"vx"},
	"global_defs|vmac_addr_prefix":            {"vxa"},
	"global_defs|umask":                       {"077"},
	"global_defs|reload_time_file":            {"/tmp/rt"},
	"global_defs|reload_file":                 {"/tmp/rf"},
	"global_defs|config_save_dir":             {"/tmp/csd"},
	"global_defs|tmp_config_directory":        {"/tmp/tcd"},
	"global_defs|router_id":                   {"r1"},
	"global_defs|default_interface":           {"eth7"},
	"global_defs|vrrp_strict":                 {""},
	"global_defs|notify_fifo":                 {"/tmp/fifo"},
	"global_defs|vrrp_notify_fifo":            {"/tmp/vfifo"},
	"global_defs|lvs_notify_fifo":             {"/tmp/lfifo"},
	"track_group|group":                       {"{\nVI_1\n}"},
	"vrrp_sync_group|group":                   {"{\nVI_1\nVI_2\n}"},
	"vrrp_sync_group|track_interface":         {"{\nlo\n}"},
	"vrrp_sync_group|track_script":            {"{\nchk\n}"},
	"vrrp_sync_group|track_file":              {"{\ntf\n}"},
	"vrrp_sync_group|track_process":           {"{\ntp\n}"},
	"vrrp_sync_group|track_bfd":               {"{\nb1\n}"},
	"garp_group|interfaces":                   {"{\neth0\n}"},
	"vrrp_instance|use_vmac":                  {"", "vrrp.51"},
	"vrrp_instance|unicast_peer":              {"{\n10.1.2.4\n}"},
	"vrrp_instance|state":                     {"MASTER"},
	"vrrp_instance|vrf":                       {"eth0"},
	"vrrp_instance|track_interface":           {"{\neth7\n}"},
	"vrrp_instance|track_script":              {"{\nchk\n}"},
	"vrrp_instance|track_file":                {"{\ntf\n}"},
	"vrrp_instance|track_process":             {"{\ntp\n}"},
	"vrrp_instance|track_bfd":                 {"{\nb1\n}"},
	"vrrp_instance|mcast_src_ip":              {"127.0.0.1"},
	"vrrp_instance|unicast_src_ip":            {"127.0.0.1"},
	"vrrp_instance|mcast_dst_ip":              {"224.0.0.19"},
	"vrrp_instance|virtual_routes":            {"{\n10.1.2.0/24 dev lo\n}"},
	"vrrp_instance|virtual_rules":             {"{\nfrom 10.1.2.3 table 100 priority 7\n}"},
	"vrrp_instance|garp_extra_if":             {"7"},
	"vrrp_instance|vmac_garp_intvl":           {"7"},
	"vrrp_instance|lvs_sync_daemon_interface": {"eth0"},
	"vrrp_instance|authentication":            {"{\nauth_type PASS\nauth_pass x\n}"},
	"authentication|auth_type":                {"AH"},
	"authentication|auth_pass":                {"secret7"},
	"vrrp_track_process|param_match":          {"initial"},
	"bfd_instance|neighbor_ip":                {"10.0.0.7"},
	"bfd_instance|neighbour_ip":               {"10.0.0.7"},
	"bfd_instance|source_ip":                  {"10.0.0.8"},
	"bfd_instance|vrrp":                       {""},
	"bfd_instance|checker":                    {""},
	"SSL|password":                            {"pw"},
	"SSL|ca":                                  {"/etc/hostname"},
	"SSL|certificate":                         {"/etc/hostname"},
	"SSL|key":                                 {"/etc/hostname"},
	"virtual_server|lb_algo":                  {"wlc"},
	"virtual_server|lvs_sched":                {"wlc"},
	"virtual_server|ops":                      {""},
	"virtual_server|sh-port":                  {""},
	"virtual_server|lb_kind":                  {"DR"},
	"virtual_server|lvs_method":               {"DR"},
	"virtual_server|persistence_engine":       {"sip"},
	"virtual_server|persistence_granularity":  {"255.255.255.0"},
	"virtual_server|protocol":                 {"UDP"},
	"virtual_server|virtualhost":              {"www.example"},
	"virtual_server|snmp_name":                {"vs7"},
	"virtual_server|quorum_up":                {"/bin/true"},
	"virtual_server|quorum_down":              {"/bin/true"},
	"virtual_server|sorry_server":             {"10.0.0.9 80"},
	"virtual_server|sorry_server_lvs_method":  {"DR"},
	"virtual_server|real_server":              {"10.0.0.3 80 {\nTCP_CHECK {\n}\n}"},
	"virtual_server|lvs_flush_on_stop":        {""},
	"real_server|lvs_method":                  {"DR"},
	"real_server|notify_up":                   {"/bin/true"},
	"real_server|notify_down":                 {"/bin/true"},
	"real_server|virtualhost":                 {"www.example"},
	"real_server|snmp_name":                   {"rs7"},
	"real_server|MISC_CHECK":                  {"{\nmisc_path /bin/true\n}"},
	"real_server|SMTP_CHECK":                  {"{\n}"},
	"real_server|HTTP_GET|SSL_GET":            {"{\nurl {\npath /\nstatus_code 200\n}\n}"},
	"real_server|DNS_CHECK":                   {"{\nname example.com\n}"},
	"real_server|FILE_CHECK":                  {"{\ntrack_file tf\n}"},
	"real_server|BFD_CHECK":                   {"{\nname b1\n}"},
	"MISC_CHECK|misc_path":                    {"/bin/false"},
	"MISC_CHECK|user":                         {"nobody"},
	"SMTP_CHECK|helo_name":                    {"mail.example"},
	"HTTP_GET|SSL_GET|virtualhost":            {"www.example"},
	"HTTP_GET|SSL_GET|http_protocol":          {"1.1"},
	"url|path":                                {"/x"},
	"url|digest":                              {"0123456789abcdef0123456789abcdef"},
	"url|status_code":                         {"201"},
	"url|virtualhost":                         {"www.example"},
	"url|regex":                               {"ok"},
	"url|regex_no_match":                      {""},
	"url|regex_options":                       {"caseless"},
	"DNS_CHECK|type":                          {"AAAA"},
	"DNS_CHECK|name":                          {"example.org"},
	"FILE_CHECK|track_file":                   {"tf"},
	"BFD_CHECK|name":                          {"b1"},
}

// keywordConfig builds the config of a TSV row with line kw in place of
// %KW% ("" for the base config).
func keywordConfig(r kwRow, kw string) (text string, line int, ok bool) {
	tpl, ok := rowTemplates[r.handKey()]
	if !ok {
		tpl, ok = keywordTemplates[r.context]
	}
	if !ok {
		return "", 0, false
	}
	if r.block == "SSL_GET" {
		tpl = strings.ReplaceAll(tpl, "HTTP_GET {", "SSL_GET {")
	}
	for ph, part := range templateParts {
		if part[0] == r.kw {
			tpl = strings.ReplaceAll(tpl, ph, "")
		} else {
			tpl = strings.ReplaceAll(tpl, ph, part[1])
		}
	}
	line = strings.Count(tpl[:strings.Index(tpl, "%KW%")], "\n") + 1
	return strings.ReplaceAll(tpl, "%KW%", kw), line, true
}

// kwRow is one keyword in one block: a TSV row naming two blocks or two
// keywords (HTTP_GET|SSL_GET) gives one row for each.
type kwRow struct {
	tsvKeyword
	block, kw string
}

func expandRows(rows []tsvKeyword) []kwRow {
	var out []kwRow
	for _, r := range rows {
		for _, b := range blockNames(r.context) {
			for _, k := range strings.Split(r.keyword, "|") {
				out = append(out, kwRow{tsvKeyword: r, block: b, kw: k})
			}
		}
	}
	return out
}

// key names a row as the unsupported table does: block and keyword.
func (r kwRow) key() string { return r.block + "|" + r.kw }

// handKey names the TSV row, for the hand tables.
func (r kwRow) handKey() string {
	return strings.Join(blockNames(r.context), "|") + "|" + r.keyword
}

// keywordFields is what the inventory found for one keyword.
type keywordFields struct {
	value  string
	fields []string // paths of the fields the keyword changed
	diags  *Diagnostics
	line   int // of the keyword in the config loaded
}

func loadKeywordConfig(text string) (*Config, *Diagnostics) {
	m := memMapFS(map[string]string{"etc/keepalived/keepalived.conf": text})
	return Load("/etc/keepalived/keepalived.conf", Options{
		FS: m, ConfigID: "testhost", Seed: 1, Scripts: everyUserEnv(),
	})
}

// everyUserEnv is the real system in which every user and group exists,
// so user keywords take effect whatever their value.
func everyUserEnv() *ScriptEnv {
	e := OSScriptEnv()
	e.LookupUser = func(string) (uint32, uint32, bool) { return 1000, 1000, true }
	e.LookupGroup = func(string) (uint32, bool) { return 1000, true }
	return e
}

func memMapFS(files map[string]string) memFS {
	m := fstest.MapFS{}
	for p, c := range files {
		m[p] = &fstest.MapFile{Data: []byte(c), Mode: 0o644}
	}
	return memFS{m}
}

// inventoryKeyword finds the fields a keyword sets.
func inventoryKeyword(r kwRow) keywordFields {
	base, line, ok := keywordConfig(r, "")
	if !ok {
		return keywordFields{}
	}
	bcfg, bdiags := loadKeywordConfig(base)
	// A value is wrong when it brings an error the base config has not.
	errs := func(ds *Diagnostics) map[string]bool {
		m := map[string]bool{}
		for _, d := range ds.List {
			switch d.Kind {
			case syntax.Info, syntax.Warning, syntax.Deprecated, syntax.SecurityError:
			default:
				m[d.Msg] = true
			}
		}
		return m
	}
	baseErrs := errs(bdiags)
	bad := func(ds *Diagnostics) bool {
		for m := range errs(ds) {
			if !baseErrs[m] {
				return true
			}
		}
		return false
	}
	if valueErrorsOK[r.handKey()] {
		bad = func(*Diagnostics) bool { return false }
	}
	values := handValues[r.handKey()]
	if values == nil {
		values = genericValues
	}
	var first *Diagnostics
	for _, v := range values {
		stmt := r.kw
		if v != "" {
			stmt += " " + v
		}
		text, _, _ := keywordConfig(r, stmt)
		cfg, diags := loadKeywordConfig(text)
		if first == nil {
			first = diags
		}
		if dbg := os.Getenv("KWDEBUG"); dbg == "all" || dbg == r.key() {
			fmt.Printf("%s\n%s\n", text, dump(diags))
		}
		if bad(diags) {
			continue
		}
		set := map[string]bool{}
		diffModel(reflect.ValueOf(bcfg).Elem(), reflect.ValueOf(cfg).Elem(), "", set)
		if len(set) == 0 {
			continue
		}
		var fields []string
		for f := range set {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		return keywordFields{value: v, fields: fields, diags: diags, line: line}
	}
	return keywordFields{diags: first, line: line}
}

// diffModel records the fields of the model that differ between a and b
// (structs of the same type), each as the path of fields that reaches it
// from the root: "Config.VRRPInstances/VRRPInstance.Priority". Fields
// left out of the JSON dump (positions, back references) are not
// compared.
func diffModel(a, b reflect.Value, path string, out map[string]bool) {
	t := a.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		fa, fb := a.Field(i), b.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			// An embedded block of fields, exported or not, is
			// compared field by field (its fields are promoted).
			diffModel(fa, fb, path, out)
			continue
		}
		if !f.IsExported() || f.Tag.Get("json") == "-" {
			continue
		}
		if reflect.DeepEqual(fa.Interface(), fb.Interface()) {
			continue
		}
		p := t.Name() + "." + f.Name
		if path != "" {
			p = path + "/" + p
		}
		if !diffInto(fa, fb, p, out) {
			out[p] = true
		}
	}
}

// diffInto descends into a differing value when it holds model structs
// of the same shape; false means the value itself is the leaf.
func diffInto(a, b reflect.Value, path string, out map[string]bool) bool {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return false
		}
		return diffInto(a.Elem(), b.Elem(), path, out)
	case reflect.Struct:
		if a.Type().PkgPath() != reflect.TypeOf(Config{}).PkgPath() {
			return false
		}
		diffModel(a, b, path, out)
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		descended := true
		for i := 0; i < a.Len(); i++ {
			ea, eb := a.Index(i), b.Index(i)
			if reflect.DeepEqual(ea.Interface(), eb.Interface()) {
				continue
			}
			if !diffInto(ea, eb, path, out) {
				descended = false
			}
		}
		return descended
	}
	return false
}

// pathRead says whether run-time code can see a changed field: it reads
// the field and every field on the way to it.
func pathRead(read map[string]bool, path string) bool {
	for _, f := range strings.Split(path, "/") {
		if !read[f] {
			return false
		}
	}
	return true
}

// leaf is the last field of a path.
func leaf(path string) string { return path[strings.LastIndex(path, "/")+1:] }

// confPath is this package's import path.
const confPath = "github.com/gokeepalived/gokeepalived/conf"

// fieldsReadOutsideConf lists, as Type.Field, the fields of this
// package's types that the module's other packages read: the non-test
// sources of each are type-checked against the compiler's export data
// (go list -export), and every selector that resolves to a field of a
// conf type counts, unless it is only the target of an assignment. An
// exported method of a model type used outside conf counts as reading
// the fields it selects on its receiver (SchedFlags.Bits reads Flag1).
func fieldsReadOutsideConf(t *testing.T) map[string]bool {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-export", "-json", "./...")
	cmd.Dir = ".."
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type listPkg struct {
		ImportPath, Dir, Export string
		GoFiles                 []string
		Module                  *struct{ Main bool }
	}
	pkgs := map[string]*listPkg{}
	var own []*listPkg
	for dec := json.NewDecoder(bytes.NewReader(out)); dec.More(); {
		p := &listPkg{}
		if err := dec.Decode(p); err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = p
		if p.Module != nil && p.Module.Main && p.ImportPath != confPath && !strings.HasPrefix(p.ImportPath, confPath+"/") {
			own = append(own, p)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		if p := pkgs[path]; p != nil && p.Export != "" {
			return os.Open(p.Export)
		}
		return nil, fmt.Errorf("no export data for %s", path)
	})
	confPkg, err := imp.Import(confPath)
	if err != nil {
		t.Fatal(err)
	}
	fieldName := map[*types.Var]string{}
	for _, n := range confPkg.Scope().Names() {
		tn, ok := confPkg.Scope().Lookup(n).(*types.TypeName)
		if !ok {
			continue
		}
		if st, ok := tn.Type().Underlying().(*types.Struct); ok {
			for i := 0; i < st.NumFields(); i++ {
				fieldName[st.Field(i)] = n + "." + st.Field(i).Name()
			}
		}
	}
	read := map[string]bool{}
	methods := map[string]bool{} // Type.Method of conf used outside
	for _, p := range own {
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}}
		if _, err := (&types.Config{Importer: imp}).Check(p.ImportPath, fset, files, info); err != nil {
			t.Fatalf("type-checking %s: %v", p.ImportPath, err)
		}
		for _, f := range files {
			written := assignedSelectors(f)
			for sel, s := range info.Selections {
				if written[sel] {
					continue
				}
				switch obj := s.Obj().(type) {
				case *types.Var:
					if n, ok := fieldName[obj.Origin()]; ok {
						read[n] = true
					}
				case *types.Func:
					if obj.Pkg() == confPkg {
						if named, ok := derefNamed(s.Recv()); ok {
							methods[named+"."+obj.Name()] = true
						}
					}
				}
			}
		}
	}
	// The model's methods, read from this package's own sources.
	confFiles, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range confFiles {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || len(fd.Recv.List[0].Names) == 0 {
				continue
			}
			recvType := fd.Recv.List[0].Type
			if st, ok := recvType.(*ast.StarExpr); ok {
				recvType = st.X
			}
			id, ok := recvType.(*ast.Ident)
			if !ok || !methods[id.Name+"."+fd.Name.Name] {
				continue
			}
			recv := fd.Recv.List[0].Names[0].Name
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if s, ok := n.(*ast.SelectorExpr); ok {
					if x, ok := s.X.(*ast.Ident); ok && x.Name == recv {
						read[id.Name+"."+s.Sel.Name] = true
					}
				}
				return true
			})
		}
	}
	if len(read) < 100 {
		t.Fatalf("only %d model fields read outside conf: scan broken?", len(read))
	}
	return read
}

// assignedSelectors are the selectors a file only assigns to.
func assignedSelectors(f *ast.File) map[*ast.SelectorExpr]bool {
	written := map[*ast.SelectorExpr]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if a, ok := n.(*ast.AssignStmt); ok && a.Tok == token.ASSIGN {
			for _, l := range a.Lhs {
				if s, ok := l.(*ast.SelectorExpr); ok {
					written[s] = true
				}
			}
		}
		return true
	})
	return written
}

func derefNamed(t types.Type) (string, bool) {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	if !ok {
		return "", false
	}
	return n.Obj().Name(), true
}

// TestKeywordCoverage: every keyword of keepalived 2.2.7 has its effect
// at run time, is reported as accepted but not supported where it is met,
// or acts entirely while the configuration is read (issue 13). Run with
// KWDEBUG=all (or block|keyword) to see the configs tried, -v for the
// inventory.
func TestKeywordCoverage(t *testing.T) {
	rows := expandRows(readKeywordsTSV(t))
	read := fieldsReadOutsideConf(t)
	known := map[string]bool{}
	var supported, unsupported, parseTime int
	for _, r := range rows {
		key := r.key()
		known[key] = true
		_, listed := unsupportedKeywords[r.block][r.kw]
		if _, ok := parseTimeKeywords[key]; ok {
			if listed {
				t.Errorf("%s is both parse-time and unsupported", key)
			}
			parseTime++
			continue
		}
		kf := inventoryKeyword(r)
		effect := false
		var shown []string
		for _, f := range kf.fields {
			mark := "-"
			if pathRead(read, f) {
				effect, mark = true, "+"
			}
			shown = append(shown, mark+leaf(f))
		}
		t.Logf("%-14s %-36s %q %v", r.block, r.kw, kf.value, shown)
		notices := 0
		want := fmt.Sprintf(unsupportedNotice, r.kw)
		for _, d := range kf.diags.List {
			// Only the keyword's own line: the config around it
			// may hold the keyword too (bfd_instance).
			if d.Msg == want && d.Pos.Line == kf.line {
				notices++
				if d.Kind != syntax.Info || d.Pos.Col != 1 {
					t.Errorf("%s: notice %q, want an info at line %d col 1", key, d, kf.line)
				}
			}
		}
		switch {
		case listed && effect && ignoredAtRunTime[key] == "":
			t.Errorf("%s: stale entry of unsupportedKeywords: it sets %v, read outside conf", key, shown)
		case listed:
			unsupported++
			if notices != 1 {
				t.Errorf("%s: %d notices %q, want 1:\n%s", key, notices, want, dump(kf.diags))
			}
		case effect:
			supported++
			if notices != 0 {
				t.Errorf("%s: supported but reported as not", key)
			}
		case len(kf.fields) == 0:
			t.Errorf("%s: no value found that changes the model: add one to handValues or rowTemplates, or list the keyword in parseTimeKeywords", key)
		default:
			t.Errorf("%s: sets %v, which nothing outside package conf reads: give it its effect or add it to unsupportedKeywords (conf/unsupported.go)", key, shown)
		}
	}
	for _, k := range newerKeywords(t) {
		known[k] = true // keepalived 2.4.3's may be listed too
	}
	for block, m := range unsupportedKeywords {
		for kw := range m {
			if !known[block+"|"+kw] {
				t.Errorf("unsupportedKeywords: %s in %s is not a keyword of keepalived 2.2.7 or 2.4.3", kw, block)
			}
		}
	}
	for _, m := range []map[string]string{parseTimeKeywords, ignoredAtRunTime} {
		for key := range m {
			if !known[key] {
				t.Errorf("%s is not a keyword of keepalived 2.2.7", key)
			}
		}
	}
	// Counted per keyword and block: a TSV row naming HTTP_GET|SSL_GET
	// counts twice.
	t.Logf("keyword coverage: %d supported, %d accepted-but-unsupported, %d parse-time", supported, unsupported, parseTime)
}

// TestStrictUnsupportedKeyword: the notice of an unsupported keyword is
// an info that leaves the verdict alone, and --strict makes it an error.
func TestStrictUnsupportedKeyword(t *testing.T) {
	text := "global_defs {\n router_id A\n vrrp_no_swap\n}\n"
	files := map[string]string{"etc/keepalived/keepalived.conf": text}
	want := "'vrrp_no_swap' is accepted but not supported by gokeepalived"
	for _, strict := range []bool{false, true} {
		_, ds := loadFiles(t, files, Options{Strict: strict})
		d := mustHave(t, ds, want)
		wantPos(t, d, 3, 2)
		kind, code := syntax.Info, ExitOK
		if strict {
			kind, code = syntax.GeneralError, ExitErrors
		}
		if d.Kind != kind || ds.ExitCode() != code || len(ds.List) != 1 {
			t.Errorf("strict=%v: %s, exit %d; want kind %s, exit %d, one diagnostic", strict, d, ds.ExitCode(), kind, code)
		}
	}
}
