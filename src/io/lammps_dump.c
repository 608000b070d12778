/*
 * LAMMPS dump files, text `ITEM:` format (read frame by frame; write one frame).
 *
 * A frame is
 *     ITEM: TIMESTEP / step
 *     [ITEM: TIME / time]  [ITEM: UNITS / style]          (dump_modify time/units: skipped)
 *     ITEM: NUMBER OF ATOMS / n
 *     ITEM: BOX BOUNDS [xy xz yz] pp pp pp / three lines "lo hi [tilt]"
 *     ITEM: ATOMS col1 col2 ... / n lines
 * Columns may come in any order. `id` and `type` are required (atoms are matched between
 * frames and files by id). Positions come from the first complete set among x y z (wrapped),
 * xs ys zs (fractional), xu yu zu (unwrapped) and xsu ysu zsu (fractional unwrapped).
 * Unwrapped positions are wrapped into the cell and the image flags set so that
 * x + image H is the unwrapped position; otherwise ix iy iz, when present, give the image
 * flags. `element` names the species (masses then come from the element table). Every other
 * column, including unused position sets, is kept as a scalar property under its name as
 * written (c_d2min, v_foo, f_1[2]); vector properties are written as name[1] name[2] ...
 * and so come back as scalars.
 *
 * Triclinic bounds. LAMMPS writes the bounding box of the tilted cell, not its lo/hi:
 *     xlo_bound = xlo + min(0, xy, xz, xy+xz)    xhi_bound = xhi + max(0, xy, xz, xy+xz)
 *     ylo_bound = ylo + min(0, yz)               yhi_bound = yhi + max(0, yz)
 * (dump command documentation, "triclinic"); the reader subtracts the same terms. The
 * subtraction can differ from the original bound by one rounding (~1e-15 relative).
 *
 * Only periodic boundaries ("pp pp pp") are accepted: every analysis here assumes them.
 * Frames are read one at a time (sb_dump_next), so a long trajectory never sits in memory.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lineparse.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"

/* Types beyond this are certainly a corrupt file (and would allocate absurd tables). */
enum { DUMP_MAX_TYPES = 100000 };

struct sb_dump_reader {
    lp_reader r;
    long frames; /* frames returned so far */
};

typedef enum { COL_PROP, COL_ID, COL_TYPE, COL_ELEMENT, COL_POS, COL_IMAGE } col_kind;

typedef struct dump_column {
    col_kind kind;
    int comp;      /* 0..2 for COL_POS / COL_IMAGE */
    double *data;  /* COL_PROP: the property storage */
} dump_column;

/* The four position column families, in order of preference. */
static const char *const pos_names[4][3] = {
    {"x", "y", "z"}, {"xs", "ys", "zs"}, {"xu", "yu", "zu"}, {"xsu", "ysu", "zsu"}};
static const bool pos_scaled[4] = {false, true, false, true};
static const bool pos_unwrapped[4] = {false, false, true, true};

sb_status sb_dump_open(const char *path, sb_dump_reader **reader, sb_error *err)
{
    *reader = NULL;
    sb_dump_reader *d = calloc(1, sizeof *d);
    if (!d) return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", path);
    /* lp_reader keeps the path pointer: keep our own copy alive as long as the reader. */
    char *copy = malloc(strlen(path) + 1);
    if (!copy) {
        free(d);
        return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", path);
    }
    strcpy(copy, path);
    sb_status st = lp_open(&d->r, copy, err);
    if (st != SB_OK) {
        free(copy);
        free(d);
        return st;
    }
    *reader = d;
    return SB_OK;
}

void sb_dump_close(sb_dump_reader *reader)
{
    if (!reader) return;
    char *path = (char *)(uintptr_t)reader->r.path;
    lp_close(&reader->r);
    free(path);
    free(reader);
}

static bool is_item(const lp_reader *r, const char *name)
{
    /* name is one or more words: "NUMBER OF ATOMS" */
    if (r->ntok < 2 || strcmp(r->tok[0], "ITEM:") != 0) return false;
    size_t k = 1;
    const char *p = name;
    while (*p) {
        const size_t len = strcspn(p, " ");
        if (k >= r->ntok || strlen(r->tok[k]) != len || strncmp(r->tok[k], p, len) != 0) return false;
        k++;
        p += len;
        p += strspn(p, " ");
    }
    return true;
}

