// The C floor for bench/syscall-cost.mjs: the same calls without FFI. Built and run by that script if gcc exists.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  volatile long sink = 0;
  for (int run = 0; run < 3; run++) {
    double t0 = now_ns();
    for (long i = 0; i < n; i++) sink += getpid();
    double t1 = now_ns();
    for (long i = 0; i < n; i++) sink += syscall(SYS_getpid);
    double t2 = now_ns();
    printf("C getpid() %.1f ns/call, C syscall(SYS_getpid) %.1f ns/call\n", (t1 - t0) / n, (t2 - t1) / n);
  }
  return (int)(sink & 0);
}
