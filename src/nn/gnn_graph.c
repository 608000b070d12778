/*
 * gnn_graph.c: the graph of one glass under one loading orientation.
 *
 * Edges come straight from the full CSR neighbour list (shearband/neighbor.h): row i lists
 * every periodic image j of every atom within the cutoff, so the list IS a CSR adjacency by
 * receiver, built in O(N) for any triclinic cell, with memory O(N * neighbours). We copy
 * the neighbour indices (as senders) and turn the displacement vectors into edge features
 * in the loading frame, X = R d (R a signed permutation: exact in floating point), scaled
 * by 1/cutoff so that they lie in [-1, 1] like the one-hot node features.
 *
 * Twins. Because the list is full, the edge (i <- j, image n, d) has a twin (j <- i, image
 * -n, -d) in row j. rev[e] records it. The backward pass needs, for every node j, the sum of
 * a per-edge quantity over the edges j SENDS; with rev that is a sum over row j of
 * q[rev[e]], so one thread per node row can do it without atomics (see gnn_plan.c). The
 * twin is found by scanning row j for the entry with neighbour i and d' closest to -d
 * (O(N * neighbours^2 / N) = O(E * neighbours)); the residual must be rounding-small.
 */
#include "nn/gnn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/neighbor.h"

void sb_gnn_graph_free(sb_gnn_graph *g)
{
    if (!g) return;
    free(g->offset);
    free(g->src);
    free(g->rev);
    free(g->node_feat);
    free(g->edge_feat);
    memset(g, 0, sizeof *g);
}

static sb_status graph_reserve(sb_gnn_graph *g, size_t n, size_t ne, int ns, int fe, sb_error *err)
{
    if (n > g->cap_n || ns != g->nspecies) {
        size_t *o = realloc(g->offset, (n + 1) * sizeof *o);
        if (o) g->offset = o;
        float *nf = realloc(g->node_feat, (n ? n : 1) * (size_t)ns * sizeof *nf);
        if (nf) g->node_feat = nf;
        if (!o || !nf) return sb_error_set(err, SB_ERR_NOMEM, "gnn graph: out of memory for %zu nodes", n);
        g->cap_n = n;
    }
    if (ne > g->cap_e || fe != g->edge_dim) {
        uint32_t *s = realloc(g->src, (ne ? ne : 1) * sizeof *s);
        if (s) g->src = s;
        uint32_t *r = realloc(g->rev, (ne ? ne : 1) * sizeof *r);
        if (r) g->rev = r;
        float *ef = realloc(g->edge_feat, (ne ? ne : 1) * (size_t)fe * sizeof *ef);
        if (ef) g->edge_feat = ef;
        if (!s || !r || !ef) return sb_error_set(err, SB_ERR_NOMEM, "gnn graph: out of memory for %zu edges", ne);
        g->cap_e = ne;
    }
    g->nspecies = ns;
    g->edge_dim = fe;
    return SB_OK;
}

sb_status sb_gnn_graph_build(sb_gnn_graph *g, const sb_gnn_config *c, const sb_cell *cell, const double *x,
                             const int *type, size_t n, const int R[3][3], sb_error *err)
{
    sb_status st = sb_gnn_config_check(c, err);
    if (st != SB_OK) return st;
    for (size_t i = 0; i < n; i++)
        if (type[i] < 1 || type[i] > c->nspecies)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn graph: atom %zu has type %d, the model knows 1..%d", i,
                                type[i], c->nspecies);
    static const int ident[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    if (!R) R = ident;
    sb_neighbor_list nl = SB_NEIGHBOR_LIST_INIT;
    st = sb_neighbor_build(&nl, cell, x, n, c->cutoff, err);
    if (st != SB_OK) {
        sb_neighbor_free(&nl);
        return sb_error_prefix(err, "gnn graph: ");
    }
    const size_t ne = nl.offset[n];
    if (ne > UINT32_MAX) {
        sb_neighbor_free(&nl);
        return sb_error_set(err, SB_ERR_INVALID_ARG, "gnn graph: %zu edges exceed 2^32", ne);
    }
    const int fe = c->edge_length ? 4 : 3;
    st = graph_reserve(g, n, ne, c->nspecies, fe, err);
    if (st != SB_OK) {
        sb_neighbor_free(&nl);
        return st;
    }
    g->n = n;
    g->nedges = ne;
    memcpy(g->offset, nl.offset, (n + 1) * sizeof *g->offset);
    memset(g->node_feat, 0, n * (size_t)c->nspecies * sizeof(float));
    for (size_t i = 0; i < n; i++) g->node_feat[i * (size_t)c->nspecies + (size_t)(type[i] - 1)] = 1.0f;
    const double inv = 1.0 / c->cutoff;
    long bad = -1;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 64)
#endif
    for (size_t i = 0; i < n; i++) {
        for (size_t e = nl.offset[i]; e < nl.offset[i + 1]; e++) {
            const double *d = nl.d + 3 * e;
            float *f = g->edge_feat + e * (size_t)fe;
            for (int r = 0; r < 3; r++) f[r] = (float)((R[r][0] * d[0] + R[r][1] * d[1] + R[r][2] * d[2]) * inv);
            if (fe == 4) f[3] = (float)(sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) * inv);
            const uint32_t j = nl.j[e];
            g->src[e] = j;
            /* the twin: in row j, neighbour i, displacement closest to -d */
            double best = INFINITY;
            size_t arg = 0;
            for (size_t t = nl.offset[j]; t < nl.offset[j + 1]; t++) {
                if (nl.j[t] != (uint32_t)i) continue;
                const double *q = nl.d + 3 * t;
                double r2 = (q[0] + d[0]) * (q[0] + d[0]) + (q[1] + d[1]) * (q[1] + d[1]) +
                            (q[2] + d[2]) * (q[2] + d[2]);
                if (r2 < best) {
                    best = r2;
                    arg = t;
                }
            }
            if (!(best < 1e-12 * (1.0 + c->cutoff * c->cutoff))) {
#ifdef _OPENMP
#pragma omp critical(gnn_graph_bad)
#endif
                bad = (long)e;
            }
            g->rev[e] = (uint32_t)arg;
        }
    }
    sb_neighbor_free(&nl);
    if (bad >= 0) {
        g->n = g->nedges = 0;
        return sb_error_set(err, SB_ERR_INTERNAL, "gnn graph: edge %ld has no twin in the neighbour list", bad);
    }
    return SB_OK;
}
