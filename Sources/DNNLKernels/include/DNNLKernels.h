#ifndef MVD_DNNL_KERNELS_H
#define MVD_DNNL_KERNELS_H
/* Matrix products through oneDNN's matmul primitive, fp32 or bf16 with fp32 accumulation and output.

   Row-major, BLAS-like: C[M,N] = alpha * op(A) * op(B) + beta * C, op(A) [M,K] (stored [K,M] when transA),
   op(B) [K,N] (stored [N,K] when transB), leading dimensions in elements. In bf16 mode A and B are rounded to
   bf16 (round to nearest even) into per-thread buffers first; C stays fp32.

   Each call runs on the calling thread only (oneDNN's OpenMP team is limited to one thread per caller), so the
   caller decides the parallel split. Primitives are created once per shape and kept. Thread-safe. */
#include <stddef.h>
#include <stdint.h>

/* Returns 0 on success, or oneDNN's status code (nonzero) when the primitive could not be created or run. */
int mvd_dnnl_matmul(int bf16, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

/* Rounds `rows` rows of `cols` floats (row stride `ld`) to a dense bf16 [rows, cols] block in one of the calling
   thread's two buffers (`slot` 0 or 1), valid until that thread packs into the same slot again; NULL when memory
   runs out. Products split into panels pack their operands once and hand slices to `mvd_dnnl_matmul_bf16`. */
uint16_t *mvd_bf16_pack(int slot, const float *src, int64_t rows, int64_t cols, int64_t ld);
/* The calling thread's buffer `slot` (0 or 1), grown to `count` bf16 values, for a kernel that writes bf16 operands
   itself; the same buffer `mvd_bf16_pack` fills. NULL when memory runs out. */
uint16_t *mvd_bf16_buffer(int slot, size_t count);

/* The bf16 product of operands already in bf16 (as `mvd_bf16_pack` leaves them, or slices of them). */
int mvd_dnnl_matmul_bf16(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                         const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb, float beta, float *c,
                         int64_t ldc);

/* The right operand of products, op(B) [K,N] (B stored [N,K] when trans_b), copied once into the blocked layout
   of oneDNN's fast kernels (rounded to bf16 first when `bf16`), for products that use the same weights many times:
   every panel of a large product, every call of a frozen model. NULL on failure, with oneDNN's status in `status`.
   Products with packed weights give the bits of the plain ones up to the kernel's blocking of K, which the layout
   can change: they are not promised to be identical. */
typedef struct mvd_packed_b mvd_packed_b;
mvd_packed_b *mvd_dnnl_pack_b(int bf16, int trans_b, int64_t k, int64_t n, const float *b, int64_t ldb, int *status);
/* The same from a bf16 op(B) (for operands already rounded, such as attention's keys and values): no rounding. */
mvd_packed_b *mvd_dnnl_pack_b_bf16(int trans_b, int64_t k, int64_t n, const uint16_t *b, int64_t ldb, int *status);
void mvd_dnnl_packed_b_free(mvd_packed_b *packed);
/* C[m,N] = alpha · A[m,K] · op(B) (+ bias[N] when not NULL), with row strides lda and ldc. A is fp32 (rounded to bf16 into
   the calling thread's slot 0 when B is bf16) or, with MVD_PACKED_A_BF16, already bf16; C is fp32, or bf16 (rounded to
   nearest even) with MVD_PACKED_C_BF16; MVD_PACKED_GELU applies GELU (erf) to the sum, bias included, before it is
   stored. The bf16 flags need bf16 weights. On the calling thread; 0 on success. */
enum { MVD_PACKED_GELU = 1, MVD_PACKED_A_BF16 = 2, MVD_PACKED_C_BF16 = 4 };
int mvd_dnnl_matmul_packed(const mvd_packed_b *b, int64_t m, const void *a, int64_t lda, float alpha, const float *bias,
                           void *c, int64_t ldc, int flags);
/* 1 when oneDNN can dispatch native bf16 kernels on this CPU (AVX512_BF16 or AMX), else 0. */
int mvd_dnnl_native_bf16(void);

/* The name of the kernel oneDNN chooses for a plain M×K·K×N product ("brg:avx512_core_bf16", ...), written into
   `name` (at most `capacity` bytes, NUL-terminated). Returns 0 on success. */
int mvd_dnnl_kernel_name(int bf16, int64_t m, int64_t n, int64_t k, char *name, size_t capacity);

/* Rounds n floats to bf16 (round to nearest even; NaN stays NaN) into `dst`. */
void mvd_to_bf16(const float *src, uint16_t *dst, size_t n);

/* Rounds n floats to bf16 (round to nearest even; NaN stays NaN) and back: the values a bf16 product sees. */
void mvd_round_to_bf16(const float *src, float *dst, size_t n);
#endif
