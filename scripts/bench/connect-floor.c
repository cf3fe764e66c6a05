/*
 * connect-floor: the least CPU a TCP_CHECK can cost on loopback.
 *
 * A child process listens on NADDR loopback addresses (accept, read to
 * EOF, close: what checkbench's listeners do). The parent does nothing
 * but TCP_CHECK's work, N times, as fast as it can: a non-blocking
 * socket, connect, a second connect to see it completed (on loopback the
 * handshake finishes inside the first), close. No event loop, no
 * scheduling, no state: whatever CPU it uses per connection is kernel
 * time any checker pays, so N/s at this cost is a floor for the checker
 * benchmark's "cores".
 *
 *   cc -O2 -o /tmp/connect-floor scripts/bench/connect-floor.c
 *   /tmp/connect-floor [N [fin|rst [RATE]]]
 * rst closes with SO_LINGER 0; RATE paces the checks (per second, in
 * 1 ms batches) as a checker's schedule does: a paced connection costs
 * more than one in a tight loop (cold caches, a wake-up each batch).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NADDR 64
#define PORT 20999

static struct sockaddr_in addr_of(int i)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	sa.sin_addr.s_addr = htonl(0x7f630000u | (uint32_t)(i + 1)); /* 127.99.0.x */
	return sa;
}

static double cpu_us(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
}

static double sys_us(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
}

/* listen: accept, read to EOF (or RST), close; until killed */
static void serve(int ready)
{
	int ep = epoll_create1(0), lfd[NADDR];
	for (int i = 0; i < NADDR; i++) {
		struct sockaddr_in sa = addr_of(i);
		int one = 1;
		lfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		setsockopt(lfd[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(lfd[i], (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd[i], 4096)) {
			perror("listen");
			exit(1);
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)lfd[i] | 1ull << 32};
		epoll_ctl(ep, EPOLL_CTL_ADD, lfd[i], &ev);
	}
	if (write(ready, "r", 1) != 1)
		exit(1);
	struct epoll_event evs[256];
	char buf[512];
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int k = 0; k < n; k++) {
			int fd = (int)(uint32_t)evs[k].data.u64;
			if (evs[k].data.u64 >> 32) {
				int c;
				while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)c};
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			ssize_t r;
			while ((r = read(fd, buf, sizeof(buf))) > 0)
				;
			if (r == 0 || errno != EAGAIN)
				close(fd);
		}
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	int rst = argc > 2 && !strcmp(argv[2], "rst");
	long rate = argc > 3 ? atol(argv[3]) : 0;
	int p[2];
	if (pipe(p))
		return 1;
	pid_t child = fork();
	if (child == 0) {
		close(p[0]);
		serve(p[1]);
	}
	close(p[1]);
	char c;
	if (read(p[0], &c, 1) != 1)
		return 1;

	struct timespec t0, t1;
	double cpu0 = cpu_us(RUSAGE_SELF), sys0 = sys_us(RUSAGE_SELF);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long ok = 0, fail = 0;
	struct timespec tick = t0;
	for (long i = 0; i < n; i++) {
		if (rate > 0 && i > 0 && i % (rate / 1000 > 0 ? rate / 1000 : 1) == 0) {
			tick.tv_nsec += rate >= 1000 ? 1000000 : 1000000000 / rate;
			if (tick.tv_nsec >= 1000000000) {
				tick.tv_sec++;
				tick.tv_nsec -= 1000000000;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, NULL);
		}
		struct sockaddr_in sa = addr_of((int)(i % NADDR));
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (rst) {
			struct linger l = {1, 0};
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		if (r < 0 && errno == EINPROGRESS)
			r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		if (r == 0 || errno == EISCONN)
			ok++;
		else
			fail++;
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double cpu = cpu_us(RUSAGE_SELF) - cpu0, sys = sys_us(RUSAGE_SELF) - sys0;
	double wall = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;

	/* the listener's share: its CPU, read after it has caught up */
	usleep(200000);
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	double lcpu = cpu_us(RUSAGE_CHILDREN);

	printf("connect-floor: %ld connections (%ld ok, %ld failed), close with %s, %s\n", n, ok, fail, rst ? "RST" : "FIN",
	       rate > 0 ? "paced" : "as fast as one core goes");
	printf("  checker side: %.1f µs CPU per check (%.1f µs kernel); %.0f checks/s\n", cpu / n, sys / n, n / (wall / 1e6));
	printf("  listener side: %.1f µs CPU per check\n", lcpu / n);
	printf("  40,000 checks/s at this cost: %.2f core for the checker alone\n", 40000 * cpu / n / 1e6);
	return fail ? 1 : 0;
}
