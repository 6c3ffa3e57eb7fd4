# SPDX-License-Identifier: MIT
"""Every known kind of difference between tlbflush's decoder and KVM 6.1.

check_kvmdiff.py runs the same raw calls through both (kvmdiff) and explains
each difference by exactly one entry below; a difference no entry explains,
or an entry no call shows any more, fails the test. docs/DECODE.md's
compatibility table is rendered from this list (check_kvmdiff.py --write-doc)
and checked against it.

An entry:
  id       short name
  aspect   what differs: "status" (not both succeed, and the statuses
           differ), "vps" (both succeed, the VP sets differ) or "effect"
           (both succeed on the same VPs, but KVM 6.1 flushes everything
           and tlbflush less)
  when     the observation fields (see kvmdiff.c) and the values they must
           have; "tlbf" and "kvm" are the executed outcomes and go into the
           table as they are
  guest    what the guest sends
  tlbflush, kvm61
           what each does beyond the status (the status comes from "when")
  kvm62, openvmm
           what their public source does (documented, not executed here)
  tlfs     what the specification says
  right    which side is right, and why
"""

EX = {"space_ex", "list_ex"}
LIST = {"list", "list_ex"}
SPACE = {"space", "space_ex"}
FLAG_RULES = {"5:flags_reserved", "5:flag_not_allowed", "5:target_vtl_form",
              "5:target_vtl_higher", "5:set_format"}

