/* SPDX-License-Identifier: MIT */
/* User-space stand-in for <linux/time64.h>: nothing the TLFS headers need. */
