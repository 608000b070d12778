/*
 * Line reading, tokenising and number conversion for the text structure formats
 * (src/io/lineparse.h). getline() gives lines of any length; tokens are pointers into the
 * line buffer, so reading an atom line costs one getline, one pass over its characters and
 * one strtod/strtoll per field.
 */
#define _POSIX_C_SOURCE 200809L
#include "lineparse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

sb_status lp_open(lp_reader *r, const char *path, sb_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->fp = fopen(path, "r");
    if (!r->fp)
        return sb_error_set(err, SB_ERR_IO, "%s: cannot open file: %s", path, strerror(errno));
    return SB_OK;
}

void lp_close(lp_reader *r)
{
    if (r->fp) fclose(r->fp);
    free(r->buf);
    free(r->tok);
    memset(r, 0, sizeof *r);
}

sb_status lp_next(lp_reader *r, bool *eof, sb_error *err)
{
    errno = 0;
    ssize_t len = getline(&r->buf, &r->cap, r->fp);
    r->ntok = 0;
    r->comment = NULL;
    if (len < 0) {
        if (ferror(r->fp))
            return sb_error_set(err, SB_ERR_IO, "%s:%zu: read error: %s", r->path, r->lineno + 1,
                                strerror(errno ? errno : EIO));
        *eof = true;
        if (r->buf) r->buf[0] = '\0';
        return SB_OK;
    }
    *eof = false;
    r->lineno++;
    while (len > 0 && (r->buf[len - 1] == '\n' || r->buf[len - 1] == '\r')) r->buf[--len] = '\0';
    if (r->lineno == 1 && len >= 3 && (unsigned char)r->buf[0] == 0xEF &&
        (unsigned char)r->buf[1] == 0xBB && (unsigned char)r->buf[2] == 0xBF) {
        memmove(r->buf, r->buf + 3, (size_t)len - 2); /* UTF-8 byte-order mark */
        len -= 3;
    }
    if (memchr(r->buf, '\0', (size_t)len) != NULL)
        return sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected text, found a NUL byte (binary file?)",
                            r->path, r->lineno);
    return SB_OK;
}

sb_status lp_grow(void **ptr, size_t *cap, size_t need, size_t elem, sb_error *err)
{
    if (need <= *cap) return SB_OK;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) ncap *= 2;
    void *p = realloc(*ptr, ncap * elem);
    if (!p) return sb_error_set(err, SB_ERR_NOMEM, "out of memory growing a buffer to %zu items", ncap);
    *ptr = p;
    *cap = ncap;
    return SB_OK;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

sb_status lp_split(lp_reader *r, bool strip_comment, sb_error *err)
{
    r->ntok = 0;
    r->comment = NULL;
    if (!r->buf) return SB_OK;
    char *p = r->buf;
    for (;;) {
        while (*p && is_space(*p)) p++;
        if (!*p) break;
        if (strip_comment && *p == '#') {
            *p++ = '\0';
            while (*p && is_space(*p)) p++;
            r->comment = p;
            break;
        }
        if (r->ntok == r->tokcap) {
            sb_status st = lp_grow((void **)&r->tok, &r->tokcap, r->ntok + 1, sizeof *r->tok, err);
            if (st != SB_OK) return st;
        }
        r->tok[r->ntok++] = p;
        while (*p && !is_space(*p) && !(strip_comment && *p == '#')) p++;
        if (!*p) break;
        if (*p == '#') continue; /* "1.0#comment": the loop above handles the '#' */
        *p++ = '\0';
    }
    return SB_OK;
}

sb_status lp_next_nonblank(lp_reader *r, bool strip_comment, bool *eof, sb_error *err)
{
    for (;;) {
        sb_status st = lp_next(r, eof, err);
        if (st != SB_OK || *eof) return st;
        st = lp_split(r, strip_comment, err);
        if (st != SB_OK) return st;
        if (r->ntok > 0) return SB_OK;
    }
}

sb_status lp_next_atom_line(lp_reader *r, size_t i, size_t n, size_t ntok, const char *source, sb_error *err)
{
    bool eof;
    const sb_status st = lp_next_nonblank(r, false, &eof, err);
    if (st != SB_OK) return st;
    if (eof)
        return sb_error_set(err, SB_ERR_PARSE,
                            "%s:%zu: expected %zu more atom line(s) (%zu declared), found end of file", r->path,
                            r->lineno, n - i, n);
    if (r->ntok != ntok)
        return sb_error_set(err, SB_ERR_PARSE,
                            "%s:%zu: expected %zu fields as %s says (atom %zu of %zu), found %zu fields "
                            "starting '%.40s'",
                            r->path, r->lineno, ntok, source, i + 1, n, r->ntok, r->tok[0]);
    return SB_OK;
}

