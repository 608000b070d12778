/* Atomic output files and path helpers (shearband/fileutil.h). */
#define _POSIX_C_SOURCE 200809L
#include "shearband/fileutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

sb_status sb_atomic_open(sb_atomic_file *af, const char *path, sb_error *err)
{
    memset(af, 0, sizeof *af);
    if (strlen(path) >= sizeof af->path)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "path too long: %s", path);
    strcpy(af->path, path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid());
    af->fp = fopen(af->tmp, "w");
    if (!af->fp)
        return sb_error_set(err, SB_ERR_IO, "%s: cannot create file: %s", path, strerror(errno));
    return SB_OK;
}

sb_status sb_atomic_commit(sb_atomic_file *af, sb_error *err)
{
    if (!af->fp) return sb_error_set(err, SB_ERR_INTERNAL, "%s: file not open", af->path);
    int bad = ferror(af->fp);
    bad |= fflush(af->fp) != 0;
    bad |= fsync(fileno(af->fp)) != 0;
    const int saved = errno;
    bad |= fclose(af->fp) != 0;
    af->fp = NULL;
    if (bad) {
        remove(af->tmp);
        return sb_error_set(err, SB_ERR_IO, "%s: write failed: %s", af->path, strerror(saved));
    }
    if (rename(af->tmp, af->path) != 0) {
        const int e = errno;
        remove(af->tmp);
        return sb_error_set(err, SB_ERR_IO, "%s: cannot rename into place: %s", af->path,
                            strerror(e));
    }
    return SB_OK;
}

void sb_atomic_abort(sb_atomic_file *af)
{
    if (af->fp) {
        fclose(af->fp);
        af->fp = NULL;
        remove(af->tmp);
    }
}

bool sb_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

sb_status sb_mkdir_p(const char *path, sb_error *err)
{
    char buf[4096];
    if (strlen(path) >= sizeof buf)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "path too long: %s", path);
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return sb_error_set(err, SB_ERR_IO, "%s: cannot create directory: %s", buf,
                                strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return sb_error_set(err, SB_ERR_IO, "%s: cannot create directory: %s", buf, strerror(errno));
    return SB_OK;
}

sb_status sb_path_join(char *out, size_t outsz, const char *dir, const char *name, sb_error *err)
{
    const size_t ld = strlen(dir);
    const int n = (ld == 0) ? snprintf(out, outsz, "%s", name)
                 : (dir[ld - 1] == '/') ? snprintf(out, outsz, "%s%s", dir, name)
                                        : snprintf(out, outsz, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= outsz)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "path too long: %s/%s", dir, name);
    return SB_OK;
}

const char *sb_path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

sb_status sb_read_file(const char *path, char **data, size_t *size, sb_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return sb_error_set(err, SB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - 1 - n, fp);
        if (n < cap - 1) break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    const int bad = ferror(fp);
    fclose(fp);
    if (!buf) return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory reading the file", path);
    if (bad) {
        free(buf);
        return sb_error_set(err, SB_ERR_IO, "%s: read error", path);
    }
    buf[n] = '\0';
    *data = buf;
    if (size) *size = n;
    return SB_OK;
}

bool sb_params_value(const char *text, const char *key, char *val, size_t valsz)
{
    const size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
            const char *v = p + kl + 1, *e = strchr(v, '\n');
            size_t n = e ? (size_t)(e - v) : strlen(v);
            if (n >= valsz) n = valsz - 1;
            memcpy(val, v, n);
            val[n] = 0;
            return true;
        }
    }
    return false;
}

sb_status sb_params_match(const char *path, const char *want, size_t wlen, const char *what, const char *advice,
                          sb_error *err)
{
    char *have = NULL;
    size_t hlen = 0;
    sb_status st = sb_read_file(path, &have, &hlen, err);
    if (st != SB_OK) return sb_error_prefix(err, "%s parameter record: ", what);
    if (hlen == wlen && memcmp(have, want, wlen) == 0) {
        free(have);
        return SB_OK;
    }
    /* The first line that differs, recorded and now (an absent line shows as empty). */
    const char *a = have, *b = want, *ea = have + hlen, *eb = want + wlen;
    int line = 1;
    for (;;) {
        const char *na = memchr(a, '\n', (size_t)(ea - a)), *nb = memchr(b, '\n', (size_t)(eb - b));
        const size_t la = na ? (size_t)(na - a) : (size_t)(ea - a), lb = nb ? (size_t)(nb - b) : (size_t)(eb - b);
        if (la != lb || memcmp(a, b, la) != 0 || !na || !nb) {
            st = sb_error_set(err, SB_ERR_INVALID_ARG,
                              "%s: %s was made with different parameters (line %d: recorded '%.*s', "
                              "now '%.*s'); %s",
                              path, what, line, (int)(la > 120 ? 120 : la), a, (int)(lb > 120 ? 120 : lb), b, advice);
            break;
        }
        a = na + 1;
        b = nb + 1;
        line++;
    }
    free(have);
    return st;
}
