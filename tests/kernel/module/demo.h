/* SPDX-License-Identifier: MIT */
#ifndef TLBF_DEMO_H
#define TLBF_DEMO_H

/* demo_gnu.c: a ring round trip with TLBF_ATOMIC_GNU=1; 0 if right. */
int tlbf_demo_gnu_check(void);

#endif
