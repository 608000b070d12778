/*
 * Extended XYZ (read and write), the format of ASE, OVITO and QUIP.
 *
 * A frame is a line with the atom count N, a comment line of key=value pairs, and N atom
 * lines whose columns are described by Properties=name:type:ncols:name:type:ncols... with
 * types S (string), R (real), I (integer), L (logical T/F). We write
 *     N
 *     Lattice="ax ay az bx by bz cx cy cz" Origin="x0 y0 z0"
 *     Properties=id:I:1:species:S:1:pos:R:3[:image:I:3][:prop:R:ncomp...]
 *     Types="Cu Zr" Timestep=N pbc="T T T" [comment_extra]
 * (one line). Lattice holds the cell vectors a, b, c as rows, Origin the corner lo.
 *
 * Species and types. The writer names each type by its element, or by its type number when
 * the name is empty or shared with another type. Types="..." lists the species of types
 * 1, 2, ... so that our own files read back with the same type numbers. Without it (files
 * from ASE or OVITO) the reader numbers the distinct species in sorted (strcmp) order of
 * their names ("Cu" = 1, "Zr" = 2), which does not depend on the order of the atoms; when
 * every species is a positive integer, that integer is the type.
 *
 * Lattice orientation. Our cells follow LAMMPS: a along x, b in the xy plane (H lower
 * triangular). A general Lattice is rotated into that form: with a, b, c its rows,
 *     lx = |a|, xy = b.a/lx, ly = |b x a|/lx, xz = c.a/lx, yz = (b.c - xy xz)/ly, lz = V/(lx ly)
 * (LAMMPS Howto triclinic), and every position is mapped through its fractional
 * coordinates, r' = origin + ((r - origin) A^-1) H, which is the same rigid rotation about
 * the origin. A left-handed Lattice (negative volume) cannot be rotated into this form and
 * is rejected. An already lower-triangular Lattice is used as is, positions untouched.
 *
 * Reading: Lattice is required (no cell, no periodic analysis); Properties defaults to
 * species:S:1:pos:R:3 (an integer type:I:1 column stands in for a missing species column);
 * id is optional (1..N in file order); image:I:3 gives image flags;
 * other R, I and L columns become properties (L as 1/0); other string columns are skipped.
 * pbc, when given, must be "T T T". A file with several frames gives its last frame.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lineparse.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"

enum { XYZ_MAX_PROPS = 64 };

typedef enum { XP_SKIP, XP_ID, XP_SPECIES, XP_POS, XP_IMAGE, XP_PROP } xp_kind;

typedef struct xyz_column {
    char name[SB_NAME_LEN];
    char type;    /* S R I L */
    int ncomp;
    xp_kind kind;
    double *data; /* XP_PROP storage */
} xyz_column;

typedef struct xyz_species {
    char (*name)[SB_ELEMENT_LEN];
    size_t n, cap;
} xyz_species;

/* ---- the comment line: key=value pairs, values optionally in double quotes ---- */

typedef struct kv {
    char *key, *value;
} kv;

/* Split line in place into pairs; returns the count (at most max). */
static size_t parse_kv(char *line, kv *pairs, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (*p && n < max) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) break;
        char *key = p;
        while (*p && *p != '=' && !isspace((unsigned char)*p)) p++;
        char *value = NULL;
        if (*p == '=') {
            *p++ = '\0';
            if (*p == '"') {
                value = ++p;
                while (*p && *p != '"') p++;
            } else {
                value = p;
                while (*p && !isspace((unsigned char)*p)) p++;
            }
        }
        if (*p) *p++ = '\0';
        pairs[n].key = key;
        pairs[n].value = value ? value : (char *)(uintptr_t) "T";
        n++;
    }
    return n;
}

static const char *kv_get(const kv *pairs, size_t n, const char *key)
{
    for (size_t k = 0; k < n; k++)
        if (strcasecmp(pairs[k].key, key) == 0) return pairs[k].value;
    return NULL;
}

