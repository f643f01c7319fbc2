#include "common/thread_pool_check.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "common/thread_pool.h"

namespace ctpg {

ThreadPoolCheck RunThreadPoolCheck(int num_threads, int n, int rounds, int throw_at) {
  if (n < 0 || rounds < 1) {
    throw std::invalid_argument("n, rounds: expected n >= 0 and rounds >= 1");
  }
  ThreadPool pool(num_threads);
  ThreadPoolCheck out;
  std::vector<std::thread::id> ids;
  std::mutex mutex;
  out.visits.assign(n, 0);
  for (int r = 0; r < rounds; ++r) {
    try {
      pool.ParallelFor(n, [&](int i) {
        if (r == 0 && i == throw_at) {
          throw std::invalid_argument("thread pool check: index " + std::to_string(i));
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        std::lock_guard<std::mutex> lock(mutex);
        if (r > 0) ++out.visits[i];
        if (std::find(ids.begin(), ids.end(), std::this_thread::get_id()) == ids.end()) {
          ids.push_back(std::this_thread::get_id());
        }
      });
    } catch (const std::invalid_argument& e) {
      out.error = e.what();
    }
  }
  out.threads_used = static_cast<int>(ids.size());
  return out;
}

}  // namespace ctpg
