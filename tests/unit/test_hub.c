// SPDX-License-Identifier: GPL-2.0-only
/* lib/serve/hub: bounded per-client queues, drop-oldest, replay, wake, threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hub.h"

static int wakes;
static void on_wake(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&wakes, 1, __ATOMIC_RELAXED);
}

static struct ec_hub *hub(size_t qmax, size_t qbytes)
{
	struct ec_hub_limits l = {.headroom = 16,
				  .queue_max = qmax,
				  .queue_bytes = qbytes,
				  .replay = EC_HUB_REPLAY,
				  .wake = on_wake};
	wakes = 0;
	return ec_hub_new(&l);
}

static void publish(struct ec_hub *h, const char *s, int replay)
{
	ec_hub_publish(h, ec_hub_msg_new(h, (const uint8_t *)s, strlen(s)), replay);
}

/* Pop everything; check it equals want[0..n). */
static void expect_queue(struct ec_hub *h, struct ec_hub_client *c, const char *const *want,
			 size_t n)
{
	struct ec_hub_msg *got[512];
	size_t k = ec_hub_pop(h, c, got, 512);
	assert_int_equal(k, n);
	for (size_t i = 0; i < k; i++) {
		assert_int_equal(got[i]->len, strlen(want[i]));
		assert_memory_equal(got[i]->data, want[i], got[i]->len);
		ec_hub_msg_unref(got[i]);
	}
}

static void test_broadcast(void **state)
{
	(void)state;
	struct ec_hub *h = hub(8, 0);
	publish(h, "before", 0); /* nobody joined, not a log: gone */
	assert_int_equal(wakes, 0);
	struct ec_hub_client *a = ec_hub_join(h, NULL), *b = ec_hub_join(h, NULL);
	publish(h, "one", 0);
	publish(h, "two", 0);
	assert_int_equal(wakes, 1); /* one wake until acknowledged */
	ec_hub_wake_ack(h);
	publish(h, "three", 0);
	assert_int_equal(wakes, 2);
	const char *const all[] = {"one", "two", "three"};
	expect_queue(h, a, all, 3);
	expect_queue(h, b, all, 3);
	assert_int_equal(ec_hub_pending(h, a), 0);
	struct ec_hub_stats s;
	ec_hub_stats(h, &s);
	assert_int_equal(s.clients, 2);
	assert_int_equal(s.records, 4);
	assert_int_equal(s.bytes, 6 + 3 + 3 + 5);
	assert_int_equal(s.dropped, 0);
	ec_hub_leave(h, a);
	ec_hub_stats(h, &s);
	assert_int_equal(s.clients, 1);
	ec_hub_free(h); /* b still joined: freed with the hub */
}

static void test_drop_oldest(void **state)
{
	(void)state;
	struct ec_hub *h = hub(4, 0);
	struct ec_hub_client *slow = ec_hub_join(h, NULL), *fast = ec_hub_join(h, NULL);
	char buf[16];
	for (int i = 0; i < 10; i++) {
		snprintf(buf, sizeof buf, "r%d", i);
		publish(h, buf, 0);
		struct ec_hub_msg *m;
		assert_int_equal(ec_hub_pop(h, fast, &m, 1), 1);
		assert_int_equal(m->seq, (uint64_t)i + 1);
		ec_hub_msg_unref(m);
	}
	/* the slow client kept the newest 4, lost 6, the fast one none */
	const char *const newest[] = {"r6", "r7", "r8", "r9"};
	expect_queue(h, slow, newest, 4);
	assert_int_equal(ec_hub_dropped(h, slow), 6);
	assert_int_equal(ec_hub_dropped(h, fast), 0);
	assert_int_equal(ec_hub_take_unreported(h, slow), 6);
	assert_int_equal(ec_hub_take_unreported(h, slow), 0);
	publish(h, "a", 0);
	publish(h, "b", 0);
	publish(h, "c", 0);
	publish(h, "d", 0);
	publish(h, "e", 0);
	assert_int_equal(ec_hub_take_unreported(h, slow), 1);
	assert_int_equal(ec_hub_dropped(h, slow), 7);
	struct ec_hub_stats s;
	ec_hub_stats(h, &s);
	/* the fast client stopped reading too: it lost "a" as well */
	assert_int_equal(ec_hub_dropped(h, fast), 1);
	assert_int_equal(s.dropped, 8);
	assert_int_equal(s.queued, 4 + 4);
	ec_hub_free(h);
}

