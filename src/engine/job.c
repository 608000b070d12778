/*
 * Running an engine job with LAMMPS's errors contained (shearband/engine.h).
 *
 * LAMMPS 29Sep2021 as Debian builds it has no exceptions: any error prints "ERROR: ..." to
 * the log and calls exit(1). A library must not let that take its caller down, so in a
 * serial process every job runs in a fork()ed child:
 *
 *   parent                                child
 *   fflush(all); pipe; fork  ───────────> open LAMMPS (MPI_Init happens here, not in the
 *                                         parent, so jobs can run one after another)
 *                                         run the job: commands, outputs written atomically
 *                                         close LAMMPS, MPI_Finalize
 *   read the pipe until EOF  <─────────── write {status, error, result bytes}; _exit
 *   waitpid
 *
 * If the pipe delivers a complete record, the job's own status and result come back. If
 * not, the child died inside LAMMPS: the parent returns SB_ERR_ENGINE with the last
 * "ERROR" line of the job's log (plus LAMMPS's "Last command:"), or SB_ERR_INTERRUPTED when
 * a signal killed it. The child leaves with _exit so that no atexit handler or stdio buffer
 * inherited from the parent runs twice. Outputs are atomic, so a dead child leaves only
 * complete files (and its checkpoints) behind.
 *
 * With a LAMMPS that has exceptions the bridge reports errors itself and the job runs
 * in-process; under mpirun it runs in-process on MPI_COMM_WORLD (a fork per rank would
 * break the communicator), where an error without exceptions aborts the MPI job.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/engine_internal.h"
#include "shearband/engine.h"

bool sb_engine_log_error(const char *log_path, char *buf, size_t bufsz)
{
    if (!log_path || bufsz == 0) return false;
    FILE *fp = fopen(log_path, "r");
    if (!fp) return false;
    char line[1024], error[1024] = "", last[1024] = "";
    bool found = false, want_last = false;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "ERROR", 5) == 0) {
            snprintf(error, sizeof error, "%s", line);
            last[0] = '\0';
            found = want_last = true;
        } else if (want_last && strncmp(line, "Last command:", 13) == 0) {
            const char *p = line + 13;
            while (*p == ' ') p++;
            snprintf(last, sizeof last, "%s", p);
            want_last = false;
        }
    }
    fclose(fp);
    if (!found) return false;
    if (last[0]) snprintf(buf, bufsz, "%s (last command: %s)", error, last);
    else snprintf(buf, bufsz, "%s", error);
    return true;
}

typedef struct job_record {
    int status;
    sb_error err;
} job_record;

/* Run the job on a fresh engine in this process. */
static sb_status run_here(const sb_engine_job *job, const sb_engine_options *opt, sb_error *err)
{
    sb_engine *e = NULL;
    sb_status st = sb_engine_open(&e, opt, err);
    if (st != SB_OK) return st;
    st = job->run(e, job->arg, job->result, err);
    sb_engine_close(e);
    return st;
}

static bool write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        const ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        len -= (size_t)w;
    }
    return true;
}

/* Read up to len bytes (until EOF); returns the count read. */
static size_t read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        const ssize_t r = read(fd, p + got, len - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    return got;
}

static sb_status run_forked(const sb_engine_job *job, sb_error *err)
{
    int fds[2];
    if (pipe(fds) != 0)
        return sb_error_set(err, SB_ERR_IO, "cannot create a pipe for the LAMMPS job: %s",
                            strerror(errno));
    /* One shared page: the child mirrors its current engine call into it. */
    enum { CALL_BUF = 4096 };
    char *call = mmap(NULL, CALL_BUF, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (call == MAP_FAILED) call = NULL;
    else call[0] = '\0';
    fflush(NULL);
    const pid_t pid = fork();
    if (pid < 0) {
        if (call) munmap(call, CALL_BUF);
        close(fds[0]);
        close(fds[1]);
        return sb_error_set(err, SB_ERR_IO, "cannot fork the LAMMPS job: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        if (call) engine_set_shared_call_buffer(call, CALL_BUF);
        job_record rec;
        memset(&rec, 0, sizeof rec);
        sb_error_clear(&rec.err);
        rec.status = run_here(job, &job->engine_opt, &rec.err);
        sb_engine_finalize_mpi();
        fflush(NULL);
        bool ok = write_all(fds[1], &rec, sizeof rec);
        if (ok && rec.status == SB_OK && job->result_size)
            ok = write_all(fds[1], job->result, job->result_size);
        close(fds[1]);
        _exit(ok && rec.status == SB_OK ? 0 : 1);
    }
    close(fds[1]);
    job_record rec;
    memset(&rec, 0, sizeof rec);
    const size_t got = read_all(fds[0], &rec, sizeof rec);
    size_t got_result = 0;
    if (got == sizeof rec && rec.status == SB_OK && job->result_size)
        got_result = read_all(fds[0], job->result, job->result_size);
    close(fds[0]);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) continue;

    char last_call[512] = "";
    if (call) {
        snprintf(last_call, sizeof last_call, "%s", call);
        munmap(call, CALL_BUF);
    }
    if (got == sizeof rec && (rec.status != SB_OK || got_result == job->result_size)) {
        if (rec.status == SB_OK) return SB_OK;
        if (err) *err = rec.err;
        return (sb_status)rec.status;
    }
    char msg[SB_ERROR_MSG_LEN - 600];
    const char *log = job->engine_opt.log_path;
    if (sb_engine_log_error(log, msg, sizeof msg)) {
        /* LAMMPS's "Last command" is its last text command; a library call after it
         * (gather, thermo query) is named separately. */
        if (last_call[0] && !strstr(msg, last_call))
            return sb_error_set(err, SB_ERR_ENGINE, "LAMMPS: %s [in engine call: %s]", msg,
                                last_call);
        return sb_error_set(err, SB_ERR_ENGINE, "LAMMPS: %s", msg);
    }
    if (WIFSIGNALED(wstatus))
        return sb_error_set(err, SB_ERR_INTERRUPTED,
                            "the LAMMPS job was killed by signal %d (%s) during '%.300s'; "
                            "checkpoints were kept",
                            WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)), last_call);
    return sb_error_set(err, SB_ERR_ENGINE,
                        "the LAMMPS job exited with status %d without an ERROR line in %s",
                        WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1, log ? log : "(no log)");
}

sb_status sb_engine_run_job(const sb_engine_job *job, sb_error *err)
{
    if (!job || !job->run || (job->result_size && !job->result))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "incomplete engine job");
    switch (sb_engine_job_mode()) {
    case SB_ENGINE_FORK: return run_forked(job, err);
    case SB_ENGINE_EXCEPTIONS: return run_here(job, &job->engine_opt, err);
    case SB_ENGINE_MPI: {
        sb_engine_options opt = job->engine_opt;
        if (!opt.mpi_comm) opt.mpi_comm = engine_world_comm();
        return run_here(job, &opt, err);
    }
    }
    return sb_error_set(err, SB_ERR_INTERNAL, "unknown engine mode");
}