static sb_status parse_properties(const lp_reader *r, const char *spec, xyz_column *cols,
                                  size_t *ncols, sb_error *err)
{
    char buf[4096];
    if (strlen(spec) >= sizeof buf) return lp_expected(r, SB_ERR_PARSE, "a shorter Properties=", spec, err);
    strcpy(buf, spec);
    *ncols = 0;
    char *save = NULL;
    char *name = strtok_r(buf, ":", &save);
    while (name) {
        char *type = strtok_r(NULL, ":", &save);
        char *count = strtok_r(NULL, ":", &save);
        int nc;
        if (!type || !count || strlen(type) != 1 || !strchr("SRIL", type[0]) || !lp_int(count, &nc) ||
            nc < 1 || strlen(name) >= SB_NAME_LEN || *ncols == XYZ_MAX_PROPS)
            return lp_expected(r, SB_ERR_PARSE, "Properties=name:S|R|I|L:count:... (at most 64 columns)",
                               spec, err);
        xyz_column *c = &cols[(*ncols)++];
        memset(c, 0, sizeof *c);
        strcpy(c->name, name);
        c->type = type[0];
        c->ncomp = nc;
        name = strtok_r(NULL, ":", &save);
    }
    return SB_OK;
}

static bool parse_bool(const char *t, bool *v)
{
    if (!strcasecmp(t, "T") || !strcasecmp(t, "True") || !strcmp(t, "1")) return *v = true, true;
    if (!strcasecmp(t, "F") || !strcasecmp(t, "False") || !strcmp(t, "0")) return *v = false, true;
    return false;
}

/* Read the numbers of a quoted vector value ("1 2 3"). */
static bool parse_numbers(const char *value, double *out, int count)
{
    char buf[1024];
    if (strlen(value) >= sizeof buf) return false;
    strcpy(buf, value);
    char *save = NULL, *tok = strtok_r(buf, " \t", &save);
    for (int k = 0; k < count; k++) {
        if (!tok || !lp_double(tok, &out[k])) return false;
        tok = strtok_r(NULL, " \t", &save);
    }
    return tok == NULL;
}

static sb_status species_index(xyz_species *sp, const char *name, size_t *index, sb_error *err)
{
    for (size_t k = 0; k < sp->n; k++)
        if (strcmp(sp->name[k], name) == 0) return *index = k, SB_OK;
    sb_status st = lp_grow((void **)&sp->name, &sp->cap, sp->n + 1, sizeof *sp->name, err);
    if (st != SB_OK) return st;
    strcpy(sp->name[sp->n], name);
    *index = sp->n++;
    return SB_OK;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_positive_int(const char *s, int *v)
{
    return lp_int(s, v) && *v >= 1 && *v <= 100000;
}

/* Lower-triangular (LAMMPS) form of a general lattice A (rows a, b, c). */
static sb_status lattice_to_lammps(const lp_reader *r, const double A[3][3], double l[3],
                                   double tilt[3], sb_error *err)
{
    const double *a = A[0], *b = A[1], *c = A[2];
    const double det = a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
                       a[2] * (b[0] * c[1] - b[1] * c[0]);
    const double la = sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
    if (!(det > 0.0) || !(la > 0.0))
        return lp_expected(r, SB_ERR_GEOMETRY, "a right-handed Lattice of positive volume",
                           "a degenerate or left-handed lattice", err);
    const double ahat[3] = {a[0] / la, a[1] / la, a[2] / la};
    const double xy = b[0] * ahat[0] + b[1] * ahat[1] + b[2] * ahat[2];
    const double axb[3] = {ahat[1] * b[2] - ahat[2] * b[1], ahat[2] * b[0] - ahat[0] * b[2],
                           ahat[0] * b[1] - ahat[1] * b[0]};
    const double ly = sqrt(axb[0] * axb[0] + axb[1] * axb[1] + axb[2] * axb[2]);
    const double xz = c[0] * ahat[0] + c[1] * ahat[1] + c[2] * ahat[2];
    const double yz = (b[0] * c[0] + b[1] * c[1] + b[2] * c[2] - xy * xz) / ly;
    l[0] = la;
    l[1] = ly;
    l[2] = det / (la * ly);
    tilt[0] = xy;
    tilt[1] = xz;
    tilt[2] = yz;
    return SB_OK;
}

static void invert3(const double A[3][3], double inv[3][3])
{
    const double det = A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) -
                       A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
                       A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
    inv[0][0] = (A[1][1] * A[2][2] - A[1][2] * A[2][1]) / det;
    inv[0][1] = (A[0][2] * A[2][1] - A[0][1] * A[2][2]) / det;
    inv[0][2] = (A[0][1] * A[1][2] - A[0][2] * A[1][1]) / det;
    inv[1][0] = (A[1][2] * A[2][0] - A[1][0] * A[2][2]) / det;
    inv[1][1] = (A[0][0] * A[2][2] - A[0][2] * A[2][0]) / det;
    inv[1][2] = (A[0][2] * A[1][0] - A[0][0] * A[1][2]) / det;
    inv[2][0] = (A[1][0] * A[2][1] - A[1][1] * A[2][0]) / det;
    inv[2][1] = (A[0][1] * A[2][0] - A[0][0] * A[2][1]) / det;
    inv[2][2] = (A[0][0] * A[1][1] - A[0][1] * A[1][0]) / det;
}

