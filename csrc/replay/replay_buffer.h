// Per-task replay buffer: one TaskRing per task, optional sum-tree priorities,
// uniform or prioritized transition sampling and K-step segment sampling for
// the guide. All public methods lock the buffer's mutex, so the binding may
// release the GIL around every call.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/rng.h"
#include "replay/sum_tree.h"
#include "replay/task_ring.h"

namespace ctpg {

// Every priority ** alpha is at most this / capacity_per_task, so that no sum
// of a task's leaves, and no probability or weight derived from one, overflows.
constexpr double kMaxTotalPriority = 1e300;

struct ReplayConfig {
  int64_t num_tasks = 1;
  int64_t capacity_per_task = 1;
  int64_t obs_dim = 1;
  int64_t action_dim = 1;
  int64_t guide_step = 10;
  bool prioritized = false;
  double alpha = 0.6;
  double beta = 0.4;
  uint64_t seed = 0;
};

// One row per task, arrays with leading dimension num_tasks.
struct AddBatch {
  const float* obs;          // [T, D]
  const float* action;       // [T, A]
  const float* reward;       // [T]
  const float* next_obs;     // [T, D]
  const bool* terminated;    // [T]
  const bool* truncated;     // [T]
  const int64_t* behaviour;  // [T] or nullptr (task's own index)
  const bool* guide_begin;   // [T] or nullptr (false)
};

// Output arrays of sample(), B = sum of the per-task counts.
struct TransitionOut {
  float* obs;        // [B, D]
  float* action;     // [B, A]
  float* reward;     // [B]
  float* next_obs;   // [B, D]
  bool* terminated;  // [B]
  bool* truncated;   // [B]
  int64_t* task;     // [B]
  int64_t* index;    // [B]
  float* weight;     // [B]
};

// Output arrays of sample_segments(), K = guide_step.
struct SegmentOut {
  float* obs;          // [B, K, D]
  float* action;       // [B, K, A]
  float* reward;       // [B, K]
  float* next_obs;     // [B, K, D]
  bool* terminated;    // [B, K]
  bool* truncated;     // [B, K]
  bool* valid;         // [B, K]
  int64_t* behaviour;  // [B]
  int64_t* task;       // [B]
  int64_t* index;      // [B]
};

class ReplayBuffer {
 public:
  explicit ReplayBuffer(const ReplayConfig& config);

  const ReplayConfig& config() const { return config_; }
  void set_beta(double beta);
  std::vector<int64_t> Sizes() const;
  int64_t NBytes() const;

  void Add(const AddBatch& batch);
  // counts: [T] rows per task; the outputs hold sum(counts) rows.
  void Sample(const std::vector<int64_t>& counts, const TransitionOut& out);
  void SampleSegments(const std::vector<int64_t>& counts, const SegmentOut& out);
  void UpdatePriorities(int64_t n, const int64_t* task, const int64_t* index,
                        const double* priority);

  // Validates counts ([T], >= 0) and returns their sum.
  int64_t CheckCounts(const std::vector<int64_t>& counts) const;

  void Save(const std::string& path) const;
  static std::unique_ptr<ReplayBuffer> Load(const std::string& path);

 private:
  void CheckAddLocked(const AddBatch& batch) const;
  void SampleTaskLocked(int64_t task, int64_t count, int64_t row0, const TransitionOut& out);
  void SampleTaskSegmentsLocked(int64_t task, int64_t count, int64_t row0, const SegmentOut& out);
  void WriteSegmentLocked(int64_t task, int64_t slot, int64_t row, const SegmentOut& out) const;
  void SaveLocked(const std::string& path) const;
  // Throws std::invalid_argument for a config the constructor would refuse.
  static void CheckConfig(const ReplayConfig& config);
  void LoadTaskLocked(int64_t t, class ReplayFileReader& r);

  ReplayConfig config_;
  std::vector<TaskRing> rings_;
  std::vector<SumTree> trees_;        // prioritized only: leaves hold priority^alpha
  std::vector<double> max_priority_;  // per task, the largest priority ever given
  Rng rng_;
  std::vector<int64_t> scratch_slots_;  // sampled slots of one task (under mutex_)
  StartIndex::Ranks scratch_ranks_;     // StartIndex::Prefix of one task (under mutex_)
  mutable std::mutex mutex_;
};

}  // namespace ctpg
