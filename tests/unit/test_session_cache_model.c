/*
 * test_session_cache_model.c: the check's session cache
 * (common/session_cache.c) against a model of the check and its feed.
 *
 * The property test runs a model of the check against the cache, at
 * random, from fixed seeds.  The model database holds sessions (user,
 * created_at, expires_at, last_seen_at, idle_timeout, revoked) and users
 * (active or disabled).  Two processes each have their own cache and their
 * own feed.  Every change the database makes that can end a session (a
 * session revoked, a user's sessions revoked, a user disabled) is queued to
 * each feed and delivered to its cache, in order, at most BOUND ms after it
 * happened.  A feed can break: from then on its changes are lost, and
 * within BOUND ms it notices and turns its cache off; later it comes back
 * on.  That is the feed's promise, and all the cache may rely on: every
 * change either reaches the cache within BOUND, or the cache is off within
 * BOUND of it.
 *
 * A check runs in two steps, as the check does, and any other steps may
 * come between them: (a) read the epoch and ask the cache; on a miss read
 * the row from the database (valid: not revoked, user active, before
 * expires_at, within idle_timeout of last_seen_at), touching last_seen_at
 * when touch_interval has passed; (b) later, put what was read with that
 * epoch and the monotonic time of the read.  Each database read gives its
 * row a roles text of its own ("staff,read-N"), so a hit names the read
 * it came from.
 *
 * The invariant, on every hit at model time t (ms; now is its wall-clock
 * second) in process p for session s, of the row that read R gave at t_R:
 *   1. it is s's row as R read it (id, user, times, names) and R was a
 *      read by p;
 *   2. t - t_R < max_age;
 *   3. p's cache is on, and R came after p's feed last switched it on
 *      and after it last cleared it (off and clear empty the cache: the
 *      feed does either when it may have missed a change, so a row read
 *      before may be stale past any bound);
 *   4. now < expires_at, now < last_seen_at + idle_timeout and
 *      now - last_seen_at < touch_interval, with R's last_seen_at (never
 *      newer than the database's);
 *   5. no change that concerns s (its revocation, the revocation of its
 *      user's sessions, the disabling of its user) came after R and at or
 *      before t - BOUND.
 * 5 is the bound itself: a hit may be up to BOUND late in seeing a change,
 * never later.  A change before R is seen by R's read (a user enabled again
 * makes the session valid again, so such a change does not count).  Each
 * of these mutations of session_cache.c makes the property fail: a put that
 * ignores the epoch (5, 3), a get that ignores max_age (2), expires_at or
 * the idle timeout (4), set_on(false) or clear that does not empty (3),
 * drop_user or drop_session that does not drop (5).  The test also requires that the cache answers
 * a good share of the checks, so a cache that never hits cannot pass.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_cache.h"
#include "test.h"

/* prop_turn_on turns c on as the feed does, with a lease that never ends
 * (the lease is not modelled: test_session_cache.c's lease_bounds_the_hits
 * tests it). */
static void
prop_turn_on(struct session_cache *c)
{
	session_cache_set_on(c, true);
	session_cache_renew(c, INT64_MAX);
}

/*
 * The property test: the model described at the top of this file.
 */
#define PROP_SEEDS 20
#define PROP_STEPS 5000
#define PROP_PROCS 2
#define PROP_USERS 10
#define PROP_START_SESSIONS 50 /* sessions before the first step */
#define PROP_MAX_SESSIONS 1024 /* with the logins of a run */
#define PROP_WINDOW 60         /* checks ask for one of the newest sessions */
#define PROP_HOT 4             /* and most for one of the newest few */
#define PROP_CAPACITY 16       /* 4 sets of 4: evictions happen */
#define PROP_MAX_AGE_MS 30000
#define PROP_BOUND_MS 2000
#define PROP_TOUCH 60 /* touch_interval, seconds */
#define PROP_TICK_MS 100
#define PROP_PENDING 8
#define PROP_QUEUE 256
#define PROP_T0 1700000000 /* the wall clock at model time 0 */
#define PROP_MONO0 5000000 /* the monotonic clock at model time 0 */

