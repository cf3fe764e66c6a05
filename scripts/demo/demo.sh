#!/bin/sh
# scripts/demo/demo.sh - the gokeepalived demo, run as root on a kernel with
# IPVS: inside the qemu rig (`make demo`) or directly (`make demo VM=0`).
#
# Network namespaces: a client, two directors lb1/lb2 running gokeepalived
# (one VRRP instance holding the VIP 10.10.31.100 and the real servers'
# gateway 192.168.31.1; one NAT virtual server, rr, HTTP_GET checks), two
# busybox httpd real servers rs1/rs2, and a switch namespace with the two
# bridges. The client fetches http://VIP/ in a loop and logs who answered.
# Each step is narrated, timed and asserted; a failed expectation exits 1
# with a message saying which.
#
# Environment: GOKEEPALIVED the binary (default: gokeepalived in PATH);
# DEMO_DIR work directory (default: a new /tmp/gkdemo.XXXXXX, kept);
# DEMO_FAULT=nocheck is a test hook: real servers without health checks,
# so the demo must fail at "rs1 stopped".
# POSIX sh: the VM has dash and busybox, no bash.
set -u

VIP=10.10.31.100
GW=192.168.31.1
RS1=192.168.31.101
RS2=192.168.31.102
NSS="gkd-client gkd-lb1 gkd-lb2 gkd-rs1 gkd-rs2 gkd-sw"

# Bounds in ms. Under qemu TCG on a loaded 2-core host everything is
# several times slower than native, hence the slack over the protocol's
# own times (delay_loop 2, advert_int 1). A stopped server refuses the
# connect, so connect_timeout (3 s, for a busy httpd under TCG) does not
# add to its detection.
B_START=15000   # lb1 MASTER after start: 3 x advert + skew + start-up
B_DETECT=6000   # delay_loop + 4 s
B_RESTORE=8000  # two check rounds (keepalived's HTTP_GET recovery) + 3 s
B_FAILOVER=8000 # 3 x advert_int + skew (0.61 s at priority 100) + 4 s
B_PREEMPT=12000 # start-up + 3 x advert_int + skew (0.41 s) + 4 s
B_GAP=12000     # longest time without an answer during a failover
OBSERVE=4000    # steady state watched after each step

# now_ms sets NOW to /proc/uptime in ms (10 ms resolution, no fork).
now_ms() {
	read -r up _ </proc/uptime
	fr=${up#*.}
	fr=${fr#0} # no octal in $(( ))
	NOW=$((${up%.*} * 1000 + fr * 10))
}

# secs MS prints MS as seconds with two decimals.
secs() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }

# The VM runs only when the host gives qemu CPU: on a loaded host it can
# stall for seconds while its clock runs on, and every timer fires late.
# lagmeter logs sleeps that end over 150 ms late ("end_ms late_ms"); each
# bound is extended by the stall seen during its step.
lagmeter() {
	while [ ! -e "$D/stop" ]; do
		now_ms
		a=$NOW
		sleep 0.2
		now_ms
		l=$((NOW - a - 200))
		[ $l -le 150 ] || echo "$NOW $l" >>"$D/lag.log"
	done
}
# stall FROM TO: STALL, the lateness logged within [FROM, TO] in ms; below
# 500 ms it is noise and 0.
stall() {
	STALL=$(awk -v a="$1" -v b="$2" '{ s0 = $1 - $2; e = $1 < b ? $1 : b; if (s0 < a) s0 = a; if (e > s0) s += e - s0 }
		END { print s + 0 }' "$D/lag.log")
	[ "$STALL" -ge 500 ] || STALL=0
}
stalled() { [ "$1" -eq 0 ] || printf ' + %s s VM stall' "$(secs "$1")"; }
# The client loop, run inside gkd-client: one request at a time, logged as
# "start_ms end_ms answer" (rs1, rs2 or FAIL, which includes no answer
# within 3 s).
if [ "${1:-}" = client ]; then
	while [ ! -e "$3" ]; do
		now_ms
		t0=$NOW
		r=$(busybox timeout 3 busybox wget -q -O - "http://$VIP/" 2>/dev/null) || r=FAIL
		case $r in rs1 | rs2) ;; *) r=FAIL ;; esac
		now_ms
		echo "$t0 $NOW $r" >>"$2"
		sleep 0.2
	done
	exit 0
