/* The atomic configuration container (shearband/structure.h) and the element table. */
#include "shearband/structure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/binfile.h"

void sb_structure_init(sb_structure *s)
{
    memset(s, 0, sizeof *s);
}

void sb_structure_free(sb_structure *s)
{
    if (!s) return;
    free(s->id);
    free(s->type);
    free(s->x);
    free(s->image);
    free(s->type_name);
    free(s->mass);
    for (int p = 0; p < s->nprop; p++) free(s->prop[p].data);
    free(s->prop);
    sb_structure_init(s);
}

sb_status sb_structure_alloc(sb_structure *s, size_t n, int ntypes, sb_error *err)
{
    sb_structure_free(s);
    if (ntypes < 1) return sb_error_set(err, SB_ERR_INVALID_ARG, "need at least one atom type");
    const size_t nn = n ? n : 1;
    s->id = malloc(nn * sizeof *s->id);
    s->type = malloc(nn * sizeof *s->type);
    s->x = calloc(3 * nn, sizeof *s->x);
    s->type_name = calloc((size_t)ntypes, sizeof *s->type_name);
    s->mass = malloc((size_t)ntypes * sizeof *s->mass);
    if (!s->id || !s->type || !s->x || !s->type_name || !s->mass) {
        sb_structure_free(s);
        return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate %zu atoms", n);
    }
    s->n = n;
    s->ntypes = ntypes;
    for (size_t i = 0; i < n; i++) {
        s->id[i] = (int64_t)i + 1;
        s->type[i] = 1;
    }
    for (int t = 0; t < ntypes; t++) s->mass[t] = NAN;
    const double lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1};
    sb_cell_set(&s->cell, lo, hi, 0, 0, 0, NULL);
    return SB_OK;
}

static void *dup_array(const void *src, size_t bytes, int *fail)
{
    if (!src) return NULL;
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        *fail = 1;
        return NULL;
    }
    memcpy(p, src, bytes);
    return p;
}

sb_status sb_structure_copy(sb_structure *dst, const sb_structure *src, sb_error *err)
{
    sb_structure_free(dst);
    int fail = 0;
    const size_t n = src->n, nt = (size_t)src->ntypes;
    *dst = *src;
    dst->id = dup_array(src->id, n * sizeof *src->id, &fail);
    dst->type = dup_array(src->type, n * sizeof *src->type, &fail);
    dst->x = dup_array(src->x, 3 * n * sizeof *src->x, &fail);
    dst->image = dup_array(src->image, 3 * n * sizeof *src->image, &fail);
    dst->type_name = dup_array(src->type_name, nt * sizeof *src->type_name, &fail);
    dst->mass = dup_array(src->mass, nt * sizeof *src->mass, &fail);
    dst->prop = dup_array(src->prop, (size_t)src->nprop * sizeof *src->prop, &fail);
    if (dst->prop) {
        for (int p = 0; p < src->nprop; p++)
            dst->prop[p].data = dup_array(src->prop[p].data,
                                          n * (size_t)src->prop[p].ncomp * sizeof(double), &fail);
    }
    if (fail) {
        if (!dst->prop) dst->nprop = 0;
        sb_structure_free(dst);
        return sb_error_set(err, SB_ERR_NOMEM, "cannot copy a structure of %zu atoms", n);
    }
    return SB_OK;
}

sb_status sb_structure_add_property(sb_structure *s, const char *name, int ncomp,
                                    double **data, sb_error *err)
{
    if (ncomp < 1 || strlen(name) == 0 || strlen(name) >= SB_NAME_LEN)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "bad property '%s' with %d components", name, ncomp);
    for (int p = 0; p < s->nprop; p++) {
        if (strcmp(s->prop[p].name, name) == 0) {
            if (s->prop[p].ncomp != ncomp)
                return sb_error_set(err, SB_ERR_INVALID_ARG,
                                    "property '%s' exists with %d components, not %d", name,
                                    s->prop[p].ncomp, ncomp);
            if (data) *data = s->prop[p].data;
            return SB_OK;
        }
    }
    double *buf = calloc((s->n ? s->n : 1) * (size_t)ncomp, sizeof *buf);
    sb_property *grown = realloc(s->prop, (size_t)(s->nprop + 1) * sizeof *grown);
    if (!buf || !grown) {
        free(buf);
        if (grown) s->prop = grown;
        return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate property '%s'", name);
    }
    s->prop = grown;
    sb_property *p = &s->prop[s->nprop++];
    memset(p, 0, sizeof *p);
    strcpy(p->name, name);
    p->ncomp = ncomp;
    p->data = buf;
    if (data) *data = buf;
    return SB_OK;
}

const sb_property *sb_structure_find_property(const sb_structure *s, const char *name)
{
    for (int p = 0; p < s->nprop; p++)
        if (strcmp(s->prop[p].name, name) == 0) return &s->prop[p];
    return NULL;
}

sb_status sb_structure_ensure_images(sb_structure *s, sb_error *err)
{
    if (s->image) return SB_OK;
    s->image = calloc(3 * (s->n ? s->n : 1), sizeof *s->image);
    if (!s->image) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate image flags");
    return SB_OK;
}

sb_status sb_structure_set_elements(sb_structure *s, const char *const *names, sb_error *err)
{
    for (int t = 0; t < s->ntypes; t++) {
        const double m = sb_element_mass(names[t]);
        if (isnan(m))
            return sb_error_set(err, SB_ERR_INVALID_ARG, "unknown element '%s' for type %d",
                                names[t], t + 1);
        snprintf(s->type_name[t], SB_ELEMENT_LEN, "%s", names[t]);
        if (isnan(s->mass[t])) s->mass[t] = m;
    }
    return SB_OK;
}

