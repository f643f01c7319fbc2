// A small persistent thread pool with one operation: a blocking parallel-for
// over the indices [0, n). The calling thread takes part in the work, so a pool
// of `num_threads` runs num_threads - 1 workers. A call allocates nothing: the
// body is passed by reference and indices are handed out by an atomic counter.
// The first exception thrown by any body is rethrown in the caller once every
// index has been processed or abandoned.
#pragma once

#include <atomic>
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
      throw std::invalid_argument("num_threads: expected >= 1, got " +
                                  std::to_string(num_threads));
    }
    workers_.reserve(num_threads - 1);
    for (int i = 0; i < num_threads - 1; ++i) {
      workers_.emplace_back([this] { WorkerLoop(); });
    }
  }

  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

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
  struct Task {
    void* context = nullptr;
    void (*call)(void*, int) = nullptr;
    int n = 0;
  };

  void Run(const Task& task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = task;
      next_.store(0, std::memory_order_relaxed);
      active_workers_ = static_cast<int>(workers_.size());
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    Work();
    std::exception_ptr error;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [this] { return active_workers_ == 0; });
      error = std::exchange(error_, nullptr);
    }
    if (error) std::rethrow_exception(error);
  }

  // Takes indices until none are left; records the first exception and stops
  // handing out further indices once one is thrown.
  void Work() {
    const Task task = task_;
    for (;;) {
      const int i = next_.fetch_add(1, std::memory_order_relaxed);
      if (i >= task.n) return;
      try {
        task.call(task.context, i);
      } catch (...) {
        next_.store(task.n, std::memory_order_relaxed);
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  void WorkerLoop() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
      }
      Work();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (--active_workers_ == 0) done_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  Task task_;
  std::atomic<int> next_{0};
  int active_workers_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace ctpg