sb_status lp_expected(const lp_reader *r, sb_status code, const char *what, const char *found,
                      sb_error *err)
{
    if (!found) return sb_error_set(err, code, "%s:%zu: expected %s, found end of line", r->path,
                                    r->lineno, what);
    return sb_error_set(err, code, "%s:%zu: expected %s, found '%.60s'", r->path, r->lineno, what,
                        found);
}

bool lp_double(const char *tok, double *v)
{
    char *end;
    errno = 0;
    const double d = strtod(tok, &end);
    if (end == tok || *end != '\0' || !isfinite(d)) return false;
    if (errno == ERANGE && fabs(d) > 1.0) return false; /* overflow; underflow to 0 is fine */
    *v = d;
    return true;
}

bool lp_int64(const char *tok, int64_t *v)
{
    char *end;
    errno = 0;
    const long long i = strtoll(tok, &end, 10);
    if (end == tok || *end != '\0' || errno == ERANGE) return false;
    *v = (int64_t)i;
    return true;
}

bool lp_int(const char *tok, int *v)
{
    int64_t i;
    if (!lp_int64(tok, &i) || i < -2147483647 - 1 || i > 2147483647) return false;
    *v = (int)i;
    return true;
}

sb_status lp_get_double(const lp_reader *r, const char *tok, const char *what, double *v,
                        sb_error *err)
{
    if (tok && lp_double(tok, v)) return SB_OK;
    char msg[128];
    snprintf(msg, sizeof msg, "a finite number (%s)", what);
    return lp_expected(r, SB_ERR_PARSE, msg, tok, err);
}

sb_status lp_get_int64(const lp_reader *r, const char *tok, const char *what, int64_t *v,
                       sb_error *err)
{
    if (tok && lp_int64(tok, v)) return SB_OK;
    char msg[128];
    snprintf(msg, sizeof msg, "an integer (%s)", what);
    return lp_expected(r, SB_ERR_PARSE, msg, tok, err);
}

sb_status lp_get_int(const lp_reader *r, const char *tok, const char *what, int *v, sb_error *err)
{
    if (tok && lp_int(tok, v)) return SB_OK;
    char msg[128];
    snprintf(msg, sizeof msg, "an integer (%s)", what);
    return lp_expected(r, SB_ERR_PARSE, msg, tok, err);
}

sb_status lp_check_inside(const char *path, size_t line, const sb_cell *cell, const double x[3],
                          sb_error *err)
{
    double s[3];
    sb_cell_to_frac(cell, x, s);
    for (int k = 0; k < 3; k++) {
        if (s[k] < -SB_IO_OUTSIDE_TOL || s[k] >= 1.0 + SB_IO_OUTSIDE_TOL)
            return sb_error_set(err, SB_ERR_GEOMETRY,
                                "%s:%zu: expected an atom inside the cell (fractional coordinates "
                                "within [%g, %g)), found fractional coordinate %d = %g "
                                "(position %.10g %.10g %.10g)",
                                path, line, -SB_IO_OUTSIDE_TOL, 1.0 + SB_IO_OUTSIDE_TOL, k + 1,
                                s[k], x[0], x[1], x[2]);
    }
    return SB_OK;
}

typedef struct {
    int64_t id;
    size_t line;
} id_line;

static int cmp_id_line(const void *a, const void *b)
{
    const id_line *p = a, *q = b;
    if (p->id != q->id) return (p->id > q->id) - (p->id < q->id);
    return (p->line > q->line) - (p->line < q->line);
}

sb_status lp_check_unique_ids(const char *path, const int64_t *id, const size_t *lines, size_t n,
                              sb_error *err)
{
    /* Fast path: LAMMPS usually writes ids in increasing order. */
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++) sorted = id[i] > id[i - 1];
    if (sorted) return SB_OK;
    id_line *pairs = malloc((n ? n : 1) * sizeof *pairs);
    if (!pairs) return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory checking atom ids", path);
    for (size_t i = 0; i < n; i++) pairs[i] = (id_line){id[i], lines ? lines[i] : 0};
    qsort(pairs, n, sizeof *pairs, cmp_id_line);
    /* Report the repeat a reader meets first: the smallest line holding a second copy. */
    size_t worst = (size_t)-1;
    for (size_t i = 1; i < n; i++)
        if (pairs[i].id == pairs[i - 1].id && (worst == (size_t)-1 || pairs[i].line < pairs[worst].line))
            worst = i;
    sb_status st = SB_OK;
    if (worst != (size_t)-1)
        st = sb_error_set(err, SB_ERR_PARSE,
                          "%s:%zu: expected a unique atom id, found '%lld' (already on line %zu)",
                          path, pairs[worst].line, (long long)pairs[worst].id,
                          pairs[worst - 1].line);
    free(pairs);
    return st;
}

void lp_put_double(FILE *fp, double v)
{
    /* 17 significant digits always read back to the same double; 16 usually do too and
     * look like what LAMMPS writes (63.546 rather than 63.545999999999999). */
    char buf[32];
    snprintf(buf, sizeof buf, "%.16g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
    fputs(buf, fp);
}
