// C floor for bench/run.ts: the /proc work a procwatch scan does per process for plain name rules
// (readdir /proc, then open/read/close /proc/PID/stat, comm between first '(' and last ')').
// Nothing more: no status, cmdline or exe. Prints "<processes seen> <processes named argv[1]>".
#define _GNU_SOURCE /* memrchr */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *want = argc > 1 ? argv[1] : "";
  size_t want_len = strlen(want);
  static char buf[4096]; /* reused, like procfs/read.ts's shared buffer */
  char path[300]; /* "/proc/" + d_name (up to 255) + "/stat" */
  long seen = 0, named = 0;
  DIR *proc = opendir("/proc");
  if (proc == NULL) {
    perror("/proc");
    return 2;
  }
  struct dirent *e;
  while ((e = readdir(proc)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) continue; /* the process left between readdir and open */
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) continue;
    /* comm may hold spaces and ')': only the LAST ')' ends it (proc(5)); memrchr, not strrchr,
       so a stale byte past n is never looked at. */
    char *open_paren = memchr(buf, '(', (size_t)n);
    char *close_paren = memrchr(buf, ')', (size_t)n);
    if (open_paren == NULL || close_paren == NULL || close_paren < open_paren) continue;
    seen++;
    size_t len = (size_t)(close_paren - open_paren - 1);
    if (len == want_len && memcmp(open_paren + 1, want, len) == 0) named++;
  }
  closedir(proc);
  printf("%ld %ld\n", seen, named);
  return 0;
}
