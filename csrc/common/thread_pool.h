// A small persistent thread pool with one operation: a blocking parallel-for
// over the indices [0, n). The calling thread takes part in the work, so a pool
// of `num_threads` runs num_threads - 1 workers. A call allocates nothing: the
// body is passed by reference and indices are handed out by an atomic counter.
// Idle workers poll briefly before sleeping, so that back-to-back calls (one
// batch step after another) do not pay a thread wake-up each time.
// The first exception thrown by any body is rethrown in the caller once every
// index has been processed or abandoned.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace ctpg {

class ThreadPool {
 public:
  explicit ThreadPool(int num_threads) {
    if (num_threads < 1) {
      throw std::invalid_argument("num_threads: expected >= 1, got " + std::to_string(num_threads));
    }
    workers_.reserve(num_threads - 1);
    for (int i = 0; i < num_threads - 1; ++i) {
      try {
        workers_.emplace_back([this] { WorkerLoop(); });
      } catch (const std::exception& e) {
        // The system refused a thread (memory or thread limits): stop the
        // workers already started and report it instead of leaving them running.
        StopWorkers();
        throw std::runtime_error("num_threads: could not start worker thread " +
                                 std::to_string(i + 1) + " of " + std::to_string(num_threads - 1) +
                                 " (" + e.what() + "); try fewer threads");
      }
    }
  }

  ~ThreadPool() { StopWorkers(); }

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls body(i) for every i in [0, n), spread over the pool; returns when all
  // calls have finished. Not reentrant: one ParallelFor at a time per pool.
  template <typename Body>
  void ParallelFor(int n, Body&& body) {
    using Fn = std::remove_reference_t<Body>;
    if (n <= 0) return;
    if (workers_.empty() || n == 1) {
      for (int i = 0; i < n; ++i) body(i);
      return;
    }
    Task task;
    task.context = static_cast<void*>(&body);
    task.call = [](void* ctx, int i) { (*static_cast<Fn*>(ctx))(i); };
    task.n = n;
    Run(task);
  }

 private:
  // How long an idle worker polls for the next call before it sleeps on the
  // condition variable: back-to-back calls then skip a futex wake-up, while a
  // pool idle between calls costs at most this much CPU per call.
  static constexpr int kSpinUs = 50;
  // How long the caller polls for the indices still running on workers before
  // it sleeps on the condition variable.
  static constexpr int kFinishSpinUs = 200;

  void StopWorkers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  static void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  // Polls `done` until it holds or about `us` microseconds have passed (the
  // clock is read every 64 polls); returns its last value.
  template <typename Done>
  static bool SpinUntil(Done done, int us) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
    for (int i = 1;; ++i) {
      if (done()) return true;
      if (i % 64 == 0 && std::chrono::steady_clock::now() >= end) return done();
      CpuRelax();
    }
  }

  struct Task {
    void* context = nullptr;
    void (*call)(void*, int) = nullptr;
    int n = 0;
    uint32_t generation = 0;
  };

  // claim_ packs (generation << 32 | next index): a worker that still holds an
  // older task can never claim an index of a newer one.
  static uint64_t Pack(uint32_t generation, uint32_t index) {
    return (static_cast<uint64_t>(generation) << 32) | index;
  }

  void Run(Task task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task.generation = ++generation_;
      published_.store(task.generation, std::memory_order_release);
      task_ = task;
      done_.store(0, std::memory_order_relaxed);
      claim_.store(Pack(task.generation, 0), std::memory_order_relaxed);
      error_ = nullptr;
    }
    wake_.notify_all();
    Work(task);
    // Wait for indices that workers claimed but have not finished; workers
    // that have not woken up yet are not waited for. At most one index per
    // worker is left, usually a fraction of a call: spinning first spares the
    // futex wake-up of a sleeping caller.
    SpinUntil([&] { return done_.load(std::memory_order_acquire) == task.n; }, kFinishSpinUs);
    std::exception_ptr error;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      all_done_.wait(lock, [&] { return done_.load() == task.n; });
      error = std::exchange(error_, nullptr);
    }
    if (error) std::rethrow_exception(error);
  }

  // The next unclaimed index of `task`, or -1 when none is left.
  int Claim(const Task& task) {
    uint64_t cur = claim_.load();
    for (;;) {
      const uint32_t index = static_cast<uint32_t>(cur);
      if ((cur >> 32) != task.generation || index >= static_cast<uint32_t>(task.n)) return -1;
      if (claim_.compare_exchange_weak(cur, cur + 1)) return static_cast<int>(index);
    }
  }

  // Claims every remaining index of `task` without running it.
  void Abandon(const Task& task) {
    const uint32_t n = static_cast<uint32_t>(task.n);
    uint64_t cur = claim_.load();
    while ((cur >> 32) == task.generation && static_cast<uint32_t>(cur) < n) {
      if (claim_.compare_exchange_weak(cur, Pack(task.generation, n))) {
        Finish(task, static_cast<int>(n - static_cast<uint32_t>(cur)));
        return;
      }
    }
  }

  void Finish(const Task& task, int count) {
    if (done_.fetch_add(count) + count == task.n) {
      std::lock_guard<std::mutex> lock(mutex_);
      all_done_.notify_one();
    }
  }

  // Runs claimed indices until none are left; the first exception is kept
  // and the rest of the indices are abandoned.
  void Work(const Task& task) {
    for (int i = Claim(task); i >= 0; i = Claim(task)) {
      try {
        task.call(task.context, i);
      } catch (...) {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          if (!error_) error_ = std::current_exception();
        }
        Abandon(task);
      }
      Finish(task, 1);
    }
  }

  void WorkerLoop() {
    uint32_t seen = 0;
    for (;;) {
      // A short spin catches back-to-back calls without a futex wake-up.
      SpinUntil([&] { return published_.load(std::memory_order_acquire) != seen; }, kSpinUs);
      Task task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        task = task_;
      }
      Work(task);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable all_done_;
  Task task_;                 // guarded by mutex_
  uint32_t generation_ = 0;   // guarded by mutex_
  bool stopping_ = false;     // guarded by mutex_
  std::exception_ptr error_;  // guarded by mutex_
  std::atomic<uint64_t> claim_{0};
  std::atomic<int> done_{0};
  std::atomic<uint32_t> published_{0};  // generation_, readable without the lock
};

}  // namespace ctpg
