/*
 * Running gnuplot as a child process, without a shell.
 *
 * fork + execv with an argument vector built before the fork (after fork in a possibly
 * multi-threaded parent the child only calls async-signal-safe functions: dup2, chdir,
 * close, execv, write, _exit). gnuplot's stderr is captured through a pipe, because its
 * messages ("fig.gp" line 42: x range is invalid) are what the user needs to see; stdin
 * and stdout go to /dev/null so a stray `pause` cannot hang. A second, close-on-exec pipe
 * reports a failed chdir/execv (its errno) back to the parent: an empty read means the
 * exec succeeded. That is how "gnuplot missing or not runnable" becomes
 * SB_ERR_UNSUPPORTED rather than an obscure exit code.
 */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum { CAPTURE_MAX = 8192 };

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* Squeeze gnuplot's multi-line output into one readable line. */
static void condense(char *s)
{
    char *w = s;
    bool space = true;
    for (const char *r = s; *r; r++) {
        const char c = (*r == '\n' || *r == '\r' || *r == '\t') ? ' ' : *r;
        if (c == ' ') {
            if (space) continue;
            space = true;
        } else {
            space = false;
        }
        *w++ = c;
    }
    while (w > s && w[-1] == ' ') w--;
    *w = '\0';
}

sb_status plot_run_gnuplot(char *gnuplot, const char *dir, char *setup, char *script,
                           sb_error *err)
{
    int errpipe[2] = {-1, -1}, execpipe[2] = {-1, -1};
    const int devnull = open("/dev/null", O_RDWR);
    if (devnull < 0 || pipe(errpipe) != 0 || pipe(execpipe) != 0) {
        const int e = errno;
        if (devnull >= 0) close(devnull);
        close_fd(&errpipe[0]);
        close_fd(&errpipe[1]);
        return sb_error_set(err, SB_ERR_IO, "cannot create pipes for gnuplot: %s",
                            strerror(e));
    }
    fcntl(execpipe[1], F_SETFD, FD_CLOEXEC);
    fcntl(execpipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(errpipe[0], F_SETFD, FD_CLOEXEC);

    char opt_e[] = "-e";
    char *argv[] = {gnuplot, opt_e, setup, script, NULL};
    const pid_t pid = fork();
    if (pid < 0) {
        const int e = errno;
        close(devnull);
        close_fd(&errpipe[0]);
        close_fd(&errpipe[1]);
        close_fd(&execpipe[0]);
        close_fd(&execpipe[1]);
        return sb_error_set(err, SB_ERR_IO, "cannot start gnuplot: fork failed: %s",
                            strerror(e));
    }
    if (pid == 0) {
        dup2(devnull, STDIN_FILENO);
        dup2(devnull, STDOUT_FILENO);
        dup2(errpipe[1], STDERR_FILENO);
        int e = 0;
        if (chdir(dir) != 0) {
            e = errno;
        } else {
            execv(gnuplot, argv);
            e = errno;
        }
        ssize_t wr = write(execpipe[1], &e, sizeof e);
        (void)wr;
        _exit(127);
    }
    close(devnull);
    close_fd(&errpipe[1]);
    close_fd(&execpipe[1]);

    /* Read stderr to EOF (keeping the first CAPTURE_MAX bytes), then the exec report. */
    char buf[CAPTURE_MAX + 1];
    size_t len = 0;
    for (;;) {
        char chunk[1024];
        const ssize_t r = read(errpipe[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        const size_t take = (size_t)r < CAPTURE_MAX - len ? (size_t)r : CAPTURE_MAX - len;
        memcpy(buf + len, chunk, take);
        len += take;
    }
    buf[len] = '\0';
    close_fd(&errpipe[0]);
    int exec_errno = 0;
    ssize_t got;
    do {
        got = read(execpipe[0], &exec_errno, sizeof exec_errno);
    } while (got < 0 && errno == EINTR);
    close_fd(&execpipe[0]);

    int status = 0;
    pid_t w;
    do {
        w = waitpid(pid, &status, 0);
    } while (w < 0 && errno == EINTR);

    if (got == (ssize_t)sizeof exec_errno)
        return sb_error_set(err, SB_ERR_UNSUPPORTED, "gnuplot not found or not runnable: "
                            "'%s' in folder '%s': %s", gnuplot, dir, strerror(exec_errno));
    condense(buf);
    if (w < 0) /* e.g. SIGCHLD ignored by the application: the child was reaped for us */
        return buf[0] ? sb_error_set(err, SB_ERR_IO, "gnuplot: %s", buf) : SB_OK;
    if (WIFSIGNALED(status))
        return sb_error_set(err, SB_ERR_IO, "gnuplot killed by signal %d%s%s",
                            WTERMSIG(status), buf[0] ? ": " : "", buf);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        return sb_error_set(err, SB_ERR_IO, "gnuplot failed (exit %d): %s",
                            WEXITSTATUS(status), buf[0] ? buf : "no message");
    return SB_OK;
}
