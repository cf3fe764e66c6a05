/* LD_PRELOAD shim for benchmarking keepalived --check on a kernel without
 * IPVS (scripts/bench/checks-vs-keepalived.sh): the IPVS generic-netlink
 * family resolves to a made-up id and every IPVS request is acknowledged
 * without reaching the kernel. The checkers themselves (sockets, timers,
 * event loop) are keepalived's own and untouched; in steady state with
 * every server up keepalived sends no IPVS request at all.
 *   cc -shared -fPIC -O2 -o fakeipvs.so fakeipvs.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

struct nl_sock;
struct nl_msg;
typedef int (*nl_cb_fn)(struct nl_msg *, void *);

static struct nl_sock *ipvs_sock;
static nl_cb_fn ack_fn;
static void *ack_arg;

int genl_ctrl_resolve(struct nl_sock *sk, const char *name)
{
	static int (*real)(struct nl_sock *, const char *);
	if (strcmp(name, "IPVS") == 0) {
		ipvs_sock = sk;
		return 0x7a;
	}
	if (!real)
		real = dlsym(RTLD_NEXT, "genl_ctrl_resolve");
	return real(sk, name);
}

/* enum nl_cb_type: NL_CB_ACK is 4 in libnl-3 */
int nl_socket_modify_cb(struct nl_sock *sk, int type, int kind, nl_cb_fn fn, void *arg)
{
	static int (*real)(struct nl_sock *, int, int, nl_cb_fn, void *);
	if (sk == ipvs_sock && type == 4) {
		ack_fn = fn;
		ack_arg = arg;
	}
	if (!real)
		real = dlsym(RTLD_NEXT, "nl_socket_modify_cb");
	return real(sk, type, kind, fn, arg);
}

int nl_send_auto(struct nl_sock *sk, struct nl_msg *msg)
{
	static int (*real)(struct nl_sock *, struct nl_msg *);
	if (sk == ipvs_sock)
		return 1;
	if (!real)
		real = dlsym(RTLD_NEXT, "nl_send_auto");
	return real(sk, msg);
}

int nl_recvmsgs_default(struct nl_sock *sk)
{
	static int (*real)(struct nl_sock *);
	if (sk == ipvs_sock) {
		if (ack_fn)
			ack_fn(NULL, ack_arg); /* sets keepalived's nl_ack_flag */
		return 0;
	}
	if (!real)
		real = dlsym(RTLD_NEXT, "nl_recvmsgs_default");
	return real(sk);
}