static sb_status assign_types(const lp_reader *r, sb_structure *s, const xyz_species *sp,
                              const size_t *atom_species, const char *types_key, sb_error *err)
{
    int *type_of = malloc((sp->n ? sp->n : 1) * sizeof *type_of);
    const char **sorted = malloc((sp->n ? sp->n : 1) * sizeof *sorted);
    sb_status st = SB_OK;
    int ntypes = 0;
    char (*names)[SB_ELEMENT_LEN] = NULL;
    if (!type_of || !sorted) {
        st = sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", r->path);
        goto done;
    }
    if (types_key) {
        /* Our own files: Types="Cu Zr" lists the species of types 1, 2, ... */
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", types_key);
        char *save = NULL;
        for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) ntypes++;
        names = calloc((size_t)(ntypes ? ntypes : 1), sizeof *names);
        if (!names) {
            st = sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", r->path);
            goto done;
        }
        snprintf(buf, sizeof buf, "%s", types_key);
        int t = 0;
        for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save), t++)
            snprintf(names[t], SB_ELEMENT_LEN, "%s", tok);
        for (size_t k = 0; k < sp->n; k++) {
            type_of[k] = 0;
            for (int q = 0; q < ntypes && !type_of[k]; q++)
                if (strcmp(names[q], sp->name[k]) == 0) type_of[k] = q + 1;
            if (!type_of[k]) {
                char what[128];
                snprintf(what, sizeof what, "a species listed in Types=\"%.80s\"", types_key);
                st = lp_expected(r, SB_ERR_PARSE, what, sp->name[k], err);
                goto done;
            }
        }
    } else {
        bool numeric = true;
        int v;
        for (size_t k = 0; k < sp->n && numeric; k++) numeric = is_positive_int(sp->name[k], &v);
        if (numeric) {
            for (size_t k = 0; k < sp->n; k++) {
                is_positive_int(sp->name[k], &type_of[k]);
                if (type_of[k] > ntypes) ntypes = type_of[k];
            }
        } else {
            for (size_t k = 0; k < sp->n; k++) sorted[k] = sp->name[k];
            qsort(sorted, sp->n, sizeof *sorted, cmp_names);
            for (size_t k = 0; k < sp->n; k++)
                for (size_t q = 0; q < sp->n; q++)
                    if (sorted[q] == sp->name[k]) type_of[k] = (int)q + 1;
            ntypes = (int)sp->n;
        }
        if (ntypes < 1) ntypes = 1;
        names = calloc((size_t)ntypes, sizeof *names);
        if (!names) {
            st = sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", r->path);
            goto done;
        }
        for (size_t k = 0; k < sp->n; k++) strcpy(names[type_of[k] - 1], sp->name[k]);
    }
    double *mass = malloc((size_t)ntypes * sizeof *mass);
    if (!mass) {
        st = sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", r->path);
        goto done;
    }
    for (int t = 0; t < ntypes; t++) {
        /* A purely numeric species is a type number, not a name. */
        int v;
        if (is_positive_int(names[t], &v)) names[t][0] = '\0';
        mass[t] = names[t][0] ? sb_element_mass(names[t]) : NAN;
    }
    free(s->type_name);
    free(s->mass);
    s->type_name = names;
    s->mass = mass;
    s->ntypes = ntypes;
    names = NULL;
    for (size_t i = 0; i < s->n; i++) s->type[i] = type_of[atom_species[i]];
done:
    free(names);
    free(type_of);
    free(sorted);
    return st;
}

