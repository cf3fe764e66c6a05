package conf

import "testing"

func TestTrackerWeightReverse(t *testing.T) {
	cfg, ds := loadString(t, `vrrp_script chk {
    script "/bin/true"
    weight -20 reverse
}
track_file tf {
    file /tmp/x
    weight 3 sideways
}
global_defs {
    vrrp_mcast_group6 224.0.0.18
}
`)
	if len(cfg.VRRPScripts) != 1 || cfg.VRRPScripts[0].Weight != -20 || !cfg.VRRPScripts[0].Reverse {
		t.Errorf("vrrp_script %+v", cfg.VRRPScripts)
	}
	if d := mustHave(t, ds, "track_file tf unknown weight option sideways"); d.Pos.Line != 7 || d.Pos.Col != 14 {
		t.Errorf("at %v", d.Pos)
	}
	if len(cfg.TrackFiles) != 1 || cfg.TrackFiles[0].Reverse || cfg.TrackFiles[0].Weight != 3 {
		t.Errorf("track_file %+v", cfg.TrackFiles)
	}
	mustHave(t, ds, "vrrp_mcast_group6 [224.0.0.18] is not IPv6. Skipping")
}
