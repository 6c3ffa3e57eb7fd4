/*
 * SPDX-License-Identifier: MIT
 *
 * tlbflush.pml - a Promela model of the whole shootdown protocol: the flush
 * ring (push, generations, poll), the VP entry/exit path, the wake
 * predicate and kick-with-wait. Checked with SPIN by run_model.py; the
 * write-up is docs/MODEL.md.
 *
 *   spin -a [-DBREAK_Tx] tlbflush.pml
 *   gcc -O2 -DSAFETY -DCOLLAPSE -DMEMLIM=2048 -o pan pan.c && ./pan -m20000 -w25
 *
 * Processes
 *   I0   initiator: changes page 0 (ver[0] = 1), then makes one request of
 *        a nondeterministic kind: a list push of one range (page 0) into
 *        ticket 2, a flush-entire, or a flush-non-global; I1 fence; wake;
 *        kick; wait; returns (returned[0] = 1).
 *   I1   initiator: changed page 1 and claimed ticket 0 before the model
 *        starts; pushes page 1 into ticket 0, fences, wakes, kicks, waits,
 *        returns (returned[1] = 1). Once it owns slot 0 it may instead stall
 *        for ever (a preempted producer: property S2 says it must block
 *        nobody; T5 shows what happens if it does).
 *   J    the push of ticket 1 (claimed before the start), a range that
 *        covers no tracked page. Ticket 2 then laps ticket 0 in slot 0.
 *   VP0, VP1  each enters the guest at most MAXENT0 / MAXENT1 times
 *        (cancelled entries count): V1, V2, poll, apply to its software
 *        TLB, V3, enter unless cancelled, guest code, exit (V4). P1 is
 *        asserted where guest code uses a translation.
 *   drainer  empties the store buffers at any time (matters only with
 *        BREAK_T1; see FENCE_I / FENCE_V).
 *
 * Initial state: a reachable state of the real system, chosen so that
 * short runs reach the interesting interleavings. Earlier, a flush-entire
 * was made and VP0 polled it while claim was 0 (cursor {0, 0, 0}; it then
 * cached the old page 1). Then I1 changed page 1 and claimed ticket 0, J
 * claimed ticket 1, and VP1 polled (the same flush-entire: its cursor
 * jumped to claim, {1, 0, 0}, and it cached the new page 1). Both VPs
 * cached the old page 0 and are OUTSIDE. Generations are renumbered to 0.
 * So VP0's cursor sits on a pending ticket and VP1's is past one, and
 * claim = 2: I0's list push gets ticket 2, one lap after I1's ticket 0.
 * Both VPs are in the processor set of every request; one target VTL.
 *
 * Each step below is one atomic step of SPIN and carries its label. A step
 * does one access to shared memory, plus private work (locals, the VP's
 * own TLB, ghost variables), except where a comment says why two accesses
 * can share a step without losing a behaviour.
 *
 *   label  model step                                       where
 *   -----  -----------------------------------------------  --------------
 *   P1     k = claim; claim++ (ticket 0, 1: before start)   I0
 *   P2+P3  load seq[k % N] and classify; if even and older  push
 *          than busy(k): seq = busy(k) (the successful CAS);
 *          odd and older: degrade; newer: entry is dead
 *   P4     release fence: no step (SC steps keep P3 < P5)   push
 *   P5     val[k % N] = value                               push
 *   P6     seq[k % N] = pub(k), into the initiator's store  push
 *          buffer
 *   G1     entire++ or nonglob++, into the store buffer     I0, push
 *          (a request, or the degrade of a push)
 *   I1     seq_cst fence: empties the initiator's buffer;   FENCE_I
 *          same step as P6 / G1 (see FENCE_I)
 *   C1+C2  e = entire; g = nonglob                          VP
 *   C3     h = claim; entire / non-global / overflow        VP
 *   C4     s1 = seq[k % N]: pub(k) valid so far, newer      VP
 *          overflow, older pending
 *   C5     v = val[k % N]                                   VP
 *   C6     acquire fence: no step (SC steps keep C5 < C7)   VP
 *   C7     s2 = seq[k % N]: valid iff == pub(k)             VP
 *   V1     state = IN_GUEST(epoch + 1), into the VP's       VP
 *          store buffer
 *   V2     seq_cst fence: empties the VP's buffer; same     FENCE_V
 *          step as V1
 *   V3     apply the answer to the TLB, publish the         VP
 *          cursor, then enter: cancel set? the entry is
 *          cancelled : guest code (uses pages, assert P1)
 *   V4     guest exit (uses pages, assert P1; consumes a    VP
 *          pending cancel), state = OUTSIDE(epoch)
 *   I2     st = state of the VP; NOT_STARTED/OUTSIDE skip   fence_wake_wait
 *   I3     published cursor covers the request? skip;       fence_wake_wait
 *          EXITING: wait only
 *   I4     CAS state IN_GUEST(e) -> EXITING(e); failure:    fence_wake_wait
 *          epoch changed: skip, else re-decide
 *   K1     cancel[vp] = 1 for every VP this initiator       fence_wake_wait
 *          moved to EXITING (one kick call with a mask)
 *   K2     wait until each kicked or EXITING VP is no       fence_wake_wait
 *          longer IN_GUEST/EXITING of the epoch seen, or has
 *          published a cursor past the request; at any time
 *          (the wait's bound) send a cancel of our own to
 *          the VPs still waited for and go on waiting; the
 *          flush call returns: returned[me] = 1
 *
 * Broken variants (one -D each; each must give a counterexample):
 *   BREAK_T1   no V2 / I1 fences: the drainer empties the store buffers
 *              whenever it likes (store buffering).
 *   BREAK_T2   the poll stops at the first pending ticket.
 *   BREAK_T3   no slot ownership: no P2/P3, plain P5 / P6 stores.
 *   BREAK_T4   no C7: the value read at C5 is taken unchecked.
 *   BREAK_T5   a producer that finds its slot owned by an older producer
 *              waits for it instead of promoting to flush-entire.
 *   BREAK_T5R  the poll waits for a pending ticket instead of moving on.
 *   BREAK_T10  an initiator skips a VP that is already EXITING instead of
 *              waiting for it.
 */