struct prop_user {
	int64_t id;
	bool active;
};

struct prop_session {
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	int user; /* index in users */
	int64_t created_at, expires_at, last_seen_at, idle_timeout;
	bool revoked;
};

/* A change that can end sessions: session s's revocation (session >= 0),
 * or (session -1) the revocation of user_id's sessions or its disabling. */
struct prop_change {
	int step;
	int64_t t;
	int session;
	int64_t user_id;
};

/* A change on its way to a process, due there at deliver_at. */
struct prop_event {
	int session;
	int64_t user_id;
	int64_t deliver_at;
};

enum prop_feed { FEED_ON, FEED_BROKEN, FEED_OFF };

struct prop_process {
	struct session_cache *cache;
	enum prop_feed feed;
	int64_t off_at; /* FEED_BROKEN: when the feed notices */
	int fresh_step; /* its last switch on or clear: what it holds is newer */
	struct prop_event queue[PROP_QUEUE];
	int qhead, qlen;
	int64_t last_due; /* events arrive in order */
};

/* A database read that found a valid session. */
struct prop_read {
	int process, session, step;
	int64_t t, last_seen_at;
};

/* A check between its read and its put. */
struct prop_lookup {
	int read;
	uint64_t epoch;
};

struct prop_world {
	uint64_t seed, rng;
	int step;
	int64_t t; /* model time, ms */
	struct prop_user users[PROP_USERS];
	struct prop_session sessions[PROP_MAX_SESSIONS];
	int nsessions;
	struct prop_process procs[PROP_PROCS];
	struct prop_read reads[PROP_STEPS];
	int nreads;
	struct prop_lookup pending[PROP_PENDING];
	int npending;
	struct prop_change changes[PROP_STEPS];
	int nchanges;
	long checks, hits;
	bool failed;
};

static int64_t
prop_rand(struct prop_world *w, int64_t n)
{
	return (int64_t)(test_xorshift64(&w->rng) % (uint64_t)n);
}

static int64_t
prop_now(const struct prop_world *w)
{
	return PROP_T0 + w->t / 1000;
}

static struct session_cache_clock
prop_clock(const struct prop_world *w)
{
	return (struct session_cache_clock){
	    .now = prop_now(w), .mono_ms = PROP_MONO0 + w->t, .touch_interval = PROP_TOUCH};
}

__attribute__((format(printf, 2, 3))) static void
prop_fail(struct prop_world *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failed)
		return;
	w->failed = true;
	fprintf(stderr, "property: seed %" PRIu64 " step %d t %" PRId64 " ms: ", w->seed, w->step,
	    w->t);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* prop_login makes a session for user u: a short idle timeout, a short
 * life, an ordinary one or a "remember me" one. */
static void
prop_login(struct prop_world *w, int u)
{
	struct prop_session *s;
	int64_t now = prop_now(w);

	if (w->nsessions == PROP_MAX_SESSIONS || !w->users[u].active)
		return;
	s = &w->sessions[w->nsessions];
	snprintf(s->id, sizeof(s->id), "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64,
	    test_xorshift64(&w->rng), (uint64_t)w->nsessions, test_xorshift64(&w->rng), w->seed);
	s->user = u;
	s->created_at = s->last_seen_at = now;
	switch (prop_rand(w, 4)) {
	case 0: /* idle timeout shorter than touch_interval */
		s->expires_at = now + 8 * 3600;
		s->idle_timeout = 5 + prop_rand(w, 40);
		break;
	case 1: /* about to expire */
		s->expires_at = now + 20 + prop_rand(w, 100);
		s->idle_timeout = 1800;
		break;
	case 2:
		s->expires_at = now + 8 * 3600;
		s->idle_timeout = 1800;
		break;
	default: /* remember me */
		s->expires_at = now + 30 * 86400;
		s->idle_timeout = 30 * 86400;
		break;
	}
	w->nsessions++;
}

static bool
prop_db_valid(const struct prop_world *w, int s)
{
	const struct prop_session *ss = &w->sessions[s];
	int64_t now = prop_now(w);

	return !ss->revoked && w->users[ss->user].active && now < ss->expires_at &&
	       now < ss->last_seen_at + ss->idle_timeout;
}