/* Next non-blank line, which must exist (what: what we expected there). */
static sb_status need_line(lp_reader *r, const char *what, sb_error *err)
{
    bool eof;
    sb_status st = lp_next_nonblank(r, false, &eof, err);
    if (st != SB_OK) return st;
    if (eof)
        return sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected %s, found end of file (truncated frame)",
                            r->path, r->lineno, what);
    return SB_OK;
}

static sb_status read_box(lp_reader *r, double lo[3], double hi[3], double tilt[3], sb_error *err)
{
    /* r holds "ITEM: BOX BOUNDS [xy xz yz] f f f" */
    size_t k = 3;
    const bool triclinic = r->ntok >= 6 && strcmp(r->tok[3], "xy") == 0 &&
                           strcmp(r->tok[4], "xz") == 0 && strcmp(r->tok[5], "yz") == 0;
    if (triclinic) k = 6;
    /* Very old LAMMPS versions wrote no boundary flags: those boxes were periodic. */
    if (r->ntok != k + 3 && r->ntok != k)
        return lp_expected(r, SB_ERR_PARSE, "'ITEM: BOX BOUNDS [xy xz yz] pp pp pp'",
                           r->ntok > k + 3 ? r->tok[k + 3] : r->tok[r->ntok - 1], err);
    for (size_t j = k; j < r->ntok; j++)
        if (strcmp(r->tok[j], "pp") != 0)
            return lp_expected(r, SB_ERR_FORMAT, "periodic boundaries 'pp pp pp'", r->tok[j], err);
    double blo[3], bhi[3];
    tilt[0] = tilt[1] = tilt[2] = 0.0;
    static const char *const lo_name[3] = {"xlo", "ylo", "zlo"}, *const hi_name[3] = {"xhi", "yhi", "zhi"};
    static const char *const tilt_name[3] = {"xy", "xz", "yz"};
    for (int d = 0; d < 3; d++) {
        sb_status st = need_line(r, "a box bounds line 'lo hi [tilt]'", err);
        if (st != SB_OK) return st;
        const size_t want = triclinic ? 3 : 2;
        if (r->ntok != want) {
            char what[64];
            snprintf(what, sizeof what, "%zu numbers (%s %s%s%s)", want, lo_name[d], hi_name[d],
                     triclinic ? " " : "", triclinic ? tilt_name[d] : "");
            return lp_expected(r, SB_ERR_PARSE, what, r->ntok > want ? r->tok[want] : NULL, err);
        }
        st = lp_get_double(r, r->tok[0], lo_name[d], &blo[d], err);
        if (st == SB_OK) st = lp_get_double(r, r->tok[1], hi_name[d], &bhi[d], err);
        if (st == SB_OK && triclinic) st = lp_get_double(r, r->tok[2], tilt_name[d], &tilt[d], err);
        if (st != SB_OK) return st;
    }
    const double xy = tilt[0], xz = tilt[1], yz = tilt[2];
    double lo_shift[3] = {0, 0, 0}, hi_shift[3] = {0, 0, 0};
    if (triclinic) {
        lo_shift[0] = fmin(fmin(0.0, xy), fmin(xz, xy + xz));
        hi_shift[0] = fmax(fmax(0.0, xy), fmax(xz, xy + xz));
        lo_shift[1] = fmin(0.0, yz);
        hi_shift[1] = fmax(0.0, yz);
    }
    for (int d = 0; d < 3; d++) {
        lo[d] = blo[d] - lo_shift[d];
        hi[d] = bhi[d] - hi_shift[d];
        if (!(hi[d] > lo[d]))
            return sb_error_set(err, SB_ERR_GEOMETRY,
                                "%s:%zu: expected %s > %s (a cell of positive volume), found %g <= %g",
                                r->path, r->lineno - 2 + (size_t)d, hi_name[d], lo_name[d], hi[d], lo[d]);
    }
    return SB_OK;
}