#define N        2            /* ring capacity */
#define NPAGE    2            /* tracked pages */
#define JUNK     2            /* a range value that covers no tracked page */
#define BUSY(k)  (2 * (k) + 1)
#define PUB(k)   (2 * (k) + 2)

/* VP state word: mode in the low two bits, entry epoch above. */
#define NOT_STARTED 0
#define OUTSIDE     1
#define IN_GUEST    2
#define EXITING     3
#define MODE(w)     ((w) & 3)
#define EPOCH(w)    ((w) >> 2)
#define WORD(m, e)  ((m) + 4 * (e))

/* Software TLB entry of one page on one VP. */
#define EMPTY 0
#define OLD   1               /* cached before the page's change */
#define NEW   2               /* cached after it */

/* Request kinds. */
#define K_LIST 1
#define K_ENT  2
#define K_NG   3

/* Store-buffer contents of an initiator: 0 empty, GEN_E / GEN_G a pending
 * generation bump, an even value p >= 2 a pending seq = p store (the slot
 * follows from p = pub(k)). */
#define GEN_E 1
#define GEN_G 3
#define SLOT_OF(p) (((p) / 2 - 1) % N)

/* Flush mask of a poll answer: bit p for page p. */
#define FL_ALL 3

#ifndef MAXENT0
#define MAXENT0 2             /* entries of VP0 (incl. cancelled ones) */
#endif
#ifndef MAXENT1
#define MAXENT1 1             /* entries of VP1 */
#endif

/* Ring. */
byte claim = 2;
byte entire;
byte nonglob;
byte seq[N];
byte val[N];

/* Per VP: state word, published cursor, cancel flag, V1 store buffer. */
byte vst[2] = WORD(OUTSIDE, 0);
byte pcl[2];
byte pce[2];
byte pcg[2];
bool cancel[2];
byte vbuf[2];

/* Per initiator: record store buffer, generation its G1 made. */
byte ibuf[2];
byte igen[2];

/* Page table, software TLBs (tlb[2 * vp + page]) and the return markers. */
byte ver[NPAGE];
byte tlb[4];
bool returned[NPAGE];

/* Make the buffered store of initiator i visible (I1, or the drainer). */
inline drain_init(i)
{
	if
	:: ibuf[i] == GEN_E -> entire++; igen[i] = entire
	:: ibuf[i] == GEN_G -> nonglob++; igen[i] = nonglob
	:: ibuf[i] >= 2 && ibuf[i] % 2 == 0 -> seq[SLOT_OF(ibuf[i])] = ibuf[i]
	:: else -> skip
	fi;
	ibuf[i] = 0
}

/* Make the buffered V1 store of VP v visible (V2, or the drainer). */
inline drain_vp(v)
{
	if
	:: vbuf[v] != 0 -> vst[v] = vbuf[v]; vbuf[v] = 0
	:: else -> skip
	fi
}