/* prop_row is what read k gave: the session as then, roles naming k. */
static struct session_info
prop_row(const struct prop_world *w, int k)
{
	const struct prop_read *r = &w->reads[k];
	const struct prop_session *ss = &w->sessions[r->session];
	struct session_info row;

	memset(&row, 0, sizeof(row));
	memcpy(row.id, ss->id, sizeof(row.id));
	row.user_id = w->users[ss->user].id;
	snprintf(row.username, sizeof(row.username), "user%" PRId64, row.user_id);
	snprintf(row.email, sizeof(row.email), "u%" PRId64 "@example.org", row.user_id);
	snprintf(row.roles, sizeof(row.roles), "staff,read-%d", k);
	row.created_at = ss->created_at;
	row.expires_at = ss->expires_at;
	row.last_seen_at = r->last_seen_at;
	row.idle_timeout = ss->idle_timeout;
	return row;
}

/* prop_emit records a change and sends it down every feed that is on;
 * a broken or off feed loses it. */
static void
prop_emit(struct prop_world *w, int session, int64_t user_id)
{
	w->changes[w->nchanges++] = (struct prop_change){
	    .step = w->step, .t = w->t, .session = session, .user_id = user_id};
	for (int p = 0; p < PROP_PROCS; p++) {
		struct prop_process *pr = &w->procs[p];
		int64_t due = w->t + prop_rand(w, PROP_BOUND_MS + 1);

		if (pr->feed != FEED_ON)
			continue;
		if (pr->qlen == PROP_QUEUE) {
			prop_fail(w, "process %d: the model's queue is full", p);
			return;
		}
		if (due < pr->last_due)
			due = pr->last_due;
		pr->last_due = due;
		pr->queue[(pr->qhead + pr->qlen++) % PROP_QUEUE] =
		    (struct prop_event){.session = session, .user_id = user_id, .deliver_at = due};
	}
}

static void
prop_deliver(struct prop_world *w, struct prop_process *pr)
{
	const struct prop_event *ev = &pr->queue[pr->qhead];

	if (ev->session >= 0)
		session_cache_drop_session(pr->cache, w->sessions[ev->session].id);
	else
		session_cache_drop_user(pr->cache, ev->user_id);
	pr->qhead = (pr->qhead + 1) % PROP_QUEUE;
	pr->qlen--;
}

static void
prop_feed_off(struct prop_process *pr)
{
	session_cache_set_on(pr->cache, false);
	pr->feed = FEED_OFF;
	pr->qlen = 0; /* what was on its way is lost */
}

/* prop_advance moves time on by ms; each feed first does what falls due
 * by then, in order: its deliveries and the switch off of a broken feed. */
static void
prop_advance(struct prop_world *w, int64_t ms)
{
	int64_t t = w->t + ms;

	for (int p = 0; p < PROP_PROCS; p++) {
		struct prop_process *pr = &w->procs[p];

		for (;;) {
			int64_t next = pr->qlen > 0 ? pr->queue[pr->qhead].deliver_at : INT64_MAX;

			if (pr->feed == FEED_BROKEN && pr->off_at <= t && pr->off_at < next)
				prop_feed_off(pr);
			else if (next <= t)
				prop_deliver(w, pr);
			else
				break;
		}
	}
	w->t = t;
}

/* prop_same_row tells whether a is b, field by field. */
static bool
prop_same_row(const struct session_info *a, const struct session_info *b)
{
	return strcmp(a->id, b->id) == 0 && a->user_id == b->user_id &&
	       strcmp(a->username, b->username) == 0 && strcmp(a->email, b->email) == 0 &&
	       strcmp(a->roles, b->roles) == 0 && a->created_at == b->created_at &&
	       a->expires_at == b->expires_at && a->last_seen_at == b->last_seen_at &&
	       a->idle_timeout == b->idle_timeout && a->mfa == b->mfa;
}

