/* SPDX-License-Identifier: MIT */
/* User-space stand-in for <asm/page.h> (x86, 4 KiB pages). */
#ifndef KVMHOST_SHIM_ASM_PAGE_H
#define KVMHOST_SHIM_ASM_PAGE_H
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#endif
