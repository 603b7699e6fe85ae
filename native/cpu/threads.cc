#include "threads.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#ifdef LOOMRNN_OPENMP
#include <omp.h>
#endif

namespace loom {
namespace {

int detect_physical_cores() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
    return std::max(1u, std::thread::hardware_concurrency());
  }
  // SMT siblings share (package, core): count distinct pairs among the CPUs we may use.
  std::set<std::pair<int, int>> cores;
  int logical = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    ++logical;
    int package = -1, core = -1;
    char path[128];
    std::snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/core_id", cpu);
    if (FILE* f = std::fopen(path, "r")) {
      if (std::fscanf(f, "%d", &core) != 1) core = -1;
      std::fclose(f);
    }
    std::snprintf(path, sizeof(path),
                  "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
    if (FILE* f = std::fopen(path, "r")) {
      if (std::fscanf(f, "%d", &package) != 1) package = -1;
      std::fclose(f);
    }
    if (core < 0) return std::max(1, logical);
    cores.insert({package, core});
  }
  return std::max<int>(1, static_cast<int>(cores.size()));
}

std::atomic<int> g_threads{0};  // 0: not set yet, use physical cores

#ifndef LOOMRNN_OPENMP

thread_local bool t_inside = false;

// Workers wait on a generation counter. Per-step loops in a recurrent layer last tens of
// microseconds, less than a futex wake-up, so workers spin briefly before they sleep.
// A job's chunks are claimed from `next_`, which carries the job's generation in its high
// half: a worker that wakes late for a finished job fails the claim and never sees the
// next job's half-written fields.
class Pool {
 public:
  static Pool& get() {
    // Leaked on purpose: joining at exit would race with worker_threads still calling in.
    static Pool* pool = new Pool();
    return *pool;
  }

  std::mutex& busy() { return busy_; }

  // Caller holds busy(). Runs chunks [0, chunks) over the caller and threads - 1 workers.
  void run(int threads, int64_t n, int64_t chunks,
           const std::function<void(int64_t, int64_t)>& fn) {
    ensure_workers(threads - 1);
    const uint64_t gen = (generation_.load(std::memory_order_relaxed) + 1) & 0xffffffffu;
    fn_.store(&fn, std::memory_order_relaxed);
    n_.store(n, std::memory_order_relaxed);
    chunks_.store(chunks, std::memory_order_relaxed);
    active_workers_.store(threads - 1, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    // The caller keeps chunk 0, so with two threads a repeated job (a time loop's steps)
    // puts the same chunk on the same core every time and its data stays in that core's L2.
    next_.store((gen << 32) | 1u, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(wake_mutex_);
      generation_.store(gen, std::memory_order_release);
    }
    wake_.notify_all();
    t_inside = true;
    fn(0, n / chunks);
    done_.fetch_add(1, std::memory_order_release);
    work(gen);
    t_inside = false;
    while (done_.load(std::memory_order_acquire) < chunks) spin_pause();
  }

 private:
  static void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    std::this_thread::yield();
#endif
  }

  void ensure_workers(int count) {
    while (static_cast<int>(workers_.size()) < count) {
      const int index = static_cast<int>(workers_.size());
      workers_.emplace_back([this, index] { loop(index); });
      workers_.back().detach();
    }
  }

  void work(uint64_t gen) {
    for (;;) {
      uint64_t ticket = next_.load(std::memory_order_acquire);
      int64_t chunk;
      do {
        if ((ticket >> 32) != gen) return;
        chunk = static_cast<int64_t>(ticket & 0xffffffffu);
        if (chunk >= chunks_.load(std::memory_order_relaxed)) return;
      } while (!next_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_acq_rel));
      const int64_t n = n_.load(std::memory_order_relaxed);
      const int64_t chunks = chunks_.load(std::memory_order_relaxed);
      (*fn_.load(std::memory_order_relaxed))(n * chunk / chunks, n * (chunk + 1) / chunks);
      done_.fetch_add(1, std::memory_order_release);
    }
  }

  void loop(int index) {
    t_inside = true;
    uint64_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      uint64_t now = generation_.load(std::memory_order_acquire);
      for (int spins = 0; now == seen && spins < 20000; ++spins) {
        spin_pause();
        now = generation_.load(std::memory_order_acquire);
      }
      if (now == seen) {
        std::unique_lock<std::mutex> lock(wake_mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        now = generation_.load(std::memory_order_acquire);
      }
      seen = now;
      if (index < active_workers_.load(std::memory_order_relaxed)) work(seen);
    }
  }

  std::mutex busy_;
  std::vector<std::thread> workers_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> next_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<const std::function<void(int64_t, int64_t)>*> fn_{nullptr};
  std::atomic<int64_t> n_{0};
  std::atomic<int64_t> chunks_{0};
  std::atomic<int> active_workers_{0};
};

#endif  // !LOOMRNN_OPENMP

}  // namespace

int physical_cores() {
  static const int cores = detect_physical_cores();
  return cores;
}

int num_threads() {
  const int n = g_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : physical_cores();
}

void set_num_threads(int n) { g_threads.store(std::max(1, n), std::memory_order_relaxed); }

bool openmp_enabled() {
#ifdef LOOMRNN_OPENMP
  return true;
#else
  return false;
#endif
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int threads = num_threads();
  const int64_t chunks = std::min<int64_t>(threads, (n + grain - 1) / grain);
#ifdef LOOMRNN_OPENMP
  if (chunks <= 1 || omp_in_parallel()) {
    fn(0, n);
    return;
  }
#pragma omp parallel for num_threads(static_cast<int>(chunks)) schedule(static, 1)
  for (int64_t c = 0; c < chunks; ++c) fn(n * c / chunks, n * (c + 1) / chunks);
#else
  if (chunks <= 1 || t_inside) {
    fn(0, n);
    return;
  }
  Pool& pool = Pool::get();
  std::unique_lock<std::mutex> lock(pool.busy(), std::try_to_lock);
  if (!lock.owns_lock()) {
    fn(0, n);
    return;
  }
  pool.run(static_cast<int>(chunks), n, chunks, fn);
#endif
}

}  // namespace loom
