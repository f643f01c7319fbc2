// A self-check of ThreadPool used by the tests: runs ParallelFor over n
// indices, counting how often each index was visited and by how many threads.
#pragma once

#include <string>
#include <vector>

namespace ctpg {

struct ThreadPoolCheck {
  std::vector<int> visits;  // visits[i]: calls of body(i) after the first round
  int threads_used = 0;     // distinct threads that ran at least one index
  std::string error;        // message of the exception the first round rethrew
};

// Runs `rounds` ParallelFor calls of n indices on one pool of num_threads,
// each index sleeping for a few microseconds. With 0 <= throw_at < n, index
// throw_at throws std::invalid_argument in the first round; ParallelFor must
// rethrow it in the caller (recorded in `error`) and the pool must then run
// the remaining rounds normally.
ThreadPoolCheck RunThreadPoolCheck(int num_threads, int n, int rounds, int throw_at);

}  // namespace ctpg