/* Classify the ATOMS columns. pos_set: chosen position family (-1 none). */
static sb_status parse_columns(lp_reader *r, sb_structure *s, dump_column **cols_out,
                               size_t *ncol_out, int *pos_set, bool *have_image, sb_error *err)
{
    const size_t ncol = r->ntok - 2;
    char **names = r->tok + 2;
    dump_column *cols = calloc(ncol ? ncol : 1, sizeof *cols);
    if (!cols) return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", r->path);
    sb_status st = SB_OK;
    int idx_id = -1, idx_type = -1;
    int pos_col[4][3], img_col[3] = {-1, -1, -1};
    for (int f = 0; f < 4; f++) pos_col[f][0] = pos_col[f][1] = pos_col[f][2] = -1;
    for (size_t j = 0; j < ncol && st == SB_OK; j++) {
        for (size_t i = 0; i < j; i++)
            if (strcmp(names[i], names[j]) == 0)
                st = lp_expected(r, SB_ERR_PARSE, "distinct column names", names[j], err);
        if (strcmp(names[j], "id") == 0) idx_id = (int)j;
        if (strcmp(names[j], "type") == 0) idx_type = (int)j;
        for (int f = 0; f < 4; f++)
            for (int k = 0; k < 3; k++)
                if (strcmp(names[j], pos_names[f][k]) == 0) pos_col[f][k] = (int)j;
        static const char *const img_names[3] = {"ix", "iy", "iz"};
        for (int k = 0; k < 3; k++)
            if (strcmp(names[j], img_names[k]) == 0) img_col[k] = (int)j;
    }
    if (st == SB_OK && (idx_id < 0 || idx_type < 0))
        st = sb_error_set(err, SB_ERR_PARSE,
                          "%s:%zu: expected columns 'id' and 'type' in ITEM: ATOMS, found no '%s' "
                          "column",
                          r->path, r->lineno, idx_id < 0 ? "id" : "type");
    *pos_set = -1;
    for (int f = 0; f < 4 && *pos_set < 0; f++)
        if (pos_col[f][0] >= 0 && pos_col[f][1] >= 0 && pos_col[f][2] >= 0) *pos_set = f;
    if (st == SB_OK && *pos_set < 0)
        st = sb_error_set(err, SB_ERR_PARSE,
                          "%s:%zu: expected position columns x y z, xs ys zs, xu yu zu or xsu ysu "
                          "zsu in ITEM: ATOMS, found no complete set",
                          r->path, r->lineno);
    *have_image = img_col[0] >= 0 && img_col[1] >= 0 && img_col[2] >= 0 && !pos_unwrapped[*pos_set < 0 ? 0 : *pos_set];
    for (size_t j = 0; j < ncol && st == SB_OK; j++) {
        dump_column *c = &cols[j];
        c->kind = COL_PROP;
        if ((int)j == idx_id) c->kind = COL_ID;
        else if ((int)j == idx_type) c->kind = COL_TYPE;
        else if (strcmp(names[j], "element") == 0) c->kind = COL_ELEMENT;
        for (int k = 0; k < 3; k++) {
            if ((int)j == pos_col[*pos_set][k]) c->kind = COL_POS, c->comp = k;
            if (*have_image && (int)j == img_col[k]) c->kind = COL_IMAGE, c->comp = k;
            if (pos_unwrapped[*pos_set] && (int)j == img_col[k]) c->kind = COL_IMAGE, c->comp = -1;
        }
        if (c->kind == COL_PROP) {
            if (strlen(names[j]) >= SB_NAME_LEN) {
                st = lp_expected(r, SB_ERR_PARSE, "a column name shorter than 64 characters", names[j], err);
                break;
            }
            st = sb_structure_add_property(s, names[j], 1, &c->data, err);
        }
    }
    if (st != SB_OK) {
        free(cols);
        return st;
    }
    *cols_out = cols;
    *ncol_out = ncol;
    return SB_OK;
}