/* prop_concerns tells whether change c can end session s. */
static bool
prop_concerns(const struct prop_world *w, const struct prop_change *c, int s)
{
	return c->session == s ||
	       (c->session < 0 && c->user_id == w->users[w->sessions[s].user].id);
}

/* prop_check_hit checks the invariant (see the top of the file) on a hit
 * in process p for session s that returned out. */
static void
prop_check_hit(struct prop_world *w, int p, int s, const struct session_info *out)
{
	const struct prop_session *ss = &w->sessions[s];
	const struct prop_read *r;
	struct session_info row;
	int64_t now = prop_now(w);
	int k;

	if (sscanf(out->roles, "staff,read-%d", &k) != 1 || k < 0 || k >= w->nreads) {
		prop_fail(w, "process %d session %d: roles \"%s\" from no read", p, s, out->roles);
		return;
	}
	r = &w->reads[k];
	row = prop_row(w, k);
	if (r->process != p || r->session != s || !prop_same_row(&row, out))
		prop_fail(w, "process %d session %d: the row of read %d (process %d, session %d)",
		    p, s, k, r->process, r->session);
	else if (w->t - r->t >= PROP_MAX_AGE_MS)
		prop_fail(w, "process %d session %d: read %" PRId64 " ms ago (max_age)", p, s,
		    w->t - r->t);
	else if (w->procs[p].feed == FEED_OFF || r->step < w->procs[p].fresh_step)
		prop_fail(w,
		    "process %d session %d: read at step %d, cache on or cleared at step %d, now "
		    "%s",
		    p, s, r->step, w->procs[p].fresh_step,
		    w->procs[p].feed == FEED_OFF ? "off" : "on");
	else if (now >= ss->expires_at)
		prop_fail(w, "process %d session %d: expired %" PRId64 " s ago", p, s,
		    now - ss->expires_at);
	else if (now >= out->last_seen_at + ss->idle_timeout)
		prop_fail(w, "process %d session %d: idle for %" PRId64 " s (timeout %" PRId64 ")",
		    p, s, now - out->last_seen_at, ss->idle_timeout);
	else if (now - out->last_seen_at >= PROP_TOUCH)
		prop_fail(w, "process %d session %d: touch due", p, s);
	if (w->failed)
		return;
	for (int i = w->nchanges - 1; i >= 0 && w->changes[i].step > r->step; i--)
		if (prop_concerns(w, &w->changes[i], s) && w->changes[i].t <= w->t - PROP_BOUND_MS)
			prop_fail(w,
			    "process %d session %d: a hit %" PRId64 " ms after a change at step %d",
			    p, s, w->t - w->changes[i].t, w->changes[i].step);
}

/* prop_check is a check's first step: the epoch, the cache, and on a miss
 * the database (with its touch); a valid row waits for its put. */
static void
prop_check(struct prop_world *w, int p, int s)
{
	struct prop_process *pr = &w->procs[p];
	struct prop_session *ss = &w->sessions[s];
	struct session_cache_clock clk = prop_clock(w);
	struct session_info out;
	uint64_t epoch = session_cache_epoch(pr->cache);
	int i;

	w->checks++;
	if (session_cache_get(pr->cache, ss->id, &clk, &out)) {
		w->hits++;
		prop_check_hit(w, p, s, &out);
		return;
	}
	if (out.id[0] != '\0' || out.user_id != 0 || out.username[0] != '\0' ||
	    out.roles[0] != '\0' || out.expires_at != 0)
		prop_fail(w, "process %d session %d: a miss left out filled", p, s);
	if (!prop_db_valid(w, s))
		return;
	if (clk.now - ss->last_seen_at >= PROP_TOUCH)
		ss->last_seen_at = clk.now;
	w->reads[w->nreads] = (struct prop_read){.process = p,
	    .session = s,
	    .step = w->step,
	    .t = w->t,
	    .last_seen_at = ss->last_seen_at};
	/* A full set of lookups: one of them failed and puts nothing. */
	i = w->npending < PROP_PENDING ? w->npending++ : (int)prop_rand(w, PROP_PENDING);
	w->pending[i] = (struct prop_lookup){.read = w->nreads++, .epoch = epoch};
}

