/*
 * Format detection and dispatch for structure files (shearband/io.h).
 *
 * The extension decides when it is one we know (.data .lmp .lammps -> data file,
 * .dump .lammpstrj -> dump, .xyz .extxyz -> extended XYZ). Otherwise the first lines decide:
 * "ITEM: TIMESTEP" (or any "ITEM:") -> dump; an integer alone on line 1 and "Lattice=" on
 * line 2 -> extended XYZ; an "N atoms" header line within the first 50 lines -> data file.
 * Names such as dump.glass.10000 therefore work too.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lineparse.h"
#include "shearband/io.h"

static sb_file_format format_from_extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot) return SB_FORMAT_AUTO;
    const char *ext = dot + 1;
    static const struct {
        const char *ext;
        sb_file_format fmt;
    } table[] = {
        {"data", SB_FORMAT_LAMMPS_DATA},  {"lmp", SB_FORMAT_LAMMPS_DATA},
        {"lammps", SB_FORMAT_LAMMPS_DATA}, {"dump", SB_FORMAT_LAMMPS_DUMP},
        {"lammpstrj", SB_FORMAT_LAMMPS_DUMP}, {"xyz", SB_FORMAT_EXTXYZ},
        {"extxyz", SB_FORMAT_EXTXYZ},
    };
    for (size_t k = 0; k < sizeof table / sizeof *table; k++)
        if (strcasecmp(ext, table[k].ext) == 0) return table[k].fmt;
    return SB_FORMAT_AUTO;
}

static sb_status format_from_content(const char *path, sb_file_format *fmt, sb_error *err)
{
    lp_reader r;
    sb_status st = lp_open(&r, path, err);
    if (st != SB_OK) return st;
    *fmt = SB_FORMAT_AUTO;
    bool eof = false;
    bool first_is_count = false;
    for (int line = 0; line < 50 && st == SB_OK && *fmt == SB_FORMAT_AUTO; line++) {
        st = lp_next(&r, &eof, err);
        if (st != SB_OK || eof) break;
        if (line == 0 && strncmp(r.buf + strspn(r.buf, " \t"), "ITEM:", 5) == 0) {
            *fmt = SB_FORMAT_LAMMPS_DUMP;
            break;
        }
        if (line == 1 && first_is_count && strstr(r.buf, "Lattice=") != NULL) {
            *fmt = SB_FORMAT_EXTXYZ;
            break;
        }
        st = lp_split(&r, true, err);
        if (st != SB_OK) break;
        int64_t n;
        if (line == 0) {
            first_is_count = r.ntok == 1 && lp_int64(r.tok[0], &n);
            continue; /* line 1 of a data file is a free comment */
        }
        if (r.ntok == 2 && strcmp(r.tok[1], "atoms") == 0 && lp_int64(r.tok[0], &n))
            *fmt = SB_FORMAT_LAMMPS_DATA;
    }
    lp_close(&r);
    if (st != SB_OK) return st;
    if (*fmt == SB_FORMAT_AUTO)
        return sb_error_set(err, SB_ERR_FORMAT,
                            "%s:1: expected a LAMMPS data file, LAMMPS dump or extended XYZ file, "
                            "found none of these (unknown extension and content)",
                            path);
    return SB_OK;
}

sb_status sb_guess_format(const char *path, sb_file_format *fmt, sb_error *err)
{
    *fmt = format_from_extension(path);
    if (*fmt != SB_FORMAT_AUTO) return SB_OK;
    return format_from_content(path, fmt, err);
}

sb_status sb_read_structure(const char *path, sb_structure *s, sb_error *err)
{
    sb_file_format fmt;
    sb_status st = sb_guess_format(path, &fmt, err);
    if (st != SB_OK) return st;
    switch (fmt) {
    case SB_FORMAT_LAMMPS_DATA: return sb_read_lammps_data(path, s, err);
    case SB_FORMAT_LAMMPS_DUMP: return sb_read_dump(path, -1, s, err);
    case SB_FORMAT_EXTXYZ: return sb_read_extxyz(path, s, err);
    case SB_FORMAT_AUTO: break;
    }
    return sb_error_set(err, SB_ERR_INTERNAL, "%s: no reader for the guessed format", path);
}

sb_status sb_write_structure(const char *path, const sb_structure *s, sb_error *err)
{
    switch (format_from_extension(path)) {
    case SB_FORMAT_LAMMPS_DATA: return sb_write_lammps_data(path, s, NULL, err);
    case SB_FORMAT_LAMMPS_DUMP: return sb_write_dump(path, s, false, err);
    case SB_FORMAT_EXTXYZ: return sb_write_extxyz(path, s, NULL, err);
    case SB_FORMAT_AUTO: break;
    }
    return sb_error_set(err, SB_ERR_INVALID_ARG,
                        "%s: expected an extension .data/.lmp (LAMMPS data), .dump/.lammpstrj "
                        "(LAMMPS dump) or .xyz/.extxyz (extended XYZ), found none of these",
                        path);
}