/* Grow per-type tables (names, masses, first lines) to hold type t. */
static sb_status ensure_types(sb_structure *s, int t, size_t **type_line, sb_error *err)
{
    if (t <= s->ntypes) return SB_OK;
    char(*names)[SB_ELEMENT_LEN] = realloc(s->type_name, (size_t)t * sizeof *names);
    if (names) s->type_name = names;
    double *mass = realloc(s->mass, (size_t)t * sizeof *mass);
    if (mass) s->mass = mass;
    size_t *lines = realloc(*type_line, (size_t)t * sizeof *lines);
    if (lines) *type_line = lines;
    if (!names || !mass || !lines) return sb_error_set(err, SB_ERR_NOMEM, "out of memory for %d types", t);
    for (int k = s->ntypes; k < t; k++) {
        s->type_name[k][0] = '\0';
        s->mass[k] = NAN;
        (*type_line)[k] = 0;
    }
    s->ntypes = t;
    return SB_OK;
}

static sb_status read_frame(lp_reader *r, sb_structure *s, bool *done, sb_error *err)
{
    bool eof;
    *done = false;
    sb_status st = lp_next_nonblank(r, false, &eof, err);
    if (st != SB_OK) return st;
    if (eof) {
        *done = true;
        return SB_OK;
    }
    if (!is_item(r, "TIMESTEP")) return lp_expected(r, SB_ERR_PARSE, "'ITEM: TIMESTEP'", r->tok[0], err);
    st = need_line(r, "the timestep", err);
    if (st != SB_OK) return st;
    int64_t timestep, natoms = -1;
    if (r->ntok != 1 || !lp_int64(r->tok[0], &timestep))
        return lp_expected(r, SB_ERR_PARSE, "an integer timestep", r->tok[r->ntok > 1 ? 1 : 0], err);
    double lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1}, tilt[3] = {0, 0, 0};
    bool have_box = false;
    for (;;) {
        st = need_line(r, "'ITEM: ATOMS ...'", err);
        if (st != SB_OK) return st;
        if (is_item(r, "NUMBER OF ATOMS")) {
            st = need_line(r, "the number of atoms", err);
            if (st != SB_OK) return st;
            if (r->ntok != 1 || !lp_int64(r->tok[0], &natoms) || natoms < 0 ||
                (uint64_t)natoms > SIZE_MAX / 64)
                return lp_expected(r, SB_ERR_PARSE, "a non-negative number of atoms",
                                   r->tok[r->ntok > 1 ? 1 : 0], err);
        } else if (is_item(r, "BOX BOUNDS")) {
            st = read_box(r, lo, hi, tilt, err);
            if (st != SB_OK) return st;
            have_box = true;
        } else if (is_item(r, "TIME") || is_item(r, "UNITS")) {
            st = need_line(r, "a value after ITEM: TIME/UNITS", err);
            if (st != SB_OK) return st;
        } else if (is_item(r, "ATOMS")) {
            break;
        } else {
            return lp_expected(r, SB_ERR_PARSE,
                               "'ITEM: NUMBER OF ATOMS', 'ITEM: BOX BOUNDS' or 'ITEM: ATOMS'",
                               r->ntok > 1 ? r->tok[1] : r->tok[0], err);
        }
    }
    if (natoms < 0 || !have_box)
        return lp_expected(r, SB_ERR_PARSE,
                           natoms < 0 ? "'ITEM: NUMBER OF ATOMS' before 'ITEM: ATOMS'"
                                      : "'ITEM: BOX BOUNDS' before 'ITEM: ATOMS'",
                           r->tok[1], err);

    st = sb_structure_alloc(s, (size_t)natoms, 1, err);
    if (st != SB_OK) return sb_error_prefix(err, "%s: ", r->path);
    s->ntypes = 0; /* grown as types appear */
    s->timestep = timestep;
    st = sb_cell_set(&s->cell, lo, hi, tilt[0], tilt[1], tilt[2], err);
    if (st != SB_OK) return sb_error_prefix(err, "%s:%zu: ", r->path, r->lineno);

    dump_column *cols = NULL;
    size_t ncol = 0;
    int pos_set = 0;
    bool have_image = false;
    st = parse_columns(r, s, &cols, &ncol, &pos_set, &have_image, err);
    if (st != SB_OK) return st;
    const bool unwrapped = pos_unwrapped[pos_set];
    if (have_image || unwrapped) st = sb_structure_ensure_images(s, err);
    size_t *lines = malloc((s->n ? s->n : 1) * sizeof *lines);
    size_t *type_line = NULL;
    if (!lines && st == SB_OK) st = sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", r->path);
    for (size_t i = 0; i < s->n && st == SB_OK; i++) {
        st = lp_next_atom_line(r, i, s->n, ncol, "ITEM: ATOMS", err);
        if (st != SB_OK) break;
        double x[3] = {0, 0, 0};
        lines[i] = r->lineno;
        for (size_t j = 0; j < ncol && st == SB_OK; j++) {
            const char *tok = r->tok[j];
            const dump_column *c = &cols[j];
            switch (c->kind) {
            case COL_ID:
                if (!lp_int64(tok, &s->id[i]) || s->id[i] < 1)
                    st = lp_expected(r, SB_ERR_PARSE, "a positive integer atom id", tok, err);
                break;
            case COL_TYPE: {
                int t;
                if (!lp_int(tok, &t) || t < 1 || t > DUMP_MAX_TYPES) {
                    st = lp_expected(r, SB_ERR_PARSE, "an atom type in 1..100000", tok, err);
                    break;
                }
                s->type[i] = t;
                st = ensure_types(s, t, &type_line, err);
                break;
            }
            case COL_POS: st = lp_get_double(r, tok, pos_names[pos_set][c->comp], &x[c->comp], err); break;
            case COL_IMAGE:
                if (c->comp >= 0) st = lp_get_int(r, tok, "image flag", &s->image[3 * i + c->comp], err);
                break;
            case COL_PROP: st = lp_get_double(r, tok, "per-atom value", &c->data[i], err); break;
            case COL_ELEMENT: break; /* after the type is known */
            }
        }
        if (st != SB_OK) break;
        for (size_t j = 0; j < ncol && st == SB_OK; j++) {
            if (cols[j].kind != COL_ELEMENT) continue;
            const int t = s->type[i];
            const char *tok = r->tok[j];
            if (strlen(tok) >= SB_ELEMENT_LEN) {
                st = lp_expected(r, SB_ERR_PARSE, "an element name of at most 7 characters", tok, err);
            } else if (type_line[t - 1] == 0) {
                strcpy(s->type_name[t - 1], tok);
                s->mass[t - 1] = sb_element_mass(tok);
                type_line[t - 1] = r->lineno;
            } else if (strcmp(s->type_name[t - 1], tok) != 0) {
                char what[96];
                snprintf(what, sizeof what, "element '%s' for type %d as on line %zu",
                         s->type_name[t - 1], t, type_line[t - 1]);
                st = lp_expected(r, SB_ERR_PARSE, what, tok, err);
            }
        }
        if (st != SB_OK) break;
        if (pos_scaled[pos_set]) {
            const double frac[3] = {x[0], x[1], x[2]};
            sb_cell_to_cart(&s->cell, frac, x);
        }
        if (unwrapped) {
            sb_cell_wrap(&s->cell, x, &s->image[3 * i]);
        } else {
            st = lp_check_inside(r->path, r->lineno, &s->cell, x, err);
            if (st != SB_OK) break;
        }
        memcpy(&s->x[3 * i], x, sizeof x);
    }
    if (st == SB_OK && s->ntypes == 0) st = ensure_types(s, 1, &type_line, err); /* empty frame */
    if (st == SB_OK) st = lp_check_unique_ids(r->path, s->id, lines, s->n, err);
    free(lines);
    free(type_line);
    free(cols);
    return st;
}