fi

now_ms
START=$NOW
say() {
	now_ms
	printf '[%6s s] %s\n' "$(secs $((NOW - START)))" "$*"
}

D=${DEMO_DIR:-}
CLOG=
GK=${GOKEEPALIVED:-gokeepalived}
PID_lb1='' PID_lb2='' PID_rs1='' PID_rs2='' PID_client='' PID_lag=''

diag() {
	echo "---- diagnostics (work directory $D)"
	for n in lb1 lb2; do
		echo "-- $n: addresses"
		ip -n "gkd-$n" -4 -o addr show 2>&1 | grep -v ' lo ' | awk '{print "   ", $2, $4}'
		echo "-- $n: ipvsadm -Ln"
		ip netns exec "gkd-$n" ipvsadm -Ln 2>&1 | sed 's/^/    /'
		echo "-- $n: log (last 25 lines)"
		tail -n 25 "$D/$n.log" 2>/dev/null | sed 's/^/    /'
	done
	if [ -n "$CLOG" ]; then
		echo "-- client: last 15 requests (start_ms end_ms answer)"
		tail -n 15 "$CLOG" | sed 's/^/    /'
		stall "$START" "$NOW"
		echo "-- VM stalled by host load: $(secs "$STALL") s in all (lag.log)"
	fi
}

fail() {
	say "DEMO FAILED: $*"
	diag
	exit 1
}

# stop_pid PID: SIGTERM, then SIGKILL after 5 s; reaps our child.
stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup() {
	[ -n "$D" ] && : >"$D/stop"
	# The client exits by itself within one request (timeout 3 s).
	if [ -n "$PID_client" ]; then
		i=0
		while kill -0 "$PID_client" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		stop_pid "$PID_client"
	fi
	for p in "$PID_lb1" "$PID_lb2" "$PID_rs1" "$PID_rs2" "$PID_lag"; do
		stop_pid "$p"
	done
	for ns in $NSS; do
		ip netns del "$ns" 2>/dev/null
	done
}