/* prop_put is a check's second step: the put of lookup i's read. */
static void
prop_put(struct prop_world *w, int i)
{
	const struct prop_lookup *l = &w->pending[i];
	const struct prop_read *r = &w->reads[l->read];
	struct session_info row = prop_row(w, l->read);

	session_cache_put(w->procs[r->process].cache, l->epoch, &row, PROP_MONO0 + r->t);
	w->pending[i] = w->pending[--w->npending];
}

/* prop_pick_session: one of the newest sessions, often one of the newest
 * few, so some are asked for again while their entries are fresh. */
static int
prop_pick_session(struct prop_world *w)
{
	int window = w->nsessions < PROP_WINDOW ? w->nsessions : PROP_WINDOW;

	if (prop_rand(w, 4) != 0)
		window = PROP_HOT;
	return w->nsessions - 1 - (int)prop_rand(w, window);
}

/* prop_pick_target: often a session whose check is between its read and
 * its put (the race the epoch is for), else one a check would ask for. */
static int
prop_pick_target(struct prop_world *w)
{
	if (w->npending > 0 && prop_rand(w, 2) == 0)
		return w->reads[w->pending[prop_rand(w, w->npending)].read].session;
	return prop_pick_session(w);
}

static void
prop_revoke_session(struct prop_world *w)
{
	int s = prop_pick_target(w);

	if (w->sessions[s].revoked)
		return;
	w->sessions[s].revoked = true;
	prop_emit(w, s, w->users[w->sessions[s].user].id);
}

static void
prop_revoke_user(struct prop_world *w)
{
	int u = w->sessions[prop_pick_target(w)].user;

	for (int s = 0; s < w->nsessions; s++)
		if (w->sessions[s].user == u)
			w->sessions[s].revoked = true;
	prop_emit(w, -1, w->users[u].id);
}

static void
prop_disable_user(struct prop_world *w)
{
	int u = w->sessions[prop_pick_target(w)].user;

	if (!w->users[u].active)
		return;
	w->users[u].active = false;
	prop_emit(w, -1, w->users[u].id);
}

static void
prop_feed_break(struct prop_world *w, struct prop_process *pr)
{
	if (pr->feed != FEED_ON)
		return;
	pr->feed = FEED_BROKEN;
	pr->off_at = w->t + prop_rand(w, PROP_BOUND_MS + 1);
}

static void
prop_feed_on(struct prop_world *w, struct prop_process *pr)
{
	if (pr->feed != FEED_OFF)
		return;
	prop_turn_on(pr->cache);
	pr->feed = FEED_ON;
	pr->fresh_step = w->step;
}

/* What a step does, and how often (per mille). */
enum prop_action {
	ACT_CHECK,   /* a check's first step */
	ACT_PUT,     /* a pending check's put */
	ACT_TICK,    /* time moves a little */
	ACT_WAIT,    /* past max_age or a short idle timeout */
	ACT_JUMP,    /* past touch_interval or a short life */
	ACT_REVOKE,  /* a session revoked */
	ACT_LOGOUT,  /* a user's sessions revoked */
	ACT_DISABLE, /* a user disabled */
	ACT_ENABLE,  /* a user enabled again: nothing to drop */
	ACT_LOGIN,   /* a new session */
	ACT_DELIVER, /* a feed delivers its next change early */
	ACT_BREAK,   /* a feed breaks */
	ACT_ON,      /* a feed comes back */
	ACT_CLEAR,   /* a feed clears its cache (it cannot tell what changed) */
	ACT_COUNT
};

static const int prop_weights[ACT_COUNT] = {
    [ACT_CHECK] = 400,
    [ACT_PUT] = 250,
    [ACT_TICK] = 206,
    [ACT_WAIT] = 3,
    [ACT_JUMP] = 1,
    [ACT_REVOKE] = 20,
    [ACT_LOGOUT] = 3,
    [ACT_DISABLE] = 3,
    [ACT_ENABLE] = 10,
    [ACT_LOGIN] = 30,
    [ACT_DELIVER] = 50,
    [ACT_BREAK] = 5,
    [ACT_ON] = 15,
    [ACT_CLEAR] = 4,
};

