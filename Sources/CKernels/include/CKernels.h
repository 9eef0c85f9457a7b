#ifndef MVD_CKERNELS_H
#define MVD_CKERNELS_H
/* Elementwise hot loops of the Tensor kernels, in C so that they can use AVX-512, or AVX2 with FMA, when the CPU
   has it (chosen at run time; a portable path runs otherwise). All functions are deterministic. The `_portable`
   entry points run the portable path on any CPU, for tests. */
#include <stddef.h>
#include <stdint.h>

/* In-place softmax of `rows` rows of `cols` floats (max-shifted, exp, normalised). */
void mvd_softmax_rows(float *p, size_t rows, size_t cols);
/* The same softmax, also rounded to bf16 (nearest even, NaN stays NaN) into `out` [rows, cols], bit for bit what
   rounding the softmax's output would give; with `keep` 0 the fp32 values left in `p` are not the softmax's. */
void mvd_softmax_rows_bf16(float *p, size_t rows, size_t cols, uint16_t *out, int keep);
/* Softmax backward per row, dS = P ⊙ (G − rowsum(G ⊙ P)), rounded to bf16 (nearest even) into `out` [rows, cols]. */
void mvd_softmax_backward_rows_bf16(const float *g, const float *p, size_t rows, size_t cols, uint16_t *out);
/* The same dS in fp32, in place in `g`. */
void mvd_softmax_backward_rows(float *g, const float *p, size_t rows, size_t cols);
void mvd_softmax_rows_portable(float *p, size_t rows, size_t cols);
void mvd_softmax_backward_rows_portable(float *g, const float *p, size_t rows, size_t cols);

/* y = 0.5 x (1 + erf(x / sqrt 2)) for n values. */
void mvd_gelu_forward(const float *x, float *y, size_t n);

/* dx = dy (Phi(x) + x phi(x)) for n values. */
void mvd_gelu_backward(const float *x, const float *dy, float *dx, size_t n);
void mvd_gelu_forward_portable(const float *x, float *y, size_t n);
void mvd_gelu_backward_portable(const float *x, const float *dy, float *dx, size_t n);

/* One AdamW update of n parameters (see AdamW.swift): w ← w·decay; m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g g;
   w ← w − step_size·m / (√v / bc2_sqrt + eps). The portable loop gives the same bits on every CPU. */
void mvd_adamw_update(float *w, float *m, float *v, const float *g, size_t n, float decay, float beta1, float beta2,
                      float step_size, float bc2_sqrt, float eps);
void mvd_adamw_update_portable(float *w, float *m, float *v, const float *g, size_t n, float decay, float beta1,
                               float beta2, float step_size, float bc2_sqrt, float eps);

/* Layer norm of `rows` rows of `c` floats with biased variance: y = (x − μ)·rstd (·w + b when both are given),
   rstd = 1/√(var + eps); writes each row's μ and rstd. The sums run in 16 partials added in a fixed tree: the same
   bits on every CPU, and with `portable` 1 without vector instructions (for tests). */
void mvd_layer_norm_rows(const float *x, float *y, size_t rows, size_t c, const float *w, const float *b, float eps,
                         float *mean, float *rstd, int portable);

/* Σ x² in double over n floats; 16 partials added in a fixed tree: the same bits on every CPU, and with `portable` 1
   without vector instructions (for tests). */
double mvd_sum_of_squares(const float *x, size_t n, int portable);
/* Σ of the regression loss terms over n elements (kind 0: smooth L1 with β 1, 0.5 d² or |d| − 0.5; 1: L2, d²; 2: L1,
   |d|; d = p − t, each term in float, summed in double in 16 partials and a fixed tree), writing the gradient of the
   mean loss, dℓ/dp = ℓ'(d) · inv (inv = 1 / elements of the whole loss), into g. The same bits on every CPU. */
double mvd_regression_loss_sum(int kind, const float *p, const float *t, float *g, size_t n, float inv, int portable);

/* 1 when the AVX-512 paths are in use. */
int mvd_kernels_use_avx512(void);
/* 1 when the CPU has AVX2 and FMA (the paths used where AVX-512 is missing). */
int mvd_kernels_use_avx2(void);
/* glibc's allocator keeps freed blocks up to `heap_block_limit` bytes in its heap (not in mappings of their own that
   are unmapped when freed), never trims its heap, and grows it `top_pad` bytes beyond each request. */
void mvd_keep_freed_memory(int heap_block_limit, int top_pad);

/* Peak loops: `iterations` rounds of 12 independent 512-bit FMAs (32 FLOP each: 16 lanes, multiply and add) or
   bf16 dot products (vdpbf16ps, 64 FLOP each: 16 lanes, two products and two sums); the result only keeps the loop
   from being removed. The bf16 loop returns 0 at once on a CPU without AVX512_BF16. */
float mvd_peak_fma_fp32(size_t iterations);
float mvd_peak_dot_bf16(size_t iterations);
/* The fp32 loop on 256-bit registers (16 FLOP an FMA), for CPUs with AVX2 and FMA but no AVX-512; 0 at once without. */
float mvd_peak_fma_fp32_avx2(size_t iterations);
int mvd_cpu_has_avx512_bf16(void);
int mvd_cpu_has_avx512(void);

#endif