KNOWN = [
    dict(id="unknown_code_reserved", aspect="status",
         when=dict(call={"other"}, tlbf={"2:unknown_call"}, kvm={"3"}, rsv={"1"}),
         guest="a call code that is none of the four, with reserved control bits set",
         tlbflush="the call code is checked first",
         kvm61="reserved control bits are checked before the call code",
         kvm62="3, as 6.1",
         openvmm="2: no handler for the code",
         tlfs="both are errors; the TLFS orders no checks",
         right="neither: the guest sees a failure either way"),
    dict(id="input_crosses_page", aspect="status",
         when=dict(call=EX | SPACE | LIST, tlbf={"3:input_short"}, kvm={"ok"}, fast={"0"},
                   place={"cross"}),
         guest="a memory-passed input that runs past the end of its page",
         tlbflush="refused",
         kvm61="reads the header and banks across the page end (never the ranges); "
               "fails only when the next page is not guest memory",
         kvm62="as 6.1, and reads up to 15 ranges across the page end",
         openvmm="3 (`Straddle`)",
         tlfs="an input may not cross a page; the common status table lists "
              "'spans pages' under HV_STATUS_INVALID_ALIGNMENT (4)",
         right="tlbflush and OpenVMM refuse, as the TLFS requires; which status: "
               "see 'Input across a page' above"),
    dict(id="fast_input_too_large", aspect="status",
         when=dict(call=EX | LIST, tlbf={"3:input_short"}, kvm={"ok"}, fast={"1"}),
         guest="a fast call whose control value claims more than the 112 bytes of "
               "RDX, R8 and XMM0-XMM5",
         tlbflush="refused",
         kvm61="reads only the registers it uses: no ranges, and no banks of an ALL "
               "set, so the claim is never checked",
         kvm62="3 when it reads the claimed ranges or banks (at most 15 ranges); "
               "accepted when it reads neither",
         openvmm="3 (`TooBigForFast`)",
         tlfs="a fast call passes its input in registers only",
         right="tlbflush: the input the guest described does not exist"),
    dict(id="over_page", aspect="status",
         when=dict(call=LIST, tlbf={"3:over_page"}, kvm={"ok"}),
         guest="a rep count whose ranges cannot fit in one page (more than 509 for "
               "List, 508 - banks for ListEx)",
         tlbflush="refused",
         kvm61="the ranges are never read: any rep count flushes everything",
         kvm62="accepted: above 15 ranges nothing is read and everything is flushed",
         openvmm="3 (`Straddle`, or `TooBigForFast`)",
         tlfs="an input lies within one page",
         right="tlbflush"),
    dict(id="misaligned", aspect="status",
         when=dict(call=EX | SPACE | LIST, tlbf={"4:misaligned"}, kvm={"ok"}, mis={"1"}),
         guest="a memory-passed input not 8-byte aligned",
         tlbflush="refused",
         kvm61="the input GPA's alignment is never checked",
         kvm62="accepted, as 6.1",
         openvmm="4 (`Unaligned`); 3 when it also crosses the page end",
         tlfs="HV_STATUS_INVALID_ALIGNMENT: the input GPA must be 8-byte aligned",
         right="tlbflush"),
    dict(id="rep_start", aspect="status",
         when=dict(call=LIST, tlbf={"ok"}, kvm={"3"}, rs={"1"}, ranges={"listed"}),
         guest="a List call with 0 < rep start < rep count (a resumed call)",
         tlbflush="the ranges from rep start on",
         kvm61="refuses any non-zero rep start",
         kvm62="3, as 6.1",
         openvmm="accepted: the ranges from rep start on",
         tlfs="rep start is the first element a (resumed) rep call processes",
         right="tlbflush and OpenVMM (the TLFS)"),
    dict(id="flags_reserved", aspect="status",
         when=dict(call=EX | SPACE | LIST, tlbf={"5:flags_reserved"}, kvm={"ok"}),
         guest="a flag bit the TLFS does not define",
         tlbflush="refused",
         kvm61="the flags are never checked",
         kvm62="accepted, as 6.1",
         openvmm="5",
         tlfs="reserved bits must be zero",
         right="tlbflush and OpenVMM"),
    dict(id="extended_on_space", aspect="status",
         when=dict(call=SPACE, tlbf={"5:flag_not_allowed"}, kvm={"ok"}),
         guest="USE_EXTENDED_RANGE_FORMAT on a Space call",
         tlbflush="refused",
         kvm61="the flags are never checked",
         kvm62="accepted, as 6.1",
         openvmm="5",
         tlfs="the flag applies to the List calls only",
         right="tlbflush and OpenVMM"),
    dict(id="non_global_on_list", aspect="status",
         when=dict(call=LIST, tlbf={"5:flag_not_allowed"}, kvm={"ok"}),
         guest="NON_GLOBAL_MAPPINGS_ONLY on a List call",
         tlbflush="refused",
         kvm61="the flags are never checked",
         kvm62="accepted, as 6.1",
         openvmm="accepted",
         tlfs="HvCallFlushVirtualAddressList: the flag does not make sense for the "
              "call and is treated as an invalid option",
         right="tlbflush (the TLFS)"),
    dict(id="target_vtl_form", aspect="status",
         when=dict(call=EX | SPACE | LIST, tlbf={"5:target_vtl_form"}, kvm={"ok"}),
         guest="TARGET_VTL0/1 without USE_TARGET_VTL, or USE_TARGET_VTL with neither "
               "or both",
         tlbflush="refused",
         kvm61="KVM has no VTLs and ignores the bits",
         kvm62="accepted, as 6.1",
         openvmm="5 (USE_TARGET_VTL is not accepted at all)",
         tlfs="USE_TARGET_VTL selects one target VTL",
         right="tlbflush"),
    dict(id="target_vtl_higher", aspect="status",
         when=dict(call=EX | SPACE | LIST, tlbf={"5:target_vtl_higher"}, kvm={"ok"}),
         guest="USE_TARGET_VTL | TARGET_VTL1 from VTL 0",
         tlbflush="refused",
         kvm61="the bits are ignored",
         kvm62="accepted, as 6.1",
         openvmm="5",
         tlfs="a VTL may not act on a higher VTL's translations",
         right="tlbflush"),
    dict(id="set_format", aspect="status",
         when=dict(call=EX, tlbf={"5:set_format"}, kvm={"ok"}, kset={"all"}),
         guest="an HV_VP_SET format other than SPARSE_4K (0) and ALL (1)",
         tlbflush="refused",
         kvm61="flushes every vCPU: any format but SPARSE_4K means all",
         kvm62="as 6.1",
         openvmm="5",
         tlfs="defines the two formats only",
         right="tlbflush and OpenVMM: an undefined format is no request "
               "(KVM's guess is safe, but hides guest bugs)"),
    dict(id="two_faults_flags_first", aspect="status",
         when=dict(call=EX | SPACE | LIST, tlbf=FLAG_RULES, kvm={"3"}),
         guest="a flag or set-format fault together with a fault KVM checks "
               "(non-zero rep start, bank count, unreadable input)",
         tlbflush="its flag and format rules come before the bank count",
         kvm61="refuses on the rep start, the bank count or the read first",
         kvm62="as 6.1",
         openvmm="depends on the faults",
         tlfs="orders no checks",
         right="neither: both refuse"),
    dict(id="two_faults_alignment_first", aspect="status",
         when=dict(call=EX | SPACE | LIST, tlbf={"4:misaligned"}, kvm={"3"}, mis={"1"}),
         guest="a misaligned input with a fault KVM checks (non-zero rep start, bank "
               "count, a crossing into memory that is not the guest's)",
         tlbflush="alignment comes before the input's contents",
         kvm61="refuses on the other fault",
         kvm62="as 6.1",
         openvmm="3 when the input crosses its page, else 4",
         tlfs="orders no checks",
         right="neither: both refuse"),
    dict(id="ex_all_processors", aspect="vps",
         when=dict(call=EX, tlbf={"ok"}, kvm={"ok"}, vps={"more"}, allp={"1"},
                   tset={"all"}),
         guest="ALL_PROCESSORS on an Ex call with a SPARSE_4K set",
         tlbflush="every VP",
         kvm61="ignores the flag: flushes the sparse set only, nobody when it has "
               "no bank",
         kvm62="as 6.1",
         openvmm="accepted, also with an empty set; its SNP backing flushes with a "
                 "broadcast to every processor whatever the set",
         tlfs="ALL_PROCESSORS: the set is ignored and every processor is flushed",
         right="tlbflush"),
    dict(id="list_flushes_everything", aspect="effect",
         when=dict(call=LIST, tlbf={"ok"}, kvm={"ok"}, tkind={"list"}, ranges={"listed"}),
         guest="a List call both accept",
         tlbflush="the listed ranges, from rep start on (promoted to a full flush by the "
                  "ring's push above its capacity or for a range it cannot list)",
         kvm61="never reads the ranges: flushes everything on every target",
         kvm62="reads at most 15 ranges and queues them on each target vCPU's "
               "16-entry FIFO (one slot kept for a flush-all); more ranges, or a "
               "full FIFO, flush everything; every range is read in the simple format",
         openvmm="the ranges; more than 16 ranges, or a range over 16 pages, "
                 "flush everything",
         tlfs="flush the listed ranges",
         right="both: flushing more is safe; tlbflush is exact"),
    dict(id="non_global_keeps_globals", aspect="effect",
         when=dict(call=SPACE, tlbf={"ok"}, kvm={"ok"}, tkind={"non_global"}, ng={"1"}),
         guest="NON_GLOBAL_MAPPINGS_ONLY on a Space call",
         tlbflush="non-global translations only",
         kvm61="flushes global translations too",
         kvm62="as 6.1",
         openvmm="non-global translations only (SNP backing)",
         tlfs="global translations may be kept",
         right="both: flushing more is safe"),
]