# ---- pre-flight
[ "$(id -u)" = 0 ] || {
	echo "demo: must run as root (network namespaces, IPVS)" >&2
	exit 1
}
case $GK in
*/*) ;;
*) GK=$(command -v "$GK") || {
	echo "demo: gokeepalived not found (set GOKEEPALIVED)" >&2
	exit 1
} ;;
esac
[ -x "$GK" ] || {
	echo "demo: $GK is not executable" >&2
	exit 1
}
for tool in ip ipvsadm busybox awk; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "demo: $tool is missing" >&2
		exit 1
	}
done
if [ -z "$D" ]; then
	D=$(mktemp -d /tmp/gkdemo.XXXXXX) || exit 1
fi
mkdir -p "$D/lb1" "$D/lb2" "$D/rs1" "$D/rs2"
rm -f "$D/stop" "$D/client.log" "$D/lb1.log" "$D/lb2.log"
CLOG=$D/client.log
: >"$CLOG"
# Leftovers of an interrupted run.
for ns in $NSS; do
	ip netns del "$ns" 2>/dev/null
done
: >"$D/lag.log"
trap cleanup EXIT
lagmeter &
PID_lag=$!
say "setting up namespaces, bridges and veths"
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- network
# nsip NS ARGS...: `ip -n NS ARGS`, failing the demo on error (cheaper
# than `ip netns exec`, which also sets up a mount namespace).
nsip() {
	ns=$1
	shift
	ip -n "$ns" "$@" || fail "ip -n $ns $* failed"
}
for ns in $NSS; do
	ip netns add "$ns" || fail "ip netns add $ns failed"
	nsip "$ns" link set lo up
done
if ! ip netns exec gkd-sw ipvsadm -Ln >/dev/null 2>&1; then
	echo "demo: this kernel has no IPVS (ipvsadm -Ln fails); run \`make demo\`, which boots the VM rig" >&2
	exit 1
fi
for br in front back; do
	nsip gkd-sw link add "$br" type bridge mcast_snooping 0
	nsip gkd-sw link set "$br" up
done
# plug NODE IFACE BRIDGE ADDR/LEN: a veth from NODE's IFACE to the bridge.
plug() {
	port=${1#gkd-}-$2
	nsip gkd-sw link add "$port" type veth peer name "$2" netns "$1"
	nsip gkd-sw link set "$port" master "$3" up
	nsip "$1" addr add "$4" dev "$2"
	nsip "$1" link set "$2" up
}
plug gkd-client eth0 front 10.10.31.2/24
plug gkd-lb1 eth0 front 10.10.31.11/24
plug gkd-lb1 eth1 back 192.168.31.11/24
plug gkd-lb2 eth0 front 10.10.31.12/24
plug gkd-lb2 eth1 back 192.168.31.12/24
plug gkd-rs1 eth0 back $RS1/24
plug gkd-rs2 eth0 back $RS2/24
for n in lb1 lb2; do
	ip netns exec "gkd-$n" sysctl -q -w net.ipv4.ip_forward=1 || fail "ip_forward in gkd-$n"
done
# NAT replies must go back through the director: the gateway is a VIP.
for n in rs1 rs2; do
	nsip "gkd-$n" route add default via $GW
	echo "$n" >"$D/$n/index.html"
done

# ---- configs
conf() { # NAME PRIORITY
	cat <<EOF
global_defs {
    router_id ${1}
}

vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $2
    advert_int 1
    virtual_ipaddress {
        $VIP/24 dev eth0
        $GW/24 dev eth1
    }
}

virtual_server $VIP 80 {
    delay_loop 2
    lb_algo rr
    lb_kind NAT
    protocol TCP
EOF
	for rs in $RS1 $RS2; do
		if [ "${DEMO_FAULT:-}" = nocheck ]; then
			printf '    real_server %s 80 {\n        weight 1\n    }\n' "$rs"
			continue
		fi
		cat <<EOF
    real_server $rs 80 {
        weight 1
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 3
            retry 0
            delay_before_retry 1
        }
    }
EOF
	done
	echo "}"
}
conf LB1 150 >"$D/lb1.conf"
conf LB2 100 >"$D/lb2.conf"
say "network ready"
for n in lb1 lb2; do
	out=$(ip netns exec "gkd-$n" "$GK" -t -f "$D/$n.conf" 2>&1) || fail "gokeepalived -t rejects $D/$n.conf: $out"
done

# ---- helpers for the story
start_rs() { # rs1|rs2
	ip netns exec "gkd-$1" busybox httpd -f -p 80 -h "$D/$1" &
	eval "PID_$1=$!"
}
stop_rs() {
	eval "p=\$PID_$1"
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	eval "PID_$1=''"
}
start_lb() { # lb1|lb2
	ip netns exec "gkd-$1" "$GK" -n -l -G -f "$D/$1.conf" \
		-p "$D/$1/keepalived.pid" -r "$D/$1/vrrp.pid" -c "$D/$1/checkers.pid" \
		--control-socket "$D/$1/gk.sock" >>"$D/$1.log" 2>&1 &
	eval "PID_$1=$!"
}
has_addr() { ip -n "gkd-$1" -4 -o addr show dev "$2" 2>/dev/null | grep -q " $3/"; }
owns() { has_addr "$1" eth0 $VIP && has_addr "$1" eth1 $GW; }
holds_none() { ! has_addr "$1" eth0 $VIP && ! has_addr "$1" eth1 $GW; }
master_is() { owns "$1" && holds_none "$2"; }
in_table() { ip netns exec "gkd-$1" ipvsadm -Ln 2>/dev/null | grep -q -- "-> $2:80 "; }
not() { ! "$@"; }
log_has() { grep -qF -- "$2" "$D/$1.log"; }

# wait_for BOUND_MS CMD...: runs CMD every 100 ms until it succeeds (up
# to three times the bound, so an overrun is measured too); EL is the time since
# T0. Returns 1 if it never succeeded.
wait_for() {
	limit=$(($1 * 3))
	shift
	while :; do
		if "$@"; then
			now_ms
			EL=$((NOW - T0))
			return 0
		fi
		now_ms
		[ $((NOW - T0)) -le $limit ] || return 1
		sleep 0.1
	done
}
# within BOUND_MS WHAT: assert the EL just measured; ST is the stall.
within() {
	stall "$T0" "$NOW"
	ST=$STALL
	[ "$EL" -le $(($1 + ST)) ] || fail "$2 took $(secs "$EL") s, bound $(secs "$1") s$(stalled "$ST")"
}
# quiet: no failed request in the observed window, unless the VM stalled.
quiet() { [ "$NF" -eq 0 ] || [ "$EXCUSED" = 1 ]; }

# count FROM TO: requests that ended in [FROM, TO): N RS1 RS2 FAIL. By
# their end, so that one in flight when a step starts counts in that step.
count() {
	# shellcheck disable=SC2046 # four numbers
	set -- $(awk -v a="$1" -v b="$2" '$2 >= a && $2 < b { n++; if ($3 == "rs1") r1++; else if ($3 == "rs2") r2++; else f++ }
		END { printf "%d %d %d %d\n", n, r1, r2, f }' "$CLOG")
	N=$1 N1=$2 N2=$3 NF=$4
}
# gap FROM TO: GAP, the longest time in [FROM, TO] without an answer (the
# ends of successive successful requests).
gap() {
	GAP=$(awk -v a="$1" -v b="$2" 'BEGIN { last = a; g = 0 }
		$3 != "FAIL" && $2 >= a && $2 <= b { if ($2 - last > g) g = $2 - last; last = $2 }
		END { if (b - last > g) g = b - last; print g }' "$CLOG")
}
# observe WHAT: watch OBSERVE ms of traffic from now on and print it; sets
# the window's counts.
observe() {
	now_ms
	o0=$NOW
	sleep $((OBSERVE / 1000))
	now_ms
	count $o0 $NOW
	# A request sent before the window (into the outage a step caused)
	# that fails within it belongs to that step's outage, counted there,
	# not to the steady state observed here.
	NF=$(awk -v a="$o0" -v b="$NOW" '$1 >= a && $2 < b && $3 != "rs1" && $3 != "rs2" { f++ } END { print f + 0 }' "$CLOG")
	say "  $1: $N requests, rs1 $N1, rs2 $N2, failed $NF"
	stall $o0 $NOW
	EXCUSED=0
	if [ "$STALL" -ge 1000 ] && { [ "$NF" -gt 0 ] || [ "$N" -lt 3 ]; }; then
		EXCUSED=1
		say "  (the VM stalled $(secs "$STALL") s meanwhile, host load: failures not held against gokeepalived)"
	fi
	[ "$N" -ge 3 ] || [ "$EXCUSED" = 1 ] || fail "$1: only $N requests in $(secs $OBSERVE) s (client stuck?)"
}
# wait_answer RS: wait for a request started after T0 answered by RS.
answered() { awk -v a="$T0" -v s="$1" '$1 >= a && $3 == s { found = 1 } END { exit !found }' "$CLOG"; }

# outage: since T0, the failed requests (F) and the longest time without
# an answer (G, bounded by B_GAP plus the VM's stall SG).
outage() {
	count "$T0" "$NOW"
	F=$NF
	gap "$T0" "$NOW"
	G=$GAP
	stall "$T0" "$NOW"
	SG=$STALL
	[ "$G" -le $((B_GAP + SG)) ] || fail "the client went $(secs "$G") s without an answer (bound $(secs $B_GAP) s$(stalled "$SG"))"
	say "  service gap seen by the client: $(secs "$G") s, $F requests failed"
}

SUMMARY=''
row() { # WHAT MS BOUND_MS STALL_MS [FAILED]
	SUMMARY="$SUMMARY$(printf '  %-36s %6s s  (bound %5s s%s)' "$1" "$(secs "$2")" "$(secs "$3")" "$(stalled "$4")")${5:+$(printf '  %3s failed requests' "$5")}
"
}

# ---- 1. directors
say "topology: client 10.10.31.2 -- [front] -- lb1 .11 / lb2 .12 -- [back] -- rs1 .101, rs2 .102"
say "  VIP $VIP (client side) and gateway $GW (server side) in one VRRP instance; lb1 priority 150, lb2 100"
start_rs rs1
start_rs rs2
# Checks must not find the servers still starting.
now_ms
T0=$NOW
for rs in $RS1 $RS2; do
	wait_for 10000 ip netns exec gkd-lb1 busybox timeout 3 busybox wget -q -O /dev/null "http://$rs/" ||
		fail "httpd on $rs does not answer"
done
now_ms
T0=$NOW
start_lb lb1
say "lb1: gokeepalived started (pid $PID_lb1)"
wait_for $B_START owns lb1 || fail "lb1 never took the VIP and the gateway"
within $B_START "lb1 becoming MASTER"
T_START=$EL S_START=$ST
pf=$(cat "$D/lb1/keepalived.pid" 2>/dev/null)
[ "$pf" = "$PID_lb1" ] || fail "lb1's pidfile says '$pf', its pid is $PID_lb1"
say "lb1 is MASTER after $(secs "$T_START") s: $VIP and $GW are on lb1"
now_ms
T0=$NOW
start_lb lb2
say "lb2: gokeepalived started (pid $PID_lb2)"
wait_for 10000 log_has lb2 "(VI_1) Entering BACKUP STATE" || fail "lb2 never logged (VI_1) Entering BACKUP STATE"
for n in lb1 lb2; do
	wait_for 10000 in_table $n $RS1 || fail "$n never put rs1 in its IPVS table"
	wait_for 10000 in_table $n $RS2 || fail "$n never put rs2 in its IPVS table"
done
sleep 2 # two adverts: lb2 must stay BACKUP
master_is lb1 lb2 || fail "lb1 should hold the addresses and lb2 none"
say "lb2 is BACKUP; both directors have rs1 and rs2 in IPVS (rr, NAT):"
ip netns exec gkd-lb1 ipvsadm -Ln | sed 's/^/             /'

# ---- 2. traffic
ip netns exec gkd-client sh "$0" client "$CLOG" "$D/stop" 2>"$D/client.err" &
PID_client=$!
say "client: GET http://$VIP/ in a loop (one at a time, 0.2 s apart)"
observe "through lb1"
quiet || fail "$NF requests failed with both servers up"
if [ "$EXCUSED" = 0 ]; then
	[ "$N1" -ge 2 ] && [ "$N2" -ge 2 ] || fail "requests not spread over both servers (rs1 $N1, rs2 $N2)"
	d=$((N1 - N2))
	[ ${d#-} -le 2 ] || fail "rr should alternate: rs1 $N1, rs2 $N2"
fi

# ---- 3. rs1 stopped
now_ms
T0=$NOW
stop_rs rs1
say "rs1: httpd killed"
wait_for $B_DETECT not in_table lb1 $RS1 || fail "rs1 was never removed from lb1's IPVS table"
within $B_DETECT "removing rs1"
T_DETECT=$EL S_DETECT=$ST
log_has lb1 "Removing service [$RS1]:tcp:80 from VS [$VIP]:tcp:80" || fail "lb1's log lacks keepalived's 'Removing service [$RS1]:tcp:80 from VS [$VIP]:tcp:80'"
say "rs1 out of rotation after $(secs "$T_DETECT") s"
observe "rs2 alone"
quiet && [ "$N1" -eq 0 ] || fail "with rs1 out of rotation: $NF failed, $N1 answered by rs1"
count "$T0" "$NOW"
F_DETECT=$NF
say "  $F_DETECT requests failed since rs1 stopped (sent to it before the check saw it down)"
row "rs1 stopped -> out of rotation" "$T_DETECT" $B_DETECT "$S_DETECT" "$F_DETECT"

# ---- 4. rs1 restored
now_ms
T0=$NOW
start_rs rs1
say "rs1: httpd started again"
wait_for $B_RESTORE in_table lb1 $RS1 || fail "rs1 never came back into lb1's IPVS table"
within $B_RESTORE "restoring rs1"
T_RESTORE=$EL S_RESTORE=$ST
wait_for $((B_RESTORE + 3000)) answered rs1 || fail "the client never got an answer from rs1 again"
say "rs1 back in rotation after $(secs "$T_RESTORE") s; client answered by rs1 after $(secs "$EL") s"
observe "both again"
quiet && { [ "$EXCUSED" = 1 ] || { [ "$N1" -ge 1 ] && [ "$N2" -ge 1 ]; }; } || fail "after rs1's return: $NF failed, rs1 $N1, rs2 $N2"
count "$T0" "$NOW"
F_RESTORE=$NF
row "rs1 restored -> back in rotation" "$T_RESTORE" $B_RESTORE "$S_RESTORE" "$F_RESTORE"

# ---- 5. lb1 crashes
# A SIGKILLed daemon leaves its VIPs and IPVS table in lb1's kernel, which
# would go on forwarding; cutting lb1's links too makes it a dead host.
pid=$(cat "$D/lb1/keepalived.pid" 2>/dev/null)
[ "$pid" = "$PID_lb1" ] || fail "lb1's pidfile says '$pid', its pid is $PID_lb1"
now_ms
T0=$NOW
kill -KILL "$pid"
ip -n gkd-lb1 link set eth0 down
ip -n gkd-lb1 link set eth1 down
wait "$pid" 2>/dev/null
PID_lb1=''
say "lb1 crashes: gokeepalived SIGKILLed (pid $pid), links cut"
wait_for $B_FAILOVER owns lb2 || fail "lb2 never took the VIP and the gateway"
within $B_FAILOVER "failover to lb2"
T_FAILOVER=$EL S_FAILOVER=$ST
log_has lb2 "(VI_1) Entering MASTER STATE" || fail "lb2's log lacks (VI_1) Entering MASTER STATE"
say "lb2 is MASTER after $(secs "$T_FAILOVER") s"
observe "through lb2"
quiet && { [ "$EXCUSED" = 1 ] || { [ "$N1" -ge 1 ] && [ "$N2" -ge 1 ]; }; } || fail "through lb2: $NF failed, rs1 $N1, rs2 $N2"
outage
F_FAILOVER=$F G_FAILOVER=$G SG_FAILOVER=$SG
row "lb1 crash -> lb2 MASTER (VIP moved)" "$T_FAILOVER" $B_FAILOVER "$S_FAILOVER" "$F_FAILOVER"
row "  client without an answer" "$G_FAILOVER" $B_GAP "$SG_FAILOVER"

# ---- 6. lb1 back
now_ms
T0=$NOW
ip -n gkd-lb1 link set eth0 up
ip -n gkd-lb1 link set eth1 up
start_lb lb1
say "lb1 back: links up, gokeepalived started (pid $PID_lb1)"
wait_for $B_PREEMPT master_is lb1 lb2 || fail "lb1 never took the VIP back from lb2"
within $B_PREEMPT "lb1 preempting"
T_PREEMPT=$EL S_PREEMPT=$ST
say "lb1 preempted: MASTER again after $(secs "$T_PREEMPT") s, lb2 BACKUP"
observe "through lb1 again"
quiet && { [ "$EXCUSED" = 1 ] || { [ "$N1" -ge 1 ] && [ "$N2" -ge 1 ]; }; } || fail "through lb1 again: $NF failed, rs1 $N1, rs2 $N2"
outage
F_PREEMPT=$F G_PREEMPT=$G SG_PREEMPT=$SG
log_has lb2 "(VI_1) Entering BACKUP STATE" || fail "lb2's log lacks (VI_1) Entering BACKUP STATE"
row "lb1 back -> preempts" "$T_PREEMPT" $B_PREEMPT "$S_PREEMPT" "$F_PREEMPT"
row "  client without an answer" "$G_PREEMPT" $B_GAP "$SG_PREEMPT"

# ---- summary
now_ms
count 0 "$NOW"
echo
echo "==== gokeepalived demo: summary"
printf '  %-36s %6s s  (bound %5s s%s)\n' "lb1 start -> MASTER" "$(secs "$T_START")" "$(secs $B_START)" "$(stalled "$S_START")"
printf '%s' "$SUMMARY"
stall "$START" "$NOW"
echo "  VM stalled by host load: $(secs "$STALL") s in all (added to the bound of the step it hit)"
echo "  requests: $N total, $((N - NF)) answered (rs1 $N1, rs2 $N2), $NF failed"
now_ms
echo "  demo time: $(secs $((NOW - START))) s"
echo "==== PASS"