static void test_byte_limit(void **state)
{
	(void)state;
	struct ec_hub *h = hub(100, 10);
	struct ec_hub_client *c = ec_hub_join(h, NULL);
	publish(h, "aaaa", 0);
	publish(h, "bbbb", 0);
	publish(h, "cccc", 0); /* 12 > 10: "aaaa" goes */
	const char *const two[] = {"bbbb", "cccc"};
	expect_queue(h, c, two, 2);
	assert_int_equal(ec_hub_dropped(h, c), 1);
	/* one message over the limit on its own is still delivered */
	publish(h, "x", 0);
	publish(h, "0123456789abcdef", 0);
	const char *const big[] = {"0123456789abcdef"};
	expect_queue(h, c, big, 1);
	assert_int_equal(ec_hub_dropped(h, c), 2);
	ec_hub_free(h);
}

static void test_replay(void **state)
{
	(void)state;
	struct ec_hub *h = hub(1024, 0);
	char buf[32];
	for (int i = 0; i < 200; i++) {
		snprintf(buf, sizeof buf, "log%d", i);
		publish(h, buf, 1);
		publish(h, "event", 0);
	}
	struct ec_hub_client *c = ec_hub_join(h, NULL);
	assert_int_equal(ec_hub_pending(h, c), EC_HUB_REPLAY);
	struct ec_hub_msg *got[EC_HUB_REPLAY];
	assert_int_equal(ec_hub_pop(h, c, got, EC_HUB_REPLAY), EC_HUB_REPLAY);
	for (int i = 0; i < EC_HUB_REPLAY; i++) {
		snprintf(buf, sizeof buf, "log%d", 200 - EC_HUB_REPLAY + i);
		assert_int_equal(got[i]->len, strlen(buf));
		assert_memory_equal(got[i]->data, buf, got[i]->len);
		assert_true(got[i]->replay);
		ec_hub_msg_unref(got[i]);
	}
	/* a small queue keeps only the newest of the replay */
	struct ec_hub_limits l = {.headroom = 0, .queue_max = 4, .replay = 3};
	struct ec_hub *h2 = ec_hub_new(&l);
	for (int i = 0; i < 5; i++) {
		snprintf(buf, sizeof buf, "L%d", i);
		publish(h2, buf, 1);
	}
	struct ec_hub_client *d = ec_hub_join(h2, NULL);
	const char *const last3[] = {"L2", "L3", "L4"};
	expect_queue(h2, d, last3, 3);
	ec_hub_free(h2);
	ec_hub_free(h);
}

/* Kept events: the last `keep` (and keep_bytes), after the log replay, only for who asks. */
static void test_kept_events(void **state)
{
	(void)state;
	struct ec_hub_limits l = {.queue_max = 64, .replay = 2, .keep = 3, .keep_bytes = 10};
	struct ec_hub *h = ec_hub_new(&l);
	publish(h, "L0", EC_HUB_KEEP_LOG);
	publish(h, "e1", EC_HUB_KEEP_EVENT);
	publish(h, "hb", EC_HUB_LIVE);
	publish(h, "e2", EC_HUB_KEEP_EVENT);
	publish(h, "e3", EC_HUB_KEEP_EVENT);
	publish(h, "e4", EC_HUB_KEEP_EVENT);
	struct ec_hub_client *k = ec_hub_join_kept(h, NULL);
	struct ec_hub_client *p = ec_hub_join(h, NULL);
	publish(h, "e5", EC_HUB_KEEP_EVENT);
	const char *const want_k[] = {"L0", "e2", "e3", "e4", "e5"};
	expect_queue(h, k, want_k, 5);
	const char *const want_p[] = {"L0", "e5"};
	expect_queue(h, p, want_p, 2);
	/* by bytes (10): a 6-byte event pushes out as many as its room needs */
	publish(h, "big123", EC_HUB_KEEP_EVENT);
	struct ec_hub_client *k2 = ec_hub_join_kept(h, NULL);
	const char *const want_k2[] = {"L0", "e4", "e5", "big123"};
	expect_queue(h, k2, want_k2, 4);
	/* one over keep_bytes alone is not kept (nor anything before it) */
	publish(h, "much-too-big", EC_HUB_KEEP_EVENT);
	struct ec_hub_client *k3 = ec_hub_join_kept(h, NULL);
	const char *const want_k3[] = {"L0"};
	expect_queue(h, k3, want_k3, 1);
	ec_hub_free(h);
}