sb_status sb_dump_next(sb_dump_reader *reader, sb_structure *s, bool *done, sb_error *err)
{
    sb_structure tmp = SB_STRUCTURE_INIT;
    sb_status st = read_frame(&reader->r, &tmp, done, err);
    if (st != SB_OK || *done) {
        sb_structure_free(&tmp);
        if (st == SB_OK && *done && reader->frames == 0)
            return sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected 'ITEM: TIMESTEP', found end of file (no frame)",
                                reader->r.path, reader->r.lineno);
        return st;
    }
    reader->frames++;
    sb_structure_free(s);
    *s = tmp;
    return SB_OK;
}

sb_status sb_read_dump(const char *path, long frame, sb_structure *s, sb_error *err)
{
    if (frame < -1)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "%s: frame %ld: expected 0, 1, ... or -1 (last)", path, frame);
    sb_dump_reader *d;
    sb_status st = sb_dump_open(path, &d, err);
    if (st != SB_OK) return st;
    sb_structure cur = SB_STRUCTURE_INIT;
    bool done = false;
    long k = 0;
    for (;; k++) {
        st = sb_dump_next(d, &cur, &done, err);
        if (st != SB_OK || done || k == frame) break;
    }
    sb_dump_close(d);
    if (st == SB_OK && frame >= 0 && k != frame)
        st = sb_error_set(err, SB_ERR_INVALID_ARG, "%s: expected frame %ld, found only %ld frame(s)",
                          path, frame, k);
    if (st != SB_OK) {
        sb_structure_free(&cur);
        return st;
    }
    sb_structure_free(s);
    *s = cur;
    return SB_OK;
}

