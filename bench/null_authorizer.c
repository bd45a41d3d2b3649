/*
 * null_authorizer: the smallest FastCGI authorizer, for the benchmark only.
 *
 * It answers every request with "Status: 200 OK" and one constant
 * Variable-REMOTE_USER header (mod_authnz_fcgi treats a 200 that names no
 * user as an error), without looking at the request.  It is threaded the way
 * gatehouse-check is (common/server.c): N workers, each with its own
 * FCGX_Request, taking turns in FCGX_Accept_r under one mutex; main blocks
 * the stop signals and waits for one in sigwait(2).  Measured next to
 * gatehouse-check it gives the cost of the FastCGI round trip alone.
 *
 *   spawn-fcgi -n -a 127.0.0.1 -p PORT -- null_authorizer [THREADS]
 *
 * Built by bench/run with: gcc -O2 -pthread null_authorizer.c -lfcgi
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NULL_AUTHORIZER_MAX_THREADS 64

static pthread_mutex_t null_accept_lock = PTHREAD_MUTEX_INITIALIZER;

static void *
null_worker(void *arg)
{
	static const char grant[] = "Status: 200 OK\r\nVariable-REMOTE_USER: bench\r\n\r\n";
	FCGX_Request rq;
	int rc;

	(void)arg;
	if (FCGX_InitRequest(&rq, 0, 0) != 0)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&null_accept_lock);
		rc = FCGX_Accept_r(&rq);
		pthread_mutex_unlock(&null_accept_lock);
		if (rc < 0)
			break;
		FCGX_PutStr(grant, (int)sizeof(grant) - 1, rq.out);
		rq.keepConnection = 0; /* as common/server.c: never kept */
		FCGX_Finish_r(&rq);
	}
	FCGX_Free(&rq, 1);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t threads[NULL_AUTHORIZER_MAX_THREADS];
	int n = argc > 1 ? atoi(argv[1]) : 4, sig;
	sigset_t stop;

	if (n < 1 || n > NULL_AUTHORIZER_MAX_THREADS) {
		fprintf(
		    stderr, "usage: %s [THREADS 1..%d]\n", argv[0], NULL_AUTHORIZER_MAX_THREADS);
		return 2;
	}
	if (FCGX_Init() != 0) {
		fprintf(stderr, "null_authorizer: FCGX_Init failed\n");
		return 1;
	}
	/* Workers inherit the mask: only main takes the stop signals. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < n; i++) {
		if (pthread_create(&threads[i], NULL, null_worker, NULL) != 0) {
			fprintf(stderr, "null_authorizer: cannot start thread %d\n", i);
			return 1;
		}
	}
	sigwait(&stop, &sig);
	/* Nothing to clean up: the kernel closes the sockets. */
	_exit(0);
}
