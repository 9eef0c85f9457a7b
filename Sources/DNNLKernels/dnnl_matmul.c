/* See DNNLKernels.h. oneDNN 2.6 API: operation descriptor, then primitive descriptor, then primitive. */
#define _GNU_SOURCE  /* RTLD_DEFAULT */
#include "DNNLKernels.h"
#include <oneapi/dnnl/dnnl.h>
#include <immintrin.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* OpenMP's omp_set_num_threads, looked up in the libgomp that libdnnl loads: linking -lgomp would need the
   libgomp.so development link, which only a compiler package provides. */
typedef void (*set_threads_fn)(int);
static set_threads_fn set_omp_threads;
static pthread_once_t omp_once = PTHREAD_ONCE_INIT;
static void find_omp(void) { set_omp_threads = (set_threads_fn)dlsym(RTLD_DEFAULT, "omp_set_num_threads"); }

/* ---- float -> bf16 ---------------------------------------------------------------------------------------- */

static inline uint16_t bf16_scalar(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);  /* quiet NaN stays NaN */
    u += 0x7fffu + ((u >> 16) & 1u);                                            /* round to nearest even */
    return (uint16_t)(u >> 16);
}

__attribute__((target("avx512f,avx512bf16,avx512vl")))
static void to_bf16_native(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256bh v = _mm512_cvtneps_pbh(_mm512_loadu_ps(src + i));
        _mm256_storeu_si256((__m256i *)(dst + i), (__m256i)v);
    }
    for (; i < n; i++) dst[i] = bf16_scalar(src[i]);
}

static int has_avx512bf16 = -1;

/* Both paths round to nearest even and keep NaN a NaN, so they agree bit for bit. */
static void to_bf16(const float *src, uint16_t *dst, size_t n) {
    if (has_avx512bf16 < 0) has_avx512bf16 = __builtin_cpu_supports("avx512bf16") ? 1 : 0;
    if (has_avx512bf16) { to_bf16_native(src, dst, n); return; }
    for (size_t i = 0; i < n; i++) dst[i] = bf16_scalar(src[i]);
}

void mvd_to_bf16(const float *src, uint16_t *dst, size_t n) { to_bf16(src, dst, n); }

void mvd_round_to_bf16(const float *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)bf16_scalar(src[i]) << 16;
        memcpy(dst + i, &u, 4);
    }
}

/* ---- engine, per-thread stream and buffers ----------------------------------------------------------------- */

static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static dnnl_status_t engine_status;

static void create_engine(void) { engine_status = dnnl_engine_create(&engine, dnnl_cpu, 0); }

typedef struct {
    dnnl_stream_t stream;
    uint16_t *a, *b;
    size_t a_capacity, b_capacity;
    void *scratch;
    size_t scratch_capacity;
    float *c;
    size_t c_capacity;
} thread_state;

static _Thread_local thread_state local;

static dnnl_status_t thread_ready(void) {
    pthread_once(&engine_once, create_engine);
    if (engine_status != dnnl_success) return engine_status;
    if (!local.stream) {
        /* OpenMP's thread count is per calling thread: one here keeps oneDNN from starting a team of spinning
           workers beside ours. */
        pthread_once(&omp_once, find_omp);
        if (set_omp_threads) set_omp_threads(1);
        dnnl_status_t s = dnnl_stream_create(&local.stream, engine, dnnl_stream_default_flags);
        if (s != dnnl_success) { local.stream = NULL; return s; }
    }
    return dnnl_success;
}

static uint16_t *buffer(uint16_t **p, size_t *capacity, size_t count) {
    if (count > *capacity) {
        free(*p);
        *p = malloc(count * sizeof(uint16_t));
        *capacity = *p ? count : 0;
    }
    return *p;
}

/* ---- primitive cache ---------------------------------------------------------------------------------------- */