/*
 * The seq_cst fences V2 and I1. The owner of a store buffer issues no
 * other memory operation between its buffered store (V1, or P6 / G1) and
 * its fence, so a drain anywhere in between is the same as a drain at the
 * fence: the fenced model does the store and the fence in one step. With
 * BREAK_T1 there is no fence and the drainer empties the buffers whenever
 * it likes, while their owners go on.
 */
#ifdef BREAK_T1
#define FENCE_I(i) skip
#define FENCE_V(v) skip
#else
#define FENCE_I(i) drain_init(i)   /* I1 */
#define FENCE_V(v) drain_vp(v)     /* V2 */
#endif

/* G1 of initiator i: the bump goes to its store buffer, then I1. */
inline gen_bump(i)
{
	ibuf[i] = GEN_E; FENCE_I(i)
}

/*
 * Push ticket k with value pv for initiator pr, then go on at the caller's
 * label `pushed`. P2 and P3 are one step: the implementation loads seq,
 * and a failed CAS re-loads and re-classifies, so only the classification
 * at the load that is followed by a successful CAS (or by the decision not
 * to CAS) matters.
 * A slot owned by an older producer (odd, older): abandon the entry and
 * bump `entire` instead (G1); the request is then a flush-entire. A slot
 * that shows a newer ticket: our entry is dead (lapped), nothing to do.
 * I1 (pr == 1) may stall for ever once it owns the slot.
 */
inline push(pr, pv)
{
#ifndef BREAK_T3
#ifdef BREAK_T5
	/* T5: wait while an older producer owns the slot. */
	atomic { !(seq[k % N] < BUSY(k) && seq[k % N] % 2 == 1) ->
#else
	atomic {
#endif
		/* P2, P3 */
		s = seq[k % N];
		if
		:: s < BUSY(k) && s % 2 == 0 ->
			seq[k % N] = BUSY(k); s = 0;
			if
			:: skip
			:: pr == 1 -> goto stalled
			fi
		:: s < BUSY(k) && s % 2 == 1 -> s = 0; c = 1   /* degrade */
		:: s > BUSY(k) -> s = 0; goto pushed
		fi
	};
#endif
	/* P4: release fence, orders P3 before P5: nothing to do in SC steps. */
	if
	:: atomic { c == 1 -> /* G1: the request becomes a flush-entire */
		gen_bump(pr); kind = K_ENT; c = 0; goto pushed }
	:: atomic { c == 0 -> /* P5 */ val[k % N] = pv }
	fi;
	atomic { /* P6, then I1 */ ibuf[pr] = PUB(k); FENCE_I(pr) }
}

/* The request is covered by the cursor VP vp published (I3). */
#define COVERED(vp) \
	((kind == K_LIST && pcl[vp] >= endt) || \
	 (kind == K_ENT && ibuf[me] == 0 && pce[vp] >= igen[me]) || \
	 (kind == K_NG && ibuf[me] == 0 && pcg[vp] >= igen[me]))

/* Next VP of the set (back to I2, at the caller's label `pushed`), or on
 * to the wait. */
#define NEXT_VP st = 0; vp++; \
	if \
	:: vp < 2 -> goto pushed \
	:: vp == 2 && kk != 0 -> goto kick \
	:: vp == 2 && kk == 0 -> goto waitall \
	fi

/* K2: the VP has left the guest in the epoch we kicked or saw EXITING. */
#define LEFT(vp) (w[vp] == 0 || EPOCH(vst[vp]) != w[vp] - 1 || \
		  MODE(vst[vp]) < IN_GUEST)

/*
 * After the record (and its I1 fence): the wake predicate for each VP
 * (I2-I4), one kick of the VPs whose state we moved to EXITING (K1: sets
 * their cancel flags, like one kick-CPUs call with a mask), the wait for
 * every kicked or already-EXITING VP (K2), return (returned[me]). Uses the
 * caller's locals: vp (loop), st (state seen), kk (mask to kick), w[] (to
 * wait for: epoch + 1).
 */
