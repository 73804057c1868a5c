/*
 * fault_proxy.c - the bad network and the bad peer for tests/integration/
 * test_sync_faults.sh.  Test code: it prints what it does on stderr.
 *
 *   fault_proxy proxy LISTEN_PORT TARGET_PORT SEED
 *       A TCP proxy on 127.0.0.1:LISTEN_PORT to 127.0.0.1:TARGET_PORT.  Every
 *       connection is served by a child process (killed with the parent) in
 *       one of four modes chosen from SEED and the connection number:
 *       pass; delay (each chunk held 1-20 ms); stall (after 0-32 KiB, nothing
 *       moves for 0.3-2.5 s, then it goes on); cut (after 0-64 KiB both
 *       sides are closed with a reset).
 *
 *   fault_proxy client PORT NODE_DIR SERVER_KEY_HEX WHAT
 *       Connects to a hub as the node in NODE_DIR (its CURVE key: the ZAP
 *       handler admits it) and misbehaves; WHAT is
 *         malformed  a frame of random bytes instead of HELLO: the hub must
 *                    answer ERROR (exit 0 when it did);
 *         oversized  a 9 MiB frame: libzmq drops the connection (exit 0);
 *         badbatch   a correct HELLO, then a BATCH of one garbage entry (the
 *                    hub must refuse it with a negative ACK and go on), then
 *                    a malformed message (ERROR): exit 0 when both came.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "silver_sync.h"

static unsigned long long rng_state;

static unsigned rnd(unsigned n)
{
	/* xorshift64*: reproducible from SEED */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return n ? (unsigned)((rng_state * 2685821657736338717ull) >> 33) % n : 0;
}

static int tcp_connect(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void reset_close(int fd)
{
	struct linger l = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

enum { M_PASS, M_DELAY, M_STALL, M_CUT };
static const char *const mode_name[] = {"pass", "delay", "stall", "cut"};

/* One connection, in a child: copy both ways, misbehaving as mode says. */
static void serve_one(int cfd, int target, int mode, unsigned limit, unsigned stall_ms)
{
	int tfd = tcp_connect(target);
	unsigned long long moved = 0;
	int stalled = 0;
	char buf[16384];

	if (tfd < 0) {
		reset_close(cfd);
		return;
	}
	for (int rounds = 0; rounds < 10000000; rounds++) {
		struct pollfd p[2] = {{cfd, POLLIN, 0}, {tfd, POLLIN, 0}};
		int n = poll(p, 2, 30000);
		if (n <= 0)
			break;
		for (int i = 0; i < 2; i++) {
			ssize_t r, w = 0;
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(p[i].fd, buf, sizeof(buf));
			if (r <= 0)
				goto done;
			if (mode == M_CUT && moved + (unsigned long long)r > limit) {
				fprintf(stderr, "fault_proxy: cut after %llu bytes\n", moved);
				reset_close(cfd);
				reset_close(tfd);
				return;
			}
			if (mode == M_STALL && !stalled && moved + (unsigned long long)r > limit) {
				fprintf(stderr, "fault_proxy: stall %u ms after %llu bytes\n", stall_ms, moved);
				usleep(stall_ms * 1000u);
				stalled = 1;
			}
			if (mode == M_DELAY)
				usleep((1 + rnd(20)) * 1000u);
			while (w < r) {
				ssize_t k = write(p[1 - i].fd, buf + w, (size_t)(r - w));
				if (k <= 0)
					goto done;
				w += k;
			}
			moved += (unsigned long long)r;
		}
	}
done:
	close(cfd);
	close(tfd);
}

static int run_proxy(int listen_port, int target, unsigned long long seed)
{
	struct sockaddr_in a;
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned conn = 0;

	rng_state = seed ? seed : 88172645463325252ull;
	signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)listen_port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 64) != 0) {
		perror("fault_proxy: listen");
		return 1;
	}
	fprintf(stderr, "fault_proxy: 127.0.0.1:%d -> 127.0.0.1:%d\n", listen_port, target);
	for (;;) {
		int cfd = accept(lfd, NULL, NULL);
		int mode = (int)rnd(4);
		unsigned limit = mode == M_CUT ? rnd(65536) : rnd(32768);
		unsigned stall_ms = 300 + rnd(2200);
		pid_t pid;

		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		conn++;
		fprintf(stderr, "fault_proxy: connection %u: %s\n", conn, mode_name[mode]);
		rnd(1);
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(lfd);
			rng_state ^= (unsigned long long)conn * 0x9E3779B97F4A7C15ull;
			serve_one(cfd, target, mode, limit, stall_ms);
			_exit(0);
		}
		close(cfd);
	}
}

/* ---- the bad client ------------------------------------------------------------ */

static int recv_msg(void *sock, int ms, silver_arena *a, silver_msg *m, zmq_msg_t *in)
{
	zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
	if (zmq_poll(&it, 1, ms) <= 0)
		return -1;
	if (zmq_msg_recv(in, sock, 0) < 0)
		return -1;
	return silver_msg_decode(zmq_msg_data(in), zmq_msg_size(in), a, m);
}