typedef struct {
    int64_t m, n, k, lda, ldb, ldc;
    int64_t packed_rows;  /* B in the blocked layout oneDNN picks for products of this many rows; 0: B plain */
    int bf16, trans_a, trans_b, bias;
    int gelu, c_bf16;  /* GELU (erf) applied to the output; the output stored as bf16 */
    float alpha, beta;
} shape_key;

typedef struct {
    shape_key key;
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t a, b, c, bias, scratch;
    size_t scratch_bytes;
    int used;
} cache_entry;

enum { cache_slots = 4096 };
static cache_entry cache[cache_slots];
static int cache_count;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t key_hash(const shape_key *key) {
    const unsigned char *p = (const unsigned char *)key;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof(*key); i++) { h ^= p[i]; h *= 1099511628211ull; }
    return h;
}

static dnnl_status_t packed_layout(int bf16, int64_t k, int64_t n, int64_t rows, dnnl_memory_desc_t *b);

static dnnl_status_t describe(const shape_key *key, dnnl_memory_desc_t *a, dnnl_memory_desc_t *b,
                              dnnl_memory_desc_t *c) {
    dnnl_data_type_t type = key->bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_dims_t a_dims = {key->m, key->k}, b_dims = {key->k, key->n}, c_dims = {key->m, key->n};
    dnnl_dims_t a_strides = {key->trans_a ? 1 : key->lda, key->trans_a ? key->lda : 1};
    dnnl_dims_t b_strides = {key->trans_b ? 1 : key->ldb, key->trans_b ? key->ldb : 1};
    dnnl_dims_t c_strides = {key->ldc, 1};
    dnnl_status_t s = dnnl_memory_desc_init_by_strides(a, 2, a_dims, type, a_strides);
    if (s == dnnl_success)
        s = key->packed_rows > 0 ? packed_layout(key->bf16, key->k, key->n, key->packed_rows, b)
                                 : dnnl_memory_desc_init_by_strides(b, 2, b_dims, type, b_strides);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_strides(c, 2, c_dims, key->c_bf16 ? dnnl_bf16 : dnnl_f32, c_strides);
    return s;
}

/* The blocked layout oneDNN's kernel wants for B [k, n] in products of `rows` rows (dense A and C). Products of
   other row counts are handed B in this same layout, so one packed copy serves every panel of a product. */
static dnnl_status_t packed_layout(int bf16, int64_t k, int64_t n, int64_t rows, dnnl_memory_desc_t *b) {
    dnnl_data_type_t type = bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_dims_t a_dims = {rows, k}, b_dims = {k, n}, c_dims = {rows, n};
    dnnl_memory_desc_t a, any, c;
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&a, 2, a_dims, type, dnnl_ab);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&any, 2, b_dims, type, dnnl_format_tag_any);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&c, 2, c_dims, dnnl_f32, dnnl_ab);
    dnnl_matmul_desc_t desc;
    if (s == dnnl_success) s = dnnl_matmul_desc_init(&desc, &a, &any, NULL, &c);
    dnnl_primitive_desc_t pd = NULL;
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL);
    if (s == dnnl_success) {
        const dnnl_memory_desc_t *chosen = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        if (chosen) *b = *chosen; else s = dnnl_runtime_error;
    }
    if (pd) dnnl_primitive_desc_destroy(pd);
    return s;
}