inline fence_wake_wait()
{
	atomic { /* I2 */
		st = vst[vp];
		if
		:: MODE(st) < IN_GUEST -> NEXT_VP   /* it polls before entry */
		:: else -> skip
		fi
	};
decide:
	atomic { /* I3 */
		if
		:: COVERED(vp) -> NEXT_VP            /* polled past it */
		:: !COVERED(vp) && MODE(st) == EXITING ->
#ifdef BREAK_T10
			NEXT_VP                        /* T10: skip it */
#else
			w[vp] = EPOCH(st) + 1; NEXT_VP /* wait, no 2nd kick */
#endif
		:: else -> skip
		fi
	};
	atomic { /* I4 */
		if
		:: vst[vp] == st ->
			vst[vp] = st + 1; kk = kk | (1 << vp); w[vp] = EPOCH(st) + 1;
			NEXT_VP
		:: else ->
			if
			:: EPOCH(vst[vp]) != EPOCH(st) ->
				NEXT_VP        /* re-entered after I1: it will poll */
			:: else ->
				st = vst[vp];  /* re-decide on the value seen */
				if
				:: MODE(st) < IN_GUEST -> NEXT_VP
				:: else -> goto decide
				fi
			fi
		fi
	};
kick:
	atomic { /* K1 */
		if :: kk & 1 -> cancel[0] = 1 :: else -> skip fi;
		if :: kk & 2 -> cancel[1] = 1 :: else -> skip fi;
		kk = 0
	};
waitall:
	if
	:: atomic { /* K2 (left the epoch, or published past the request),
		     * then the flush call returns */
		(LEFT(0) || COVERED(0)) && (LEFT(1) || COVERED(1)) ->
		returned[me] = 1; w[0] = 0; w[1] = 0; vp = 0; kind = 0; endt = 0; k = 0
	   }
	:: atomic { /* K2's bound ran out: a cancel of our own (K1 again) to
		     * every VP still waited for, then wait as before */
		(!LEFT(0) && !COVERED(0)) || (!LEFT(1) && !COVERED(1)) ->
		if :: !LEFT(0) && !COVERED(0) -> cancel[0] = 1 :: else -> skip fi;
		if :: !LEFT(1) && !COVERED(1) -> cancel[1] = 1 :: else -> skip fi
	   };
	   goto waitall
	fi
}

/* I0: changes page 0, then one request of a nondeterministic kind. */
proctype I0()
{
	byte me = 0, k, s, c, kind, st, vp, kk, endt;
	byte w[2];

	atomic { /* the guest's page-table change */ ver[0] = 1 };
	if
	:: atomic { /* P1 */ kind = K_LIST; k = claim; claim++; endt = k + 1 };
		push(0, 0)
#ifndef NO_GEN_REQUESTS
	:: atomic { /* G1 */ kind = K_ENT; ibuf[0] = GEN_E; FENCE_I(0) }
	:: atomic { /* G1 */ kind = K_NG; ibuf[0] = GEN_G; FENCE_I(0) }
#endif
	fi;
pushed:
	fence_wake_wait();
stalled:		/* push() names it; only I1 goes there */
	skip
}

/* I1: changed page 1 and claimed ticket 0 before the model starts. */
proctype I1()
{
	byte me = 1, k = 0, s, c, kind = K_LIST, st, vp, kk, endt = 1;
	byte w[2];

	push(1, 1);
pushed:
	fence_wake_wait();
stalled:		/* stopped for ever while owning slot 0: a valid end */
	skip
}

/*
 * J: the push of ticket 1 (claimed before the model starts), a range
 * nobody checks. Ticket 1 is the only one that lives in slot 1, so no
 * other producer touches that slot: the push is one step (a reader sees
 * the ticket pending before it and published after it).
 */
proctype J()
{
	atomic { /* P2, P3, P5, P6 */ val[1] = JUNK; seq[1] = PUB(1) }
}

/* The answer is "flush everything" and the cursor jumps to {h, e, g}. */
#define JUMP fl = FL_ALL; fp = 0; ce = e; cg = g; goto polled

/* A pending ticket: remember the first one and go on to the next. */
#ifdef BREAK_T2
#define PENDING fp = k + 1; goto polled   /* T2: stop at the first one */
#else
#define PENDING if :: fp == 0 -> fp = k + 1 :: else -> skip fi; s = 0; v = 0; k++
#endif

/* Guest code uses pages 0 and 1: refill an empty entry from the page
 * table, then P1: no use of a translation older than a returned flush. */
inline use(me)
{
	if :: tlb[2 * me] == EMPTY -> tlb[2 * me] = ver[0] + 1 :: else -> skip fi;
	if :: tlb[2 * me + 1] == EMPTY -> tlb[2 * me + 1] = ver[1] + 1 :: else -> skip fi;
	assert(!(returned[0] && tlb[2 * me] == OLD));
	assert(!(returned[1] && tlb[2 * me + 1] == OLD))
}

/*
 * A VP. Guest code runs from the entry step to the exit step. Its uses of
 * pages are checked at both ends: a refill at entry is the oldest one
 * possible, the TLB does not change while in the guest, and returned[] only
 * grows, so a violation at any moment in the guest is one at the exit.
 */
