/* SPDX-License-Identifier: MIT */
/* User-space stand-in for <linux/types.h>: what the TLFS headers of
 * linux-source-6.1 and the extracted KVM code use. */
#ifndef KVMHOST_SHIM_LINUX_TYPES_H
#define KVMHOST_SHIM_LINUX_TYPES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef u8 __u8;
typedef u16 __u16;
typedef u32 __u32;
typedef u64 __u64;
typedef s64 __s64;
typedef u64 gpa_t;
typedef u64 gva_t;

#ifndef __packed
#define __packed __attribute__((__packed__))
#endif
#ifndef __aligned
#define __aligned(x) __attribute__((__aligned__(x)))
#endif
#endif