static dnnl_status_t create_primitive(const shape_key *key, cache_entry *entry) {
    dnnl_status_t s = describe(key, &entry->a, &entry->b, &entry->c);
    if (s != dnnl_success) return s;
    dnnl_dims_t bias_dims = {1, key->n};
    if (key->bias) s = dnnl_memory_desc_init_by_tag(&entry->bias, 2, bias_dims, dnnl_f32, dnnl_ab);
    if (s != dnnl_success) return s;
    dnnl_matmul_desc_t desc;
    s = dnnl_matmul_desc_init(&desc, &entry->a, &entry->b, key->bias ? &entry->bias : NULL, &entry->c);
    if (s != dnnl_success) return s;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    s = dnnl_primitive_attr_create(&attr);
    /* Each calling thread brings its own scratchpad: the library's shared one is not safe when several of our
       threads run primitives at once (results changed when extractions ran side by side). */
    if (s == dnnl_success) s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (s == dnnl_success && key->alpha != 1.0f) s = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &key->alpha);
    if (s == dnnl_success && (key->beta != 0.0f || key->gelu)) {
        s = dnnl_post_ops_create(&ops);
        if (s == dnnl_success && key->beta != 0.0f) s = dnnl_post_ops_append_sum(ops, key->beta);
        if (s == dnnl_success && key->gelu) s = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_gelu_erf, 0.0f, 0.0f);
        if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, ops);
    }
    dnnl_primitive_desc_t pd = NULL;
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL);
    if (s == dnnl_success && key->packed_rows > 0) {
        /* Packed weights pay only with the blocked kernels; anything else (a reference kernel) is refused, and the
           caller takes the plain path. */
        const char *impl = NULL;
        s = dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
        if (s == dnnl_success && (!impl || strncmp(impl, "brg", 3) != 0)) s = dnnl_unimplemented;
    }
    if (s == dnnl_success) {
        const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        if (scratch) entry->scratch = *scratch; else memset(&entry->scratch, 0, sizeof(entry->scratch));
        entry->scratch_bytes = scratch ? dnnl_memory_desc_get_size(scratch) : 0;
        s = dnnl_primitive_create(&entry->primitive, pd);
    }
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (ops) dnnl_post_ops_destroy(ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return s;
}

/* The cached entry for `key`, created on first use. Entries are never removed: a run uses a few dozen shapes.
   When the table is full, the primitive is created for this call only (returned through `temporary`). */