static void write_frame(FILE *fp, const sb_structure *s)
{
    const sb_cell *c = &s->cell;
    const bool tri = sb_cell_is_triclinic(c);
    fprintf(fp, "ITEM: TIMESTEP\n%lld\nITEM: NUMBER OF ATOMS\n%zu\n", (long long)s->timestep, s->n);
    fprintf(fp, "ITEM: BOX BOUNDS %spp pp pp\n", tri ? "xy xz yz " : "");
    double lo_shift[3] = {0, 0, 0}, hi_shift[3] = {0, 0, 0};
    const double tilt[3] = {c->xy, c->xz, c->yz};
    if (tri) {
        lo_shift[0] = fmin(fmin(0.0, c->xy), fmin(c->xz, c->xy + c->xz));
        hi_shift[0] = fmax(fmax(0.0, c->xy), fmax(c->xz, c->xy + c->xz));
        lo_shift[1] = fmin(0.0, c->yz);
        hi_shift[1] = fmax(0.0, c->yz);
    }
    for (int d = 0; d < 3; d++) {
        lp_put_double(fp, c->lo[d] + lo_shift[d]);
        fputc(' ', fp);
        lp_put_double(fp, c->hi[d] + hi_shift[d]);
        if (tri) {
            fputc(' ', fp);
            lp_put_double(fp, tilt[d]);
        }
        fputc('\n', fp);
    }
    /* The element column is written when every type has a name, so species survive. */
    bool names = s->ntypes > 0;
    for (int t = 0; t < s->ntypes; t++) names &= s->type_name[t][0] != '\0';
    fprintf(fp, "ITEM: ATOMS id type%s x y z%s", names ? " element" : "", s->image ? " ix iy iz" : "");
    for (int p = 0; p < s->nprop; p++) {
        const sb_property *pr = &s->prop[p];
        if (pr->ncomp == 1) fprintf(fp, " %s", pr->name);
        else
            for (int k = 0; k < pr->ncomp; k++) fprintf(fp, " %s[%d]", pr->name, k + 1);
    }
    fputc('\n', fp);
    for (size_t i = 0; i < s->n; i++) {
        fprintf(fp, "%lld %d", (long long)s->id[i], s->type[i]);
        if (names) fprintf(fp, " %s", s->type_name[s->type[i] - 1]);
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
}

sb_status sb_write_dump(const char *path, const sb_structure *s, bool append, sb_error *err)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->type[i] < 1 || s->type[i] > s->ntypes)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "%s: atom %lld has type %d outside 1..%d",
                                path, (long long)s->id[i], s->type[i], s->ntypes);
    if (append) {
        FILE *fp = fopen(path, "a");
        if (!fp) return sb_error_set(err, SB_ERR_IO, "%s: cannot open for appending", path);
        write_frame(fp, s);
        const bool bad = ferror(fp) != 0;
        if (fclose(fp) != 0 || bad) return sb_error_set(err, SB_ERR_IO, "%s: write failed", path);
        return SB_OK;
    }
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    write_frame(af.fp, s);
    return sb_atomic_commit(&af, err);
}