proctype VP(byte me; byte cl; byte maxent)
{
	byte ep, ce, cg;                /* entry epoch, private cursor */
	byte e, g, h, k, s, v, fp, fl;  /* poll temporaries, 0 when idle */

	do
	:: atomic { ep < maxent -> /* V1, V2 */
		ep++; vbuf[me] = WORD(IN_GUEST, ep); FENCE_V(me) };
		/*
		 * C1, C2: two loads in one step. Only I0 writes the generations
		 * and it writes one of them once, so whatever runs between the
		 * two loads can be moved before C1 (if it wrote nonglob) or
		 * after C2 (otherwise) without changing what anyone reads.
		 */
		atomic { /* C1, C2 */ e = entire; g = nonglob };
		atomic { /* C3 */
			h = claim;
			if :: e != ce -> JUMP :: else -> skip fi;
			if :: g != cg -> fl = FL_ALL; cg = g :: else -> skip fi;
			if :: h - cl > N -> JUMP :: else -> skip fi;
			k = cl
		};
		do
#ifdef BREAK_T5R
		/* T5: wait until the ticket is no longer pending. */
		:: atomic { s == 0 && k < h && seq[k % N] >= PUB(k) ->
#else
		:: atomic { s == 0 && k < h ->
#endif
			/* C4 */
			s = seq[k % N];
			if
			:: s == PUB(k) -> skip     /* go on to read the value */
			:: s > PUB(k) -> JUMP       /* lapped: overflow */
			:: s < PUB(k) -> PENDING
			fi }
#ifdef BREAK_T4
		:: atomic { s != 0 -> /* C5, taken without C7 */
			v = val[k % N]; fl = fl | (1 << v) & FL_ALL; s = 0; v = 0; k++ }
#else
		:: atomic { s != 0 -> /* C5 */ v = val[k % N] };
			/* C6: acquire fence, orders C5 before C7: nothing in SC steps. */
			atomic { /* C7 */
				s = seq[k % N];
				if
				:: s == PUB(k) -> fl = fl | (1 << v) & FL_ALL; s = 0; v = 0; k++
				:: s > PUB(k) -> JUMP
				:: s < PUB(k) -> PENDING
				fi }
#endif
		:: atomic { s == 0 && k >= h -> goto polled }
		od;
polled:
		/*
		 * V3 and the entry in one step. The TLB is private; only I3
		 * reads the cursor and only K1 writes the cancel flag. If a K1
		 * for this VP falls between the stores and the load, the I3
		 * before it found the request not covered, and would find the
		 * same with the stores done later (the cursor only grows): so
		 * the run can be replayed with the stores after that K1 and the
		 * load before everything else, with the same outcome. The
		 * refill of an empty TLB entry here is the earliest use the
		 * guest can make, which gives the oldest translation.
		 */
		atomic { /* V3: apply the answer, publish the cursor, enter */
			if :: fp != 0 -> cl = fp - 1 :: else -> cl = h fi;
			if :: fl & 1 -> tlb[2 * me] = EMPTY :: else -> skip fi;
			if :: fl & 2 -> tlb[2 * me + 1] = EMPTY :: else -> skip fi;
			pcl[me] = cl; pce[me] = ce; pcg[me] = cg;
			e = 0; g = 0; h = 0; k = 0; v = 0; fp = 0; fl = 0;
			if
			:: cancel[me] -> cancel[me] = 0; s = 1   /* entry cancelled */
			:: else -> s = 0; use(me)                /* in guest code */
			fi
		};
		atomic { /* guest exit (or cancelled entry); V4 */
			if
			:: s == 0 -> use(me); cancel[me] = 0
			:: else -> skip
			fi;
			vbuf[me] = 0; vst[me] = WORD(OUTSIDE, ep); s = 0
		}
	:: else -> break
	od;
	ep = 0; ce = 0; cg = 0; cl = 0
}

active proctype drainer()
{
end:	do
	:: atomic { vbuf[0] != 0 -> drain_vp(0) }
	:: atomic { vbuf[1] != 0 -> drain_vp(1) }
	:: atomic { ibuf[0] != 0 -> drain_init(0) }
	:: atomic { ibuf[1] != 0 -> drain_init(1) }
	od
}

init
{
	atomic {
		ver[1] = 1;
		pcl[1] = 1;
		tlb[0] = OLD; tlb[1] = OLD;   /* VP0: page 0, page 1 */
		tlb[2] = OLD; tlb[3] = NEW;   /* VP1: page 0, page 1 */
		run I0();
		run I1();
		run J();
		run VP(0, 0, MAXENT0);
		run VP(1, 1, MAXENT1)
	}
}