static dnnl_status_t lookup(const shape_key *key, cache_entry **found, cache_entry *temporary) {
    pthread_mutex_lock(&cache_lock);
    uint64_t slot = key_hash(key) % cache_slots;
    for (int probe = 0; probe < cache_slots; probe++, slot = (slot + 1) % cache_slots) {
        cache_entry *e = &cache[slot];
        if (e->used && memcmp(&e->key, key, sizeof(*key)) == 0) {
            pthread_mutex_unlock(&cache_lock);
            *found = e;
            return dnnl_success;
        }
        if (!e->used) {
            if (cache_count >= cache_slots * 3 / 4) break;
            dnnl_status_t s = create_primitive(key, e);
            if (s == dnnl_success) { e->key = *key; e->used = 1; cache_count++; *found = e; }
            pthread_mutex_unlock(&cache_lock);
            return s;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    memset(temporary, 0, sizeof(*temporary));
    dnnl_status_t s = create_primitive(key, temporary);
    *found = temporary;
    return s;
}

/* ---- the product ---------------------------------------------------------------------------------------------- */

static dnnl_status_t execute(cache_entry *e, const void *a, const void *b, const float *bias, float *c) {
    if (e->scratch_bytes > local.scratch_capacity) {
        free(local.scratch);
        local.scratch = aligned_alloc(64, (e->scratch_bytes + 63) / 64 * 64);
        local.scratch_capacity = local.scratch ? e->scratch_bytes : 0;
        if (!local.scratch) return dnnl_out_of_memory;
    }
    dnnl_memory_t ma = NULL, mb = NULL, mc = NULL, mbias = NULL, ms = NULL;
    dnnl_status_t s = dnnl_memory_create(&ma, &e->a, engine, (void *)a);
    if (s == dnnl_success) s = dnnl_memory_create(&mb, &e->b, engine, (void *)b);
    if (s == dnnl_success) s = dnnl_memory_create(&mc, &e->c, engine, c);
    if (s == dnnl_success && bias) s = dnnl_memory_create(&mbias, &e->bias, engine, (void *)bias);
    if (s == dnnl_success && e->scratch_bytes > 0) s = dnnl_memory_create(&ms, &e->scratch, engine, local.scratch);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
        int count = 3;
        if (mbias) args[count++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, mbias};
        if (ms) args[count++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, ms};
        s = dnnl_primitive_execute(e->primitive, local.stream, count, args);
        if (s == dnnl_success) s = dnnl_stream_wait(local.stream);
    }
    if (ma) dnnl_memory_destroy(ma);
    if (mb) dnnl_memory_destroy(mb);
    if (mc) dnnl_memory_destroy(mc);
    if (mbias) dnnl_memory_destroy(mbias);
    if (ms) dnnl_memory_destroy(ms);
    return s;
}

/* Copies `rows` rows of `cols` floats (row stride `ld`) into a dense bf16 [rows, cols] block. */
static void pack_bf16(const float *src, int64_t rows, int64_t cols, int64_t ld, uint16_t *dst) {
    if (ld == cols) { to_bf16(src, dst, (size_t)(rows * cols)); return; }
    for (int64_t r = 0; r < rows; r++) to_bf16(src + r * ld, dst + r * cols, (size_t)cols);
}

static int run_dense(shape_key *key, const void *a, const void *b, const float *bias, float *c) {
    cache_entry temporary, *entry = NULL;
    dnnl_status_t s = lookup(key, &entry, &temporary);
    if (s != dnnl_success) return (int)s;
    s = execute(entry, a, b, bias, c);
    if (entry == &temporary) dnnl_primitive_destroy(temporary.primitive);
    return (int)s;
}

/* oneDNN's fast kernels (brgemm, AMX) write dense outputs only; a strided C (a panel of a wider matrix) would get
   its generic gemm. So such a product goes to a dense per-thread block, copied into place. */
static int run(shape_key *key, const void *a, const void *b, const float *bias, float *c) {
    if (key->ldc == key->n) return run_dense(key, a, b, bias, c);
    if (key->c_bf16) return (int)dnnl_unimplemented;  /* the copy below is of floats */
    size_t count = (size_t)(key->m * key->n);
    if (count > local.c_capacity) {
        free(local.c);
        local.c = malloc(count * sizeof(float));
        local.c_capacity = local.c ? count : 0;
        if (!local.c) return (int)dnnl_out_of_memory;
    }
    int64_t ldc = key->ldc;
    if (key->beta != 0.0f)
        for (int64_t i = 0; i < key->m; i++) memcpy(local.c + i * key->n, c + i * ldc, (size_t)key->n * sizeof(float));
    key->ldc = key->n;
    int status = run_dense(key, a, b, bias, local.c);
    key->ldc = ldc;
    if (status == 0)
        for (int64_t i = 0; i < key->m; i++) memcpy(c + i * ldc, local.c + i * key->n, (size_t)key->n * sizeof(float));
    return status;
}

static shape_key make_key(int bf16, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                          int64_t lda, int64_t ldb, float beta, int64_t ldc) {
    shape_key key;
    memset(&key, 0, sizeof(key));  /* padding takes part in the hash and the comparison */
    key.m = m; key.n = n; key.k = k; key.lda = lda; key.ldb = ldb; key.ldc = ldc;
    key.bf16 = bf16 ? 1 : 0; key.trans_a = trans_a ? 1 : 0; key.trans_b = trans_b ? 1 : 0;
    key.alpha = alpha; key.beta = beta;
    return key;
}

int mvd_dnnl_matmul(int bf16, int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    dnnl_status_t s = thread_ready();
    if (s != dnnl_success) return (int)s;
    if (!bf16) {
        shape_key key = make_key(0, trans_a, trans_b, m, n, k, alpha, lda, ldb, beta, ldc);
        return run(&key, a, b, NULL, c);
    }
    /* The packed copies are dense in their stored orientation: [M,K] or [K,M], [K,N] or [N,K]. */
    int64_t a_rows = trans_a ? k : m, a_cols = trans_a ? m : k;
    int64_t b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
    uint16_t *qa = mvd_bf16_pack(0, a, a_rows, a_cols, lda);
    uint16_t *qb = mvd_bf16_pack(1, b, b_rows, b_cols, ldb);
    if (!qa || !qb) return (int)dnnl_out_of_memory;
    return mvd_dnnl_matmul_bf16(trans_a, trans_b, m, n, k, alpha, qa, a_cols, qb, b_cols, beta, c, ldc);
}

uint16_t *mvd_bf16_buffer(int slot, size_t count) {
    return slot == 0 ? buffer(&local.a, &local.a_capacity, count) : buffer(&local.b, &local.b_capacity, count);
}

uint16_t *mvd_bf16_pack(int slot, const float *src, int64_t rows, int64_t cols, int64_t ld) {
    uint16_t *dst = mvd_bf16_buffer(slot, (size_t)(rows * cols));
    if (dst) pack_bf16(src, rows, cols, ld, dst);
    return dst;
}

int mvd_dnnl_matmul_bf16(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                         const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb, float beta, float *c,
                         int64_t ldc) {
    dnnl_status_t s = thread_ready();
    if (s != dnnl_success) return (int)s;
    shape_key key = make_key(1, trans_a, trans_b, m, n, k, alpha, lda, ldb, beta, ldc);
    return run(&key, a, b, NULL, c);
}

/* ---- packed weights ------------------------------------------------------------------------------------------ */

enum { pack_rows = 128 };

struct mvd_packed_b {
    int bf16;
    int64_t k, n;
    dnnl_memory_desc_t layout;
    void *data;
};

/* Reorders op(B) [k, n], stored dense in the product's type (bf16 or fp32) as [n, k] when trans_b, else [k, n], with
   row stride ldb, into the blocked layout. */
static mvd_packed_b *pack(int bf16, int trans_b, int64_t k, int64_t n, const void *b, int64_t ldb, dnnl_status_t *status) {
    dnnl_status_t s = thread_ready();
    mvd_packed_b *packed = calloc(1, sizeof(*packed));
    dnnl_memory_t from = NULL, to = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t reorder = NULL;
    if (!packed && s == dnnl_success) s = dnnl_out_of_memory;
    if (s == dnnl_success) {
        packed->bf16 = bf16 ? 1 : 0; packed->k = k; packed->n = n;
        s = packed_layout(packed->bf16, k, n, pack_rows, &packed->layout);
    }
    dnnl_memory_desc_t plain;
    dnnl_dims_t dims = {k, n};
    dnnl_dims_t strides = {trans_b ? 1 : ldb, trans_b ? ldb : 1};
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_strides(&plain, 2, dims, bf16 ? dnnl_bf16 : dnnl_f32, strides);
    if (s == dnnl_success) {
        size_t bytes = dnnl_memory_desc_get_size(&packed->layout);
        packed->data = aligned_alloc(64, (bytes + 63) / 64 * 64);
        if (!packed->data) s = dnnl_out_of_memory;
    }
    if (s == dnnl_success) s = dnnl_memory_create(&from, &plain, engine, (void *)b);
    if (s == dnnl_success) s = dnnl_memory_create(&to, &packed->layout, engine, packed->data);
    if (s == dnnl_success) s = dnnl_reorder_primitive_desc_create(&rpd, &plain, engine, &packed->layout, engine, NULL);
    if (s == dnnl_success) s = dnnl_primitive_create(&reorder, rpd);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
        s = dnnl_primitive_execute(reorder, local.stream, 2, args);
        if (s == dnnl_success) s = dnnl_stream_wait(local.stream);
    }
    if (reorder) dnnl_primitive_destroy(reorder);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (from) dnnl_memory_destroy(from);
    if (to) dnnl_memory_destroy(to);
    *status = s;
    if (s != dnnl_success) { mvd_dnnl_packed_b_free(packed); return NULL; }
    return packed;
}

