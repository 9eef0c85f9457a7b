/* See CKernels.h. Layer norm's forward rows. Each of the row's two sums (values, squared deviations) is kept in 16
   partial sums, element j going to partial j mod 16, and the partials are added in one fixed tree; the AVX-512 path
   and the portable path perform the same operations in the same order, without fused multiply-adds, so the bits do
   not depend on the CPU. A single running sum (the scalar loop's) waits on every addition in turn. */
#include "CKernels.h"
#include <immintrin.h>
#include <math.h>
#include <string.h>

#pragma clang fp contract(off)

/* The 16 partials added pairwise: lanes i and i + 8, then i + 4, i + 2, i + 1. */
static float tree16(float *p) {
    for (int width = 8; width >= 1; width /= 2)
        for (int i = 0; i < width; i++) p[i] = p[i] + p[i + width];
    return p[0];
}

static void normalize_row_portable(const float *x, float *y, size_t c, const float *w, const float *b, float eps,
                                   float *mean, float *rstd) {
    float part[16] = {0};
    for (size_t j = 0; j < c; j++) part[j % 16] = part[j % 16] + x[j];
    float mu = tree16(part) / (float)c;
    memset(part, 0, sizeof part);
    for (size_t j = 0; j < c; j++) {
        float d = x[j] - mu;
        part[j % 16] = part[j % 16] + d * d;
    }
    float inv = 1.0f / sqrtf(tree16(part) / (float)c + eps);
    *mean = mu;
    *rstd = inv;
    if (w && b) for (size_t j = 0; j < c; j++) y[j] = (x[j] - mu) * inv * w[j] + b[j];
    else for (size_t j = 0; j < c; j++) y[j] = (x[j] - mu) * inv;
}

__attribute__((target("avx512f")))
static void normalize_row_avx512(const float *x, float *y, size_t c, const float *w, const float *b, float eps,
                                 float *mean, float *rstd) {
    size_t full = c & ~(size_t)15;
    __mmask16 tail = (__mmask16)((1u << (c - full)) - 1);
    float part[16];
    __m512 acc = _mm512_setzero_ps();
    for (size_t j = 0; j < full; j += 16) acc = _mm512_add_ps(acc, _mm512_loadu_ps(x + j));
    acc = _mm512_mask_add_ps(acc, tail, acc, _mm512_maskz_loadu_ps(tail, x + full));
    _mm512_storeu_ps(part, acc);
    float mu = tree16(part) / (float)c;
    __m512 m = _mm512_set1_ps(mu);
    acc = _mm512_setzero_ps();
    for (size_t j = 0; j < full; j += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + j), m);
        acc = _mm512_add_ps(acc, _mm512_mul_ps(d, d));
    }
    __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + full), m);
    acc = _mm512_mask_add_ps(acc, tail, acc, _mm512_mul_ps(d, d));
    _mm512_storeu_ps(part, acc);
    float inv = 1.0f / sqrtf(tree16(part) / (float)c + eps);
    *mean = mu;
    *rstd = inv;
    __m512 s = _mm512_set1_ps(inv);
    for (size_t j = 0; j < c; j += 16) {
        __mmask16 k = j + 16 <= c ? (__mmask16)0xffff : tail;
        __m512 v = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + j), m), s);
        if (w && b) v = _mm512_add_ps(_mm512_mul_ps(v, _mm512_maskz_loadu_ps(k, w + j)), _mm512_maskz_loadu_ps(k, b + j));
        _mm512_mask_storeu_ps(y + j, k, v);
    }
}

void mvd_layer_norm_rows(const float *x, float *y, size_t rows, size_t c, const float *w, const float *b, float eps,
                         float *mean, float *rstd, int portable) {
    int vector = !portable && mvd_kernels_use_avx512();
    for (size_t r = 0; r < rows; r++) {
        if (vector) normalize_row_avx512(x + r * c, y + r * c, c, w, b, eps, mean + r, rstd + r);
        else normalize_row_portable(x + r * c, y + r * c, c, w, b, eps, mean + r, rstd + r);
    }
}
