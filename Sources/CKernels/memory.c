/* See CKernels.h. */
#include "CKernels.h"
#include <malloc.h>
#include <limits.h>

void mvd_keep_freed_memory(int heap_block_limit, int top_pad) {
    mallopt(M_MMAP_THRESHOLD, heap_block_limit);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    mallopt(M_TOP_PAD, top_pad);
}
