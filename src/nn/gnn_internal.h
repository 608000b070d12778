/*
 * gnn_internal.h: the GNN model and plan structs shared by src/nn/gnn_*.c, and the dense
 * backend (one general matrix product, BLAS or plain loops).
 */
#ifndef SB_GNN_INTERNAL_H
#define SB_GNN_INTERNAL_H

#include "core/binfile.h"
#include "shearband/gnn.h"

enum {
    GNN_ENC_V1, GNN_ENC_V2, GNN_ENC_E1, GNN_ENC_E2, GNN_CORE_E1, GNN_CORE_E2,
    GNN_CORE_V1, GNN_CORE_V2, GNN_DEC1, GNN_DEC2, GNN_DEC3
};

typedef struct gnn_dense {
    int in, out;
    size_t woff, boff; /* weights [out][in], bias [out] in the flat array */
} gnn_dense;

struct sb_gnn_model {
    sb_gnn_config cfg;
    int edge_dim;
    gnn_dense layer[SB_GNN_NUM_LAYERS];
    size_t nparams;
    float *params;
    sb_bin_meta meta;
};

/* C (M x N, ldc) = beta C + op(A) op(B), op = transpose when the flag is set; row-major. */
typedef void (*gnn_gemm_fn)(bool ta, bool tb, size_t M, size_t N, size_t K, const float *A, size_t lda,
                            const float *B, size_t ldb, float beta, float *C, size_t ldc);

void gnn_gemm_blas(bool ta, bool tb, size_t M, size_t N, size_t K, const float *A, size_t lda,
                   const float *B, size_t ldb, float beta, float *C, size_t ldc);
void gnn_gemm_ref(bool ta, bool tb, size_t M, size_t N, size_t K, const float *A, size_t lda,
                  const float *B, size_t ldb, float beta, float *C, size_t ldc);

/* Deterministic RNG (splitmix64) for init. */
static inline uint64_t gnn_splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

#endif