void sb_structure_type_counts(const sb_structure *s, size_t *counts)
{
    memset(counts, 0, (size_t)s->ntypes * sizeof *counts);
    for (size_t i = 0; i < s->n; i++)
        if (s->type[i] >= 1 && s->type[i] <= s->ntypes) counts[s->type[i] - 1]++;
}

sb_status sb_structure_density(const sb_structure *s, double *rho, sb_error *err)
{
    /* 1 g/mol per A^3 = 1 / (N_A * 1e-24) g/cm^3. */
    const double avogadro = 6.02214076e23;
    double total = 0.0;
    for (size_t i = 0; i < s->n; i++) {
        const double m = s->mass[s->type[i] - 1];
        if (isnan(m))
            return sb_error_set(err, SB_ERR_INVALID_ARG, "no mass known for atom type %d",
                                s->type[i]);
        total += m;
    }
    *rho = total / avogadro / (sb_cell_volume(&s->cell) * 1e-24);
    return SB_OK;
}

typedef struct {
    int64_t id;
    size_t index;
} id_index;

static int cmp_id_index(const void *a, const void *b)
{
    const int64_t ia = ((const id_index *)a)->id, ib = ((const id_index *)b)->id;
    return (ia > ib) - (ia < ib);
}

sb_status sb_structure_id_order(const sb_structure *s, size_t **order, sb_error *err)
{
    size_t *o = malloc((s->n ? s->n : 1) * sizeof *o);
    if (!o) return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate id index");
    /* Ids are usually already sorted (LAMMPS writes them so); check before sorting. */
    int sorted = 1;
    for (size_t i = 1; i < s->n && sorted; i++) sorted = s->id[i] > s->id[i - 1];
    if (sorted) {
        for (size_t i = 0; i < s->n; i++) o[i] = i;
    } else {
        id_index *pairs = malloc(s->n * sizeof *pairs);
        if (!pairs) {
            free(o);
            return sb_error_set(err, SB_ERR_NOMEM, "cannot allocate id index");
        }
        for (size_t i = 0; i < s->n; i++) pairs[i] = (id_index){s->id[i], i};
        qsort(pairs, s->n, sizeof *pairs, cmp_id_index);
        for (size_t i = 0; i < s->n; i++) o[i] = pairs[i].index;
        free(pairs);
    }
    for (size_t i = 1; i < s->n; i++) {
        if (s->id[o[i]] == s->id[o[i - 1]]) {
            const int64_t dup = s->id[o[i]];
            free(o);
            return sb_error_set(err, SB_ERR_INVALID_ARG, "atom id %lld appears more than once",
                                (long long)dup);
        }
    }
    *order = o;
    return SB_OK;
}

size_t sb_structure_index_of(const sb_structure *s, const size_t *order, int64_t id)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int64_t v = s->id[order[mid]];
        if (v == id) return order[mid];
        if (v < id) lo = mid + 1;
        else hi = mid;
    }
    return (size_t)-1;
}

void sb_structure_wrap(sb_structure *s)
{
    for (size_t i = 0; i < s->n; i++)
        sb_cell_wrap(&s->cell, &s->x[3 * i], s->image ? &s->image[3 * i] : NULL);
}

/* Standard atomic weights (IUPAC 2021, conventional values) of elements met in metallic
 * glasses and their usual partners. */
static const struct {
    const char *symbol;
    double mass;
} elements[] = {
    {"H", 1.008},     {"B", 10.81},     {"C", 12.011},   {"N", 14.007},   {"O", 15.999},
    {"Mg", 24.305},   {"Al", 26.9815},  {"Si", 28.085},  {"P", 30.9738},  {"Ca", 40.078},
    {"Ti", 47.867},   {"Cr", 51.9961},  {"Mn", 54.938},  {"Fe", 55.845},  {"Co", 58.9332},
    {"Ni", 58.6934},  {"Cu", 63.546},   {"Zn", 65.38},   {"Ge", 72.630},  {"Y", 88.9058},
    {"Zr", 91.224},   {"Nb", 92.9064},  {"Mo", 95.95},   {"Pd", 106.42},  {"Ag", 107.8682},
    {"La", 138.9055}, {"Ce", 140.116},  {"Gd", 157.25},  {"Hf", 178.49},  {"Ta", 180.9479},
    {"W", 183.84},    {"Pt", 195.084},  {"Au", 196.9666},
};

double sb_element_mass(const char *symbol)
{
    for (size_t k = 0; k < sizeof elements / sizeof elements[0]; k++)
        if (strcmp(elements[k].symbol, symbol) == 0) return elements[k].mass;
    return NAN;
}

const char *sb_element_from_mass(double m, double tol)
{
    for (size_t k = 0; k < sizeof elements / sizeof elements[0]; k++)
        if (fabs(elements[k].mass - m) <= tol) return elements[k].symbol;
    return NULL;
}

uint64_t sb_glass_fingerprint(const sb_structure *g)
{
    const uint64_t h = sb_fnv1a64_update(SB_FNV1A64_BASIS, g->x, 3 * g->n * sizeof *g->x);
    return sb_fnv1a64_update(h, g->type, g->n * sizeof *g->type);
}