static void test_send_one(void **state)
{
	(void)state;
	struct ec_hub *h = hub(8, 0);
	struct ec_hub_client *a = ec_hub_join(h, NULL), *b = ec_hub_join(h, NULL);
	struct ec_hub_msg *m = ec_hub_msg_new(h, (const uint8_t *)"hb", 2);
	ec_hub_send(h, a, m);
	assert_int_equal(ec_hub_pending(h, a), 1);
	assert_int_equal(ec_hub_pending(h, b), 0);
	const char *const hb[] = {"hb"};
	expect_queue(h, a, hb, 1);
	ec_hub_free(h);
}

/* --drain ran out: the queue and what the consumer held are lost, and counted. */
static void test_discard(void **state)
{
	(void)state;
	struct ec_hub *h = hub(8, 0);
	struct ec_hub_client *a = ec_hub_join(h, NULL), *b = ec_hub_join(h, NULL);
	for (int i = 0; i < 5; i++)
		publish(h, "x", 0);
	assert_int_equal(ec_hub_discard(h, a, 2), 7);
	assert_int_equal(ec_hub_pending(h, a), 0);
	assert_int_equal(ec_hub_dropped(h, a), 7);
	assert_int_equal(ec_hub_take_unreported(h, a), 7);
	assert_int_equal(ec_hub_dropped(h, b), 0);
	assert_int_equal(ec_hub_pending(h, b), 5);
	struct ec_hub_stats st;
	ec_hub_stats(h, &st);
	assert_int_equal(st.dropped, 7);
	ec_hub_free(h);
}

static void count_cb(void *user, size_t pending, void *arg)
{
	*(size_t *)arg += pending + (user ? 1000 : 0);
}

static void test_for_each(void **state)
{
	(void)state;
	struct ec_hub *h = hub(8, 0);
	int tag;
	ec_hub_join(h, &tag);
	ec_hub_join(h, NULL);
	publish(h, "x", 0);
	size_t sum = 0;
	ec_hub_for_each(h, count_cb, &sum);
	assert_int_equal(sum, 1000 + 2);
	ec_hub_free(h);
}

#define N_THREADED 200000

static void *publisher(void *arg)
{
	struct ec_hub *h = arg;
	for (uint32_t i = 0; i < N_THREADED; i++)
		ec_hub_publish(h, ec_hub_msg_new(h, (const uint8_t *)&i, sizeof i), 0);
	return NULL;
}

/* One publisher thread, a consumer popping: the consumer sees an increasing
 * subsequence ending with the last record, received + dropped == published. */
static void test_threads(void **state)
{
	(void)state;
	struct ec_hub *h = hub(64, 0);
	struct ec_hub_client *c = ec_hub_join(h, NULL);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, publisher, h), 0);
	uint64_t got = 0, last = 0;
	int done = 0;
	while (!done) {
		struct ec_hub_msg *m[32];
		size_t n = ec_hub_pop(h, c, m, 32);
		for (size_t i = 0; i < n; i++) {
			assert_true(m[i]->seq > last);
			last = m[i]->seq;
			got++;
			uint32_t v;
			memcpy(&v, m[i]->data, sizeof v);
			assert_int_equal(v + 1, m[i]->seq);
			if (v == N_THREADED - 1)
				done = 1;
			ec_hub_msg_unref(m[i]);
		}
	}
	pthread_join(t, NULL);
	assert_int_equal(got + ec_hub_dropped(h, c), N_THREADED);
	ec_hub_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_broadcast),	cmocka_unit_test(test_drop_oldest),
	    cmocka_unit_test(test_byte_limit),	cmocka_unit_test(test_replay),
	    cmocka_unit_test(test_send_one),	cmocka_unit_test(test_for_each),
	    cmocka_unit_test(test_threads),	cmocka_unit_test(test_discard),
	    cmocka_unit_test(test_kept_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