static enum prop_action
prop_pick_action(struct prop_world *w)
{
	int sum = 0, r;
	enum prop_action a;

	for (a = 0; a < ACT_COUNT; a++)
		sum += prop_weights[a];
	r = (int)prop_rand(w, sum);
	for (a = 0; r >= prop_weights[a]; a++)
		r -= prop_weights[a];
	return a;
}

/* prop_step does one thing at random. */
static void
prop_step(struct prop_world *w)
{
	int p = (int)prop_rand(w, PROP_PROCS);
	struct prop_process *pr = &w->procs[p];

	switch (prop_pick_action(w)) {
	case ACT_CHECK:
		prop_check(w, p, prop_pick_session(w));
		break;
	case ACT_PUT:
		if (w->npending > 0)
			prop_put(w, (int)prop_rand(w, w->npending));
		break;
	case ACT_TICK:
		prop_advance(w, prop_rand(w, PROP_TICK_MS));
		break;
	case ACT_WAIT:
		prop_advance(w, 1000 + prop_rand(w, PROP_MAX_AGE_MS + 5000));
		break;
	case ACT_JUMP:
		prop_advance(w, 5000 + prop_rand(w, 2 * PROP_TOUCH * 1000));
		break;
	case ACT_REVOKE:
		prop_revoke_session(w);
		break;
	case ACT_LOGOUT:
		prop_revoke_user(w);
		break;
	case ACT_DISABLE:
		prop_disable_user(w);
		break;
	case ACT_ENABLE:
		w->users[prop_rand(w, PROP_USERS)].active = true;
		break;
	case ACT_LOGIN:
		prop_login(w, (int)prop_rand(w, PROP_USERS));
		break;
	case ACT_DELIVER:
		if (pr->qlen > 0)
			prop_deliver(w, pr);
		break;
	case ACT_BREAK:
		prop_feed_break(w, pr);
		break;
	case ACT_ON:
		prop_feed_on(w, pr);
		break;
	case ACT_CLEAR:
	case ACT_COUNT:
		session_cache_clear(pr->cache);
		pr->fresh_step = w->step;
		break;
	}
}

static void
prop_run(struct prop_world *w, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->seed = seed;
	w->rng = seed * 0x9e3779b97f4a7c15u + 1;
	for (int u = 0; u < PROP_USERS; u++)
		w->users[u] = (struct prop_user){.id = 100 + u, .active = true};
	for (int p = 0; p < PROP_PROCS; p++) {
		w->procs[p].cache = session_cache_new(PROP_CAPACITY, PROP_MAX_AGE_MS);
		CHECK(w->procs[p].cache != NULL);
		prop_turn_on(w->procs[p].cache);
	}
	for (int i = 0; i < PROP_START_SESSIONS; i++)
		prop_login(w, (int)prop_rand(w, PROP_USERS));
	for (w->step = 1; w->step <= PROP_STEPS && !w->failed; w->step++)
		prop_step(w);
	for (int p = 0; p < PROP_PROCS; p++) {
		CHECK(session_cache_count(w->procs[p].cache) <= PROP_CAPACITY);
		session_cache_free(w->procs[p].cache);
	}
}

TEST(property_a_hit_is_never_later_than_the_bound)
{
	struct prop_world *w = malloc(sizeof(*w));
	long checks = 0, hits = 0;

	CHECK(w != NULL);
	if (w == NULL)
		return;
	for (uint64_t seed = 1; seed <= PROP_SEEDS; seed++) {
		prop_run(w, seed);
		CHECK(!w->failed);
		CHECK(w->hits > 0);
		checks += w->checks;
		hits += w->hits;
	}
	printf("# property: %d seeds x %d steps, %ld checks, %ld hits\n", PROP_SEEDS, PROP_STEPS,
	    checks, hits);
	CHECK(hits * 5 > checks); /* the cache answers more than one check in five */
	free(w);
}

int
main(void)
{
	RUN(property_a_hit_is_never_later_than_the_bound);
	return test_summary();
}
