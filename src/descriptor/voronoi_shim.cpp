/*
 * Voronoi analysis through voro++ (shearband/voronoi.h). This is the project's only C++: a
 * thin shim because voro++ has no C interface. Nothing C++ crosses the boundary; every
 * exception is caught and turned into an sb_status.
 *
 * voro++'s periodic container uses LAMMPS's cell convention (a = (bx,0,0), b = (bxy,by,0),
 * c = (bxz,byz,bz)) with the origin at 0, so positions are shifted by lo and wrapped. The
 * container is built once (again for the rare cells voro++ fails to cut, below) and cells
 * are computed serially: voro++'s compute object keeps mutable state, so it cannot be
 * shared between threads, and at ~10 us per cell a 32,000 atom glass takes well under a
 * second.
 */
#include "shearband/voronoi.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

#include <voro++.hh>

namespace {

/* voro++ wants roughly a few particles per computational block. */
void block_counts(const sb_cell &cell, size_t n, int nb[3])
{
    double w[3];
    sb_cell_widths(&cell, w);
    const double vol = sb_cell_volume(&cell);
    const double per_block = 3.0;
    const double side = std::cbrt(per_block * vol / (double)(n ? n : 1));
    for (int k = 0; k < 3; k++) {
        int b = (int)(w[k] / side);
        nb[k] = b < 1 ? 1 : b;
    }
}

/* Classify the kept faces of one computed cell. */
template <class Cell>
void analyse_cell(Cell &c, const sb_voronoi_params &p, const sb_structure &s, size_t i,
                  const std::vector<double> &wrapped, sb_voronoi_atom &out)
{
    std::vector<double> areas, verts;
    std::vector<int> neigh, fverts;
    c.face_areas(areas);
    c.neighbors(neigh);
    c.face_vertices(fverts);
    c.vertices(verts); /* relative to the particle */
    double total = 0.0;
    for (double a : areas) total += a;
    out.volume = c.volume();
    out.rho = out.volume > 0 ? 1.0 / out.volume : 0.0;
    out.nfaces = 0;
    std::memset(out.index, 0, sizeof out.index);
    double dist_sum = 0.0;
    const double min2 = p.edge_length_min * p.edge_length_min;
    size_t pos = 0;
    for (size_t f = 0; f < areas.size(); f++) {
        const int nv = fverts[pos];
        const bool keep = areas[f] >= p.face_area_fraction * total;
        if (keep) {
            int edges = 0;
            for (int e = 0; e < nv; e++) {
                const int va = fverts[pos + 1 + e], vb = fverts[pos + 1 + (e + 1) % nv];
                double d2 = 0.0;
                for (int k = 0; k < 3; k++) {
                    const double dk = verts[3 * va + k] - verts[3 * vb + k];
                    d2 += dk * dk;
                }
                if (d2 >= min2) edges++;
            }
            out.nfaces++;
            const int slot = edges - SB_VORONOI_INDEX_MIN;
            if (slot >= 0 && slot < SB_VORONOI_INDEX_LEN) out.index[slot]++;
            /* Distance to the neighbour across this face: the minimum image, which is the
             * image the face belongs to for any cell wider than twice the neighbour shell. */
            const int j = neigh[f];
            if (j >= 0 && (size_t)j < s.n) {
                double d[3];
                for (int k = 0; k < 3; k++) d[k] = wrapped[3 * (size_t)j + k] - wrapped[3 * i + k];
                sb_cell_min_image(&s.cell, d);
                dist_sum += std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            }
        }
        pos += (size_t)nv + 1;
    }
    out.ffb = out.nfaces ? (double)out.index[5 - SB_VORONOI_INDEX_MIN] / out.nfaces : 0.0;
    out.mean_neighbor_distance = out.nfaces ? dist_sum / out.nfaces : 0.0;
}

/* Compute every cell the container can cut; returns how many could not be. */
template <class Container>
size_t run(Container &con, const sb_structure &s, const sb_voronoi_params &p,
           const std::vector<double> &wrapped, sb_voronoi_atom *out, std::vector<char> &done)
{
    voro::voronoicell_neighbor c;
    voro::c_loop_all_periodic loop(con);
    if (loop.start()) do {
            const int i = loop.pid();
            if (i < 0 || (size_t)i >= s.n) continue;
            if (!con.compute_cell(c, loop)) continue;
            analyse_cell(c, p, s, (size_t)i, wrapped, out[i]);
            done[(size_t)i] = 1;
        } while (loop.inc());
    size_t missing = 0;
    for (size_t i = 0; i < s.n; i++) missing += !done[i];
    return missing;
}

} // namespace

extern "C" sb_voronoi_params sb_voronoi_params_default(void)
{
    sb_voronoi_params p;
    std::memset(&p, 0, sizeof p);
    p.radical = false;
    for (double &r : p.radius) r = 1.0;
    p.face_area_fraction = 0.01;
    p.edge_length_min = 0.0;
    return p;
}