mvd_packed_b *mvd_dnnl_pack_b(int bf16, int trans_b, int64_t k, int64_t n, const float *b, int64_t ldb, int *status) {
    dnnl_status_t s = dnnl_success;
    mvd_packed_b *packed = NULL;
    if (bf16) {
        /* Rounded by our conversion first (the same bits as the plain path), so the reorder only moves data. */
        int64_t rows = trans_b ? n : k, cols = trans_b ? k : n;
        uint16_t *rounded = malloc((size_t)(rows * cols) * sizeof(uint16_t));
        if (!rounded) s = dnnl_out_of_memory;
        else {
            pack_bf16(b, rows, cols, ldb, rounded);
            packed = pack(1, trans_b, k, n, rounded, cols, &s);
            free(rounded);
        }
    } else {
        packed = pack(0, trans_b, k, n, b, ldb, &s);
    }
    if (status) *status = (int)s;
    return packed;
}

mvd_packed_b *mvd_dnnl_pack_b_bf16(int trans_b, int64_t k, int64_t n, const uint16_t *b, int64_t ldb, int *status) {
    dnnl_status_t s = dnnl_success;
    mvd_packed_b *packed = pack(1, trans_b, k, n, b, ldb, &s);
    if (status) *status = (int)s;
    return packed;
}

