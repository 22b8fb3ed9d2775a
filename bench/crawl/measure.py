"""measure.py RUNS CMD: runs CMD (a shell line, output discarded) RUNS
times and prints the best wall seconds and the best CPU seconds
(user+sys of the children), both."""
import resource, subprocess, sys, time

runs, cmd = int(sys.argv[1]), sys.argv[2]
best_wall = best_cpu = float("inf")
for _ in range(runs):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if rc != 0:
        print("x x")
        sys.exit(0)
    best_wall = min(best_wall, wall)
    best_cpu = min(best_cpu, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
print(f"{best_wall:.4f} {best_cpu:.4f}")
