// Package vrrpd drives the vrrp core: a Runtime owns every configured
// vrrp.Instance in one loop goroutine and performs their actions on the
// kernel boundary its Deps give (vrrp/netio has the real ones,
// vrrp/vrrptest fakes). Its collaborators, a file or two each: the loop
// and its timers (loop.go, sched.go, clock.go); sockets (sockets.go,
// demux.go); addresses, owning VIPs, routes, rules and the firewall
// (addresses.go, iproute.go, firewall.go, vmac.go, garp.go); trackers
// (trackers.go, track_script.go, track_process.go, track_file.go); sync
// groups (syncgroups.go); the notifier, owning scripts, FIFOs and mail
// (notify.go, mail.go); reload (reload.go, plan.go); the dumps' reports
// (status.go).
package vrrpd
