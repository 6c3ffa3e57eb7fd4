/* SPDX-License-Identifier: MIT */
/*
 * Litmus test of the model checker itself, not of the library: message
 * passing where the reader is a compare-and-swap that fails, with an
 * acquire success order and a relaxed failure order. C11 lets the failed
 * CAS read the flag without synchronising, so the assert can fail. A
 * GenMC that reports no error here takes a failed CAS's order from its
 * success order, and so cannot tell a CAS's failure order apart: mutate.py
 * then marks the mutants that weaken only a failure order as not
 * checkable instead of running them.
 */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>

static atomic_int data, flag;

static void *writer(void *arg)
{
	(void)arg;
	atomic_store_explicit(&data, 1, memory_order_relaxed);
	atomic_store_explicit(&flag, 1, memory_order_release);
	return NULL;
}

static void *reader(void *arg)
{
	(void)arg;
	int expected = 2;
	if (!atomic_compare_exchange_strong_explicit(&flag, &expected, 3, memory_order_acquire,
	                                             memory_order_relaxed) &&
	    expected == 1)
		assert(atomic_load_explicit(&data, memory_order_relaxed) == 1);
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	pthread_create(&a, NULL, writer, NULL);
	pthread_create(&b, NULL, reader, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}