static int run_client(int port, const char *dir, const char *server_hex, const char *what)
{
	silver_store *s = NULL;
	uint8_t skey[SILVER_KEY_BYTES], spub[32], pub[32], sec[32];
	char zs[41], zp[41], zk[41], ep[64];
	void *ctx, *sock;
	silver_arena *a = silver_arena_new();
	silver_msg m;
	zmq_msg_t in;
	silver_buf b;
	int rv = 1, one = 1;

	if (silver_unhex(server_hex, skey, SILVER_KEY_BYTES) != 0 || silver_curve_public(skey, spub) != 0 ||
	    silver_store_open(dir, 0, &s) != 0 || silver_store_curve_keys(s, pub, sec) != 0) {
		fprintf(stderr, "fault_proxy: cannot load the node or the server key\n");
		return 2;
	}
	zmq_z85_encode(zs, spub, 32);
	zmq_z85_encode(zp, pub, 32);
	zmq_z85_encode(zk, sec, 32);
	ctx = zmq_ctx_new();
	sock = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, zs, 40);
	zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, zp, 40);
	zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, zk, 40);
	zmq_setsockopt(sock, ZMQ_IMMEDIATE, &one, sizeof(one));
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", port);
	zmq_connect(sock, ep);
	zmq_msg_init(&in);
	silver_buf_init(&b);
	if (strcmp(what, "malformed") == 0) {
		uint8_t junk[300];
		randombytes_buf(junk, sizeof(junk));
		junk[0] = 0x95; /* looks like an array for one byte */
		zmq_send(sock, junk, sizeof(junk), 0);
		if (recv_msg(sock, 5000, a, &m, &in) == 0 && m.type == SILVER_MSG_ERROR) {
			fprintf(stderr, "fault_proxy: ERROR %d: %.*s\n", m.code, (int)m.reason.n, (const char *)m.reason.p);
			rv = 0;
		}
	} else if (strcmp(what, "oversized") == 0) {
		size_t n = 9u << 20;
		uint8_t *big = calloc(1, n);
		if (big && zmq_send(sock, big, n, 0) == (int)n) {
			/* libzmq on the hub drops the connection: nothing comes back */
			rv = recv_msg(sock, 1500, a, &m, &in) == -1 ? 0 : 1;
			fprintf(stderr, "fault_proxy: oversized frame sent; answer: %s\n", rv ? "yes" : "none");
		}
		free(big);
	} else if (strcmp(what, "badbatch") == 0) {
		uint8_t junk[200];
		silver_slice e = {junk, sizeof(junk)};
		int got_ack = 0;
		randombytes_buf(junk, sizeof(junk));
		if (silver_msg_hello_encode(silver_store_self(s), silver_store_township(s), SILVER_ROLE_BRANCH, 4, NULL,
					    0, &b) != 0)
			goto out;
		zmq_send(sock, b.data, b.len, 0);
		if (recv_msg(sock, 5000, a, &m, &in) == 0 && m.type == SILVER_MSG_HELLO) {
			b.len = 0;
			if (silver_msg_batch_head(0, 1, &b) != 0 || silver_msg_bin_append(e.p, e.n, &b) != 0)
				goto out;
			zmq_send(sock, b.data, b.len, 0);
			for (int i = 0; i < 50; i++) {
				silver_arena_reset(a);
				if (recv_msg(sock, 5000, a, &m, &in) != 0)
					break;
				if (m.type == SILVER_MSG_ACK) {
					fprintf(stderr, "fault_proxy: ACK %d: %.*s\n", m.code, (int)m.reason.n,
						(const char *)m.reason.p);
					got_ack = m.code < 0;
					break;
				}
			}
			zmq_send(sock, "\xc1garbage", 8, 0);
			for (int i = 0; got_ack && i < 50; i++) {
				silver_arena_reset(a);
				if (recv_msg(sock, 5000, a, &m, &in) != 0)
					break;
				if (m.type == SILVER_MSG_ERROR) {
					fprintf(stderr, "fault_proxy: ERROR %d: %.*s\n", m.code, (int)m.reason.n,
						(const char *)m.reason.p);
					rv = 0;
					break;
				}
			}
		}
	} else {
		fprintf(stderr, "fault_proxy: unknown client action %s\n", what);
		rv = 2;
	}
out:
	zmq_msg_close(&in);
	silver_buf_release(&b);
	silver_arena_destroy(&a);
	one = 0;
	zmq_setsockopt(sock, ZMQ_LINGER, &one, sizeof(one));
	zmq_close(sock);
	zmq_ctx_term(ctx);
	silver_store_close(&s);
	return rv;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "proxy") == 0)
		return run_proxy(atoi(argv[2]), atoi(argv[3]), strtoull(argv[4], NULL, 10));
	if (argc == 6 && strcmp(argv[1], "client") == 0)
		return run_client(atoi(argv[2]), argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: fault_proxy proxy LISTEN_PORT TARGET_PORT SEED\n"
			"       fault_proxy client PORT NODE_DIR SERVER_KEY_HEX malformed|oversized|badbatch\n");
	return 2;
}