void mvd_dnnl_packed_b_free(mvd_packed_b *packed) {
    if (!packed) return;
    free(packed->data);
    free(packed);
}

int mvd_dnnl_matmul_packed(const mvd_packed_b *b, int64_t m, const void *a, int64_t lda, float alpha, const float *bias,
                           void *c, int64_t ldc, int flags) {
    dnnl_status_t s = thread_ready();
    if (s != dnnl_success) return (int)s;
    int a_bf16 = (flags & MVD_PACKED_A_BF16) != 0;
    if ((a_bf16 || (flags & MVD_PACKED_C_BF16)) && !b->bf16) return (int)dnnl_invalid_arguments;
    /* An fp32 A of a bf16 product is rounded into the thread's buffer (dense); a bf16 A is used where it is. */
    shape_key key = make_key(b->bf16, 0, 0, m, b->n, b->k, alpha, b->bf16 && !a_bf16 ? b->k : lda, 0, 0, ldc);
    key.packed_rows = pack_rows;
    key.bias = bias ? 1 : 0;
    key.gelu = (flags & MVD_PACKED_GELU) != 0;
    key.c_bf16 = (flags & MVD_PACKED_C_BF16) != 0;
    const void *operand = a;
    if (b->bf16 && !a_bf16) {
        operand = mvd_bf16_pack(0, a, m, b->k, lda);
        if (!operand) return (int)dnnl_out_of_memory;
    }
    return run(&key, operand, b->data, bias, c);
}

int mvd_dnnl_native_bf16(void) {
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return ((unsigned)isa & (unsigned)dnnl_cpu_isa_avx512_core_bf16) == (unsigned)dnnl_cpu_isa_avx512_core_bf16;
}

int mvd_dnnl_kernel_name(int bf16, int64_t m, int64_t n, int64_t k, char *name, size_t capacity) {
    if (capacity == 0) return (int)dnnl_invalid_arguments;
    name[0] = 0;
    pthread_once(&engine_once, create_engine);
    if (engine_status != dnnl_success) return (int)engine_status;
    shape_key key;
    memset(&key, 0, sizeof(key));
    key.m = m; key.n = n; key.k = k; key.lda = k; key.ldb = n; key.ldc = n; key.bf16 = bf16 ? 1 : 0; key.alpha = 1;
    dnnl_memory_desc_t da, db, dc;
    dnnl_status_t s = describe(&key, &da, &db, &dc);
    dnnl_matmul_desc_t desc;
    if (s == dnnl_success) s = dnnl_matmul_desc_init(&desc, &da, &db, NULL, &dc);
    dnnl_primitive_desc_t pd = NULL;
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL);
    const char *impl = NULL;
    if (s == dnnl_success) s = dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    if (s == dnnl_success && impl) {
        strncpy(name, impl, capacity - 1);
        name[capacity - 1] = 0;
    }
    if (pd) dnnl_primitive_desc_destroy(pd);
    return (int)s;
}