/* One frame; *done at end of file before a frame starts. */
static sb_status read_frame(lp_reader *r, sb_structure *s, bool *done, sb_error *err)
{
    bool eof;
    *done = false;
    sb_status st = lp_next_nonblank(r, false, &eof, err);
    if (st != SB_OK) return st;
    if (eof) return *done = true, SB_OK;
    int64_t n;
    if (r->ntok != 1 || !lp_int64(r->tok[0], &n) || n < 0 || (uint64_t)n > SIZE_MAX / 64)
        return lp_expected(r, SB_ERR_PARSE, "the number of atoms alone on the line (extended XYZ)",
                           r->tok[r->ntok > 1 ? 1 : 0], err);
    st = lp_next(r, &eof, err);
    if (st != SB_OK) return st;
    if (eof)
        return sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected the comment line with Lattice=, found end of file",
                            r->path, r->lineno);
    kv pairs[256];
    const size_t npairs = parse_kv(r->buf, pairs, 256);
    const char *lattice = kv_get(pairs, npairs, "Lattice");
    const char *origin_s = kv_get(pairs, npairs, "Origin");
    const char *props = kv_get(pairs, npairs, "Properties");
    const char *pbc = kv_get(pairs, npairs, "pbc");
    const char *types_key = kv_get(pairs, npairs, "Types");
    const char *timestep_s = kv_get(pairs, npairs, "Timestep");
    double A[3][3], origin[3] = {0, 0, 0};
    if (!lattice)
        return sb_error_set(err, SB_ERR_PARSE,
                            "%s:%zu: expected Lattice=\"ax ay az bx by bz cx cy cz\" on the comment "
                            "line, found no Lattice key (a periodic cell is required)",
                            r->path, r->lineno);
    if (!parse_numbers(lattice, &A[0][0], 9))
        return lp_expected(r, SB_ERR_PARSE, "Lattice=\"ax ay az bx by bz cx cy cz\" (9 numbers)",
                           lattice, err);
    if (origin_s && !parse_numbers(origin_s, origin, 3))
        return lp_expected(r, SB_ERR_PARSE, "Origin=\"x y z\"", origin_s, err);
    if (pbc) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", pbc);
        char *save = NULL;
        int count = 0;
        bool all = true, v;
        for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save), count++)
            all &= parse_bool(t, &v) && v;
        if (!all || count != 3)
            return lp_expected(r, SB_ERR_FORMAT, "pbc=\"T T T\" (periodic in all directions)", pbc, err);
    }
    xyz_column cols[XYZ_MAX_PROPS];
    size_t ncols = 0;
    st = parse_properties(r, props ? props : "species:S:1:pos:R:3", cols, &ncols, err);
    if (st != SB_OK) return st;
    int64_t timestep = 0;
    if (timestep_s) lp_int64(timestep_s, &timestep);

    /* The cell, rotated into LAMMPS's orientation when needed. */
    const bool lower = A[0][1] == 0.0 && A[0][2] == 0.0 && A[1][2] == 0.0 && A[0][0] > 0.0 &&
                       A[1][1] > 0.0 && A[2][2] > 0.0;
    double l[3] = {0, 0, 0}, tilt[3] = {0, 0, 0};
    if (lower) {
        l[0] = A[0][0], l[1] = A[1][1], l[2] = A[2][2];
        tilt[0] = A[1][0], tilt[1] = A[2][0], tilt[2] = A[2][1];
    } else {
        st = lattice_to_lammps(r, A, l, tilt, err);
        if (st != SB_OK) return st;
    }
    double Ainv[3][3];
    invert3(A, Ainv);
    const double hi[3] = {origin[0] + l[0], origin[1] + l[1], origin[2] + l[2]};
    st = sb_structure_alloc(s, (size_t)n, 1, err);
    if (st != SB_OK) return sb_error_prefix(err, "%s: ", r->path);
    s->timestep = timestep;
    st = sb_cell_set(&s->cell, origin, hi, tilt[0], tilt[1], tilt[2], err);
    if (st != SB_OK) return sb_error_prefix(err, "%s:%zu: ", r->path, r->lineno);

    size_t ntok_needed = 0;
    bool have_pos = false, have_species = false, have_id = false;
    /* Without species, an integer `type` column (as some converters write) names the types. */
    bool species_listed = false;
    for (size_t c = 0; c < ncols; c++)
        species_listed |= !strcmp(cols[c].name, "species") && cols[c].type == 'S' && cols[c].ncomp == 1;
    for (size_t c = 0; c < ncols && st == SB_OK; c++) {
        xyz_column *col = &cols[c];
        ntok_needed += (size_t)col->ncomp;
        col->kind = XP_PROP;
        if (!strcmp(col->name, "pos") && col->type == 'R' && col->ncomp == 3) col->kind = XP_POS, have_pos = true;
        else if (!strcmp(col->name, "species") && col->type == 'S' && col->ncomp == 1)
            col->kind = XP_SPECIES, have_species = true;
        else if (!species_listed && !have_species && !strcmp(col->name, "type") && col->type == 'I' &&
                 col->ncomp == 1)
            col->kind = XP_SPECIES, have_species = true;
        else if (!strcmp(col->name, "id") && col->type == 'I' && col->ncomp == 1) col->kind = XP_ID, have_id = true;
        else if (!strcmp(col->name, "image") && col->type == 'I' && col->ncomp == 3) {
            col->kind = XP_IMAGE;
            st = sb_structure_ensure_images(s, err);
        } else if (col->type == 'S') col->kind = XP_SKIP;
        else st = sb_structure_add_property(s, col->name, col->ncomp, &col->data, err);
    }
    if (st != SB_OK) return st;
    if (!have_pos || !have_species)
        return lp_expected(r, SB_ERR_PARSE, "Properties with species:S:1 and pos:R:3",
                           props ? props : "(none)", err);

    xyz_species sp = {0};
    size_t *atom_species = malloc((s->n ? s->n : 1) * sizeof *atom_species);
    size_t *lines = malloc((s->n ? s->n : 1) * sizeof *lines);
    if (!atom_species || !lines) st = sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", r->path);
    for (size_t i = 0; i < s->n && st == SB_OK; i++) {
        st = lp_next_atom_line(r, i, s->n, ntok_needed, "Properties=", err);
        if (st != SB_OK) break;
        lines[i] = r->lineno;
        size_t k = 0;
        double x[3] = {0, 0, 0};
        for (size_t c = 0; c < ncols && st == SB_OK; c++) {
            const xyz_column *col = &cols[c];
            for (int q = 0; q < col->ncomp && st == SB_OK; q++, k++) {
                const char *tok = r->tok[k];
                switch (col->kind) {
                case XP_SKIP: break;
                case XP_ID:
                    if (!lp_int64(tok, &s->id[i]) || s->id[i] < 1)
                        st = lp_expected(r, SB_ERR_PARSE, "a positive integer atom id", tok, err);
                    break;
                case XP_SPECIES:
                    if (strlen(tok) >= SB_ELEMENT_LEN)
                        st = lp_expected(r, SB_ERR_PARSE, "a species name of at most 7 characters", tok, err);
                    else st = species_index(&sp, tok, &atom_species[i], err);
                    break;
                case XP_POS: st = lp_get_double(r, tok, "position", &x[q], err); break;
                case XP_IMAGE: st = lp_get_int(r, tok, "image flag", &s->image[3 * i + (size_t)q], err); break;
                case XP_PROP: {
                    double *dst = &col->data[(size_t)col->ncomp * i + (size_t)q];
                    bool b;
                    if (col->type == 'L') {
                        if (!parse_bool(tok, &b)) st = lp_expected(r, SB_ERR_PARSE, "T or F", tok, err);
                        else *dst = b ? 1.0 : 0.0;
                    } else if (col->type == 'I') {
                        int64_t iv;
                        if (!lp_int64(tok, &iv)) st = lp_expected(r, SB_ERR_PARSE, "an integer", tok, err);
                        else *dst = (double)iv;
                    } else {
                        st = lp_get_double(r, tok, col->name, dst, err);
                    }
                    break;
                }
                }
            }
        }
        if (st != SB_OK) break;
        if (!lower) {
            /* r' = origin + ((r - origin) A^-1) H: the same rotation for every atom. */
            const double d[3] = {x[0] - origin[0], x[1] - origin[1], x[2] - origin[2]};
            double f[3];
            for (int q = 0; q < 3; q++) f[q] = d[0] * Ainv[0][q] + d[1] * Ainv[1][q] + d[2] * Ainv[2][q];
            sb_cell_to_cart(&s->cell, f, x);
        }
        st = lp_check_inside(r->path, r->lineno, &s->cell, x, err);
        memcpy(&s->x[3 * i], x, sizeof x);
    }
    if (st == SB_OK && !have_id)
        for (size_t i = 0; i < s->n; i++) s->id[i] = (int64_t)i + 1;
    if (st == SB_OK) st = lp_check_unique_ids(r->path, s->id, lines, s->n, err);
    if (st == SB_OK) st = assign_types(r, s, &sp, atom_species, types_key, err);
    free(sp.name);
    free(atom_species);
    free(lines);
    return st;
}