extern "C" sb_status sb_voronoi_compute(const sb_structure *s, const sb_voronoi_params *p,
                                        sb_voronoi_atom *out, sb_error *err)
{
    if (!(p->face_area_fraction >= 0.0 && p->face_area_fraction < 1.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "face area fraction %g not in [0,1)",
                            p->face_area_fraction);
    if (!(p->edge_length_min >= 0.0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "edge length threshold %g must be >= 0",
                            p->edge_length_min);
    if (s->ntypes > SB_VORONOI_MAX_TYPES)
        return sb_error_set(err, SB_ERR_UNSUPPORTED, "Voronoi supports at most %d types",
                            SB_VORONOI_MAX_TYPES);
    if (p->radical)
        for (int t = 0; t < s->ntypes; t++)
            if (!(p->radius[t] > 0.0))
                return sb_error_set(err, SB_ERR_INVALID_ARG, "radical Voronoi radius of type %d is %g",
                                    t + 1, p->radius[t]);
    try {
        /* Wrapped positions relative to lo, in voro++'s frame. */
        std::vector<double> wrapped(3 * s->n);
        for (size_t i = 0; i < s->n; i++) {
            double r[3] = {s->x[3 * i], s->x[3 * i + 1], s->x[3 * i + 2]};
            for (int k = 0; k < 3; k++)
                if (!std::isfinite(r[k]))
                    return sb_error_set(err, SB_ERR_NUMERIC, "atom id %lld has a non-finite position",
                                        (long long)s->id[i]);
            sb_cell_wrap(&s->cell, r, NULL);
            for (int k = 0; k < 3; k++) wrapped[3 * i + k] = r[k] - s->cell.lo[k];
        }
        int nb0[3];
        block_counts(s->cell, s->n, nb0);
        const sb_cell &c = s->cell;
        /* voro++ 0.4.6 occasionally fails to cut a cell with near-degenerate vertices (its
         * plane routine gives up, compute_cell returns false), and then the cells around it
         * do not tile the box either: g001 of datasets/ loses atom 227 on an 11^3 block grid
         * and the other cells sum to 2.8 A^3 too much, while a 12^3 grid is exact. Which cell
         * fails depends on the order the planes are cut, hence on the grid; so a result is
         * accepted only when every cell was cut (or, radical, is empty) and the volumes tile
         * the box, and otherwise the whole tessellation is redone on the next grid. */
        std::vector<char> done(s->n);
        const double vbox = sb_cell_volume(&c);
        double vsum = 0.0;
        for (int attempt = 0; attempt < 4; attempt++) {
            int nb[3];
            for (int k = 0; k < 3; k++) nb[k] = nb0[k] + attempt;
            std::fill(done.begin(), done.end(), 0);
            size_t missing;
            if (p->radical) {
                voro::container_periodic_poly con(c.h[0][0], c.xy, c.h[1][1], c.xz, c.yz, c.h[2][2],
                                                  nb[0], nb[1], nb[2], 8);
                for (size_t i = 0; i < s->n; i++)
                    con.put((int)i, wrapped[3 * i], wrapped[3 * i + 1], wrapped[3 * i + 2],
                            p->radius[s->type[i] - 1]);
                missing = run(con, *s, *p, wrapped, out, done);
            } else {
                voro::container_periodic con(c.h[0][0], c.xy, c.h[1][1], c.xz, c.yz, c.h[2][2], nb[0],
                                             nb[1], nb[2], 8);
                for (size_t i = 0; i < s->n; i++)
                    con.put((int)i, wrapped[3 * i], wrapped[3 * i + 1], wrapped[3 * i + 2]);
                missing = run(con, *s, *p, wrapped, out, done);
            }
            vsum = 0.0;
            for (size_t i = 0; i < s->n; i++) vsum += done[i] ? out[i].volume : 0.0;
            if ((missing == 0 || p->radical) && std::fabs(vsum - vbox) <= 1e-9 * vbox) break;
        }
        for (size_t i = 0; i < s->n; i++) {
            if (done[i]) continue;
            /* A radical cell can legitimately be empty (a small atom squeezed between large
             * ones); a plain Voronoi cell cannot, unless two atoms coincide. */
            if (!p->radical)
                return sb_error_set(err, SB_ERR_GEOMETRY,
                                    "Voronoi cell of atom id %lld could not be computed (coincident atoms?)",
                                    (long long)s->id[i]);
            std::memset(&out[i], 0, sizeof out[i]);
        }
        if (!(std::fabs(vsum - vbox) <= 1e-9 * vbox))
            return sb_error_set(err, SB_ERR_NUMERIC,
                                "Voronoi cells of %zu atoms sum to %.10g A^3, the box is %.10g A^3",
                                s->n, vsum, vbox);
        return SB_OK;
    } catch (const std::bad_alloc &) {
        return sb_error_set(err, SB_ERR_NOMEM, "out of memory in Voronoi analysis of %zu atoms", s->n);
    } catch (...) {
        return sb_error_set(err, SB_ERR_INTERNAL, "voro++ failed on %zu atoms", s->n);
    }
}
