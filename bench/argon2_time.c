/*
 * argon2_time: how long one argon2id hash takes here, for the benchmark's
 * login bound.
 *
 *   argon2_time M_KIB T P SECONDS [THREADS]
 *
 * THREADS threads (default 1) each hash a fixed 20-byte password with a
 * 16-byte salt into 32 bytes, with memory M_KIB KiB, T passes and P lanes,
 * over and over until SECONDS have passed; each call allocates and frees its
 * own memory, as argon2id_verify does in gatehouse-login.  Prints one line:
 *   hashes=N seconds=S threads=K ms_per_hash=X hashes_per_s=Y
 * where ms_per_hash is the mean wall time of one hash in one thread.
 *
 * Built by bench/run with: gcc -O2 -pthread argon2_time.c -largon2
 */
#include <argon2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARGON2_TIME_MAX_THREADS 64

struct job {
	pthread_t thread;
	uint32_t m, t, p;
	double seconds;
	long hashes;
	double busy; /* seconds spent inside argon2id_hash_raw */
	int error;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
argon2_time_worker(void *arg)
{
	struct job *j = arg;
	static const char pw[] = "correct-horse-battery";
	uint8_t salt[16], out[32];
	double start = now(), t0;

	memset(salt, 0x5a, sizeof(salt));
	do {
		t0 = now();
		j->error = argon2id_hash_raw(
		    j->t, j->m, j->p, pw, sizeof(pw) - 1, salt, sizeof(salt), out, sizeof(out));
		j->busy += now() - t0;
		if (j->error != ARGON2_OK)
			return NULL;
		j->hashes++;
		salt[0]++;
	} while (now() - start < j->seconds);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct job jobs[ARGON2_TIME_MAX_THREADS];
	int n = argc > 5 ? atoi(argv[5]) : 1;
	long hashes = 0;
	double busy = 0, start, elapsed;

	if (argc < 5 || argc > 6 || n < 1 || n > ARGON2_TIME_MAX_THREADS) {
		fprintf(stderr, "usage: %s M_KIB T P SECONDS [THREADS]\n", argv[0]);
		return 2;
	}
	memset(jobs, 0, sizeof(jobs));
	start = now();
	for (int i = 0; i < n; i++) {
		jobs[i].m = (uint32_t)strtoul(argv[1], NULL, 10);
		jobs[i].t = (uint32_t)strtoul(argv[2], NULL, 10);
		jobs[i].p = (uint32_t)strtoul(argv[3], NULL, 10);
		jobs[i].seconds = atof(argv[4]);
		if (pthread_create(&jobs[i].thread, NULL, argon2_time_worker, &jobs[i]) != 0) {
			fprintf(stderr, "argon2_time: cannot start thread %d\n", i);
			return 1;
		}
	}
	for (int i = 0; i < n; i++) {
		pthread_join(jobs[i].thread, NULL);
		if (jobs[i].error != ARGON2_OK) {
			fprintf(stderr, "argon2_time: %s\n", argon2_error_message(jobs[i].error));
			return 1;
		}
		hashes += jobs[i].hashes;
		busy += jobs[i].busy;
	}
	elapsed = now() - start;
	printf("hashes=%ld seconds=%.3f threads=%d ms_per_hash=%.3f hashes_per_s=%.2f\n", hashes,
	    elapsed, n, 1000.0 * busy / (double)hashes, (double)hashes / elapsed);
	return 0;
}