sb_status sb_read_extxyz(const char *path, sb_structure *s, sb_error *err)
{
    lp_reader r;
    sb_status st = lp_open(&r, path, err);
    if (st != SB_OK) return st;
    sb_structure last = SB_STRUCTURE_INIT, cur = SB_STRUCTURE_INIT;
    long frames = 0;
    for (;;) {
        bool done;
        st = read_frame(&r, &cur, &done, err);
        if (st != SB_OK || done) break;
        sb_structure_free(&last);
        last = cur;
        sb_structure_init(&cur);
        frames++;
    }
    if (st == SB_OK && frames == 0)
        st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected an atom count and a frame, found end of file",
                          path, r.lineno);
    lp_close(&r);
    sb_structure_free(&cur);
    if (st != SB_OK) {
        sb_structure_free(&last);
        return st;
    }
    sb_structure_free(s);
    *s = last;
    return SB_OK;
}

/* Characters that would break the Properties= syntax become '_'. */
static void clean_name(const char *in, char *out, size_t size)
{
    snprintf(out, size, "%s", in);
    for (char *p = out; *p; p++)
        if (*p == ':' || *p == '"' || *p == '=' || isspace((unsigned char)*p)) *p = '_';
}

sb_status sb_write_extxyz(const char *path, const sb_structure *s, const char *comment_extra,
                          sb_error *err)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->type[i] < 1 || s->type[i] > s->ntypes)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "%s: atom %lld has type %d outside 1..%d",
                                path, (long long)s->id[i], s->type[i], s->ntypes);
    /* Species per type: the element name when set and unique, else the type number. */
    char (*species)[16] = calloc((size_t)(s->ntypes ? s->ntypes : 1), sizeof *species);
    if (!species) return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", path);
    for (int t = 0; t < s->ntypes; t++) {
        bool unique = s->type_name[t][0] != '\0';
        for (int q = 0; q < s->ntypes && unique; q++)
            if (q != t && strcmp(s->type_name[q], s->type_name[t]) == 0) unique = false;
        bool ws = false;
        for (const char *p = s->type_name[t]; *p; p++) ws |= isspace((unsigned char)*p) || *p == '"';
        if (unique && !ws) snprintf(species[t], sizeof species[t], "%s", s->type_name[t]);
        else snprintf(species[t], sizeof species[t], "%d", t + 1);
    }
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) {
        free(species);
        return st;
    }
    FILE *fp = af.fp;
    const double(*h)[3] = s->cell.h;
    fprintf(fp, "%zu\nLattice=\"", s->n);
    for (int k = 0; k < 9; k++) {
        if (k) fputc(' ', fp);
        lp_put_double(fp, h[k / 3][k % 3]);
    }
    fputs("\" Origin=\"", fp);
    for (int k = 0; k < 3; k++) {
        if (k) fputc(' ', fp);
        lp_put_double(fp, s->cell.lo[k]);
    }
    fputs("\" Properties=id:I:1:species:S:1:pos:R:3", fp);
    if (s->image) fputs(":image:I:3", fp);
    for (int p = 0; p < s->nprop; p++) {
        char name[SB_NAME_LEN];
        clean_name(s->prop[p].name, name, sizeof name);
        fprintf(fp, ":%s:R:%d", name, s->prop[p].ncomp);
    }
    fputs(" Types=\"", fp);
    for (int t = 0; t < s->ntypes; t++) fprintf(fp, "%s%s", t ? " " : "", species[t]);
    fprintf(fp, "\" Timestep=%lld pbc=\"T T T\"", (long long)s->timestep);
    if (comment_extra && *comment_extra) {
        fputc(' ', fp);
        for (const char *c = comment_extra; *c; c++) fputc(*c == '\n' || *c == '\r' ? ' ' : *c, fp);
    }
    fputc('\n', fp);
    for (size_t i = 0; i < s->n; i++) {
        fprintf(fp, "%lld %s", (long long)s->id[i], species[s->type[i] - 1]);
        for (int k = 0; k < 3; k++) {
            fputc(' ', fp);
            lp_put_double(fp, s->x[3 * i + k]);
        }
        if (s->image) fprintf(fp, " %d %d %d", s->image[3 * i], s->image[3 * i + 1], s->image[3 * i + 2]);
        for (int p = 0; p < s->nprop; p++) {
            const sb_property *pr = &s->prop[p];
            for (int k = 0; k < pr->ncomp; k++) {
                fputc(' ', fp);
                lp_put_double(fp, pr->data[(size_t)pr->ncomp * i + (size_t)k]);
            }
        }
        fputc('\n', fp);
    }
    free(species);
    return sb_atomic_commit(&af, err);
}
