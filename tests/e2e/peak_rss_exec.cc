// peak_rss_exec FILE PROGRAM [ARGS...]: runs PROGRAM (looked up in PATH),
// writes its peak RSS in KiB (wait4's ru_maxrss) to FILE, and exits as
// PROGRAM did (128 + the signal when it was killed).
//
// Why a helper: a child's ru_maxrss also counts the memory it had before
// exec, and a child forked by the Python driver starts as a copy of the
// driver (tens of MiB). Forked from this small program, PROGRAM's figure is
// its own. The child dies with this helper (PR_SET_PDEATHSIG), so a driver
// that kills a hanging run kills PROGRAM too.
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: peak_rss_exec FILE PROGRAM [ARGS...]\n");
    return 125;
  }
  const pid_t pid = ::fork();
  if (pid < 0) return 126;
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::execvp(argv[2], argv + 2);  // wrappers (setpriv, valgrind) come by name
    std::perror("peak_rss_exec: exec");
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) return 126;
  }
  if (FILE* out = std::fopen(argv[1], "w")) {
    std::fprintf(out, "%ld\n", usage.ru_maxrss);
    std::fclose(out);
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
