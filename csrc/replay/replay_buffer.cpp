#include "replay/replay_buffer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace ctpg {
namespace {

constexpr int64_t kMaxTasks = 32767;               // behaviour is stored as int16
constexpr int64_t kMaxCapacity = (1LL << 31) - 1;  // slots are stored as uint32

std::string Num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", x);
  return buf;
}

void CheckRange(const char* name, int64_t value, int64_t low, int64_t high) {
  if (value < low || value > high) {
    throw std::invalid_argument(std::string(name) + " must be in [" + std::to_string(low) + ", " +
                                std::to_string(high) + "], got " + std::to_string(value));
  }
}

void CheckNonNegative(const char* name, double value) {
  if (!std::isfinite(value) || value < 0.0) {
    throw std::invalid_argument(std::string(name) + " must be finite and >= 0, got " +
                                std::to_string(value));
  }
}

void CheckFinite(const char* name, const float* x, int64_t n, int64_t row_len) {
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) {
      throw std::invalid_argument(std::string(name) + " must be finite; row " +
                                  std::to_string(i / row_len) + " holds " + std::to_string(x[i]));
    }
  }
}

// Copies n floats in 16-byte pieces that the compiler inlines: rows are short
// (tens of floats), where a library memcpy call costs more than the copy.
inline void CopyRow(float* dst, const float* src, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) std::memcpy(dst + i, src + i, 4 * sizeof(float));
  for (; i < n; ++i) dst[i] = src[i];
}

}  // namespace

void ReplayBuffer::CheckConfig(const ReplayConfig& config) {
  CheckRange("num_tasks", config.num_tasks, 1, kMaxTasks);
  CheckRange("capacity_per_task", config.capacity_per_task, 1, kMaxCapacity);
  CheckRange("obs_dim", config.obs_dim, 1, 1 << 20);
  CheckRange("action_dim", config.action_dim, 1, 1 << 20);
  CheckRange("guide_step", config.guide_step, 1, 1 << 20);
  CheckNonNegative("alpha", config.alpha);
  CheckNonNegative("beta", config.beta);
}

ReplayBuffer::ReplayBuffer(const ReplayConfig& config) : config_(config), rng_(config.seed) {
  CheckConfig(config);
  rings_.reserve(config.num_tasks);
  for (int64_t t = 0; t < config.num_tasks; ++t) {
    rings_.emplace_back(config.capacity_per_task, static_cast<int>(config.obs_dim),
                        static_cast<int>(config.action_dim));
  }
  if (config.prioritized) {
    trees_.assign(config.num_tasks, SumTree(config.capacity_per_task));
    max_priority_.assign(config.num_tasks, 1.0);
  }
}

void ReplayBuffer::set_beta(double beta) {
  CheckNonNegative("beta", beta);
  std::lock_guard<std::mutex> lock(mutex_);
  config_.beta = beta;
}

std::vector<int64_t> ReplayBuffer::Sizes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<int64_t> sizes(rings_.size());
  for (size_t t = 0; t < rings_.size(); ++t) sizes[t] = rings_[t].size();
  return sizes;
}

int64_t ReplayBuffer::NBytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t n = 0;
  for (const auto& ring : rings_) n += ring.nbytes();
  for (const auto& tree : trees_) n += tree.nbytes();
  return n;
}

void ReplayBuffer::CheckAddLocked(const AddBatch& b) const {
  const int64_t T = config_.num_tasks, D = config_.obs_dim, A = config_.action_dim;
  CheckFinite("obs", b.obs, T * D, D);
  CheckFinite("action", b.action, T * A, A);
  CheckFinite("reward", b.reward, T, 1);
  CheckFinite("next_obs", b.next_obs, T * D, D);
  if (b.behaviour != nullptr) {
    for (int64_t t = 0; t < T; ++t) {
      if (b.behaviour[t] < 0 || b.behaviour[t] >= T) {
        throw std::invalid_argument("behaviour must hold task indices in [0, " + std::to_string(T) +
                                    "); row " + std::to_string(t) + " holds " +
                                    std::to_string(b.behaviour[t]));
      }
    }
  }
}

void ReplayBuffer::Add(const AddBatch& b) {
  std::lock_guard<std::mutex> lock(mutex_);
  CheckAddLocked(b);
  const int64_t D = config_.obs_dim, A = config_.action_dim;
  for (int64_t t = 0; t < config_.num_tasks; ++t) {
    TransitionIn in{b.obs + t * D,
                    b.action + t * A,
                    b.reward[t],
                    b.next_obs + t * D,
                    b.terminated[t],
                    b.truncated[t],
                    static_cast<int>(b.behaviour != nullptr ? b.behaviour[t] : t),
                    b.guide_begin != nullptr && b.guide_begin[t]};
    const int64_t slot = rings_[t].Add(in);
    if (config_.prioritized) trees_[t].Set(slot, std::pow(max_priority_[t], config_.alpha));
  }
}

int64_t ReplayBuffer::CheckCounts(const std::vector<int64_t>& counts) const {
  if (static_cast<int64_t>(counts.size()) != config_.num_tasks) {
    throw std::invalid_argument("batch_per_task must be an int or have shape [" +
                                std::to_string(config_.num_tasks) + "], got length " +
                                std::to_string(counts.size()));
  }
  int64_t total = 0;
  for (size_t t = 0; t < counts.size(); ++t) {
    CheckRange("batch_per_task", counts[t], 0, 1LL << 31);
    total += counts[t];
  }
  return total;
}

void ReplayBuffer::Sample(const std::vector<int64_t>& counts, const TransitionOut& out) {
  CheckCounts(counts);
  std::lock_guard<std::mutex> lock(mutex_);
  for (int64_t t = 0; t < config_.num_tasks; ++t) {
    if (counts[t] > 0 && rings_[t].size() == 0) {
      throw std::invalid_argument("batch_per_task asks for " + std::to_string(counts[t]) +
                                  " rows of task " + std::to_string(t) +
                                  ", which holds no transitions yet");
    }
    if (counts[t] > 0 && config_.prioritized && !(trees_[t].Total() > 0.0)) {
      throw std::invalid_argument("task " + std::to_string(t) +
                                  " has total priority 0; give some transition a priority > 0");
    }
  }
  int64_t row = 0;
  for (int64_t t = 0; t < config_.num_tasks; ++t) {
    SampleTaskLocked(t, counts[t], row, out);
    row += counts[t];
  }
}

void ReplayBuffer::SampleTaskLocked(int64_t t, int64_t count, int64_t row0,
                                    const TransitionOut& out) {
  const TaskRing& ring = rings_[t];
  const int64_t D = config_.obs_dim, A = config_.action_dim;
  // Draw every slot first, then gather with the next rows' memory prefetched.
  std::vector<int64_t>& slots = scratch_slots_;
  slots.resize(count);
  if (config_.prioritized) {
    const SumTree& tree = trees_[t];
    double max_weight = 0.0;
    for (int64_t i = 0; i < count; ++i) {
      slots[i] = tree.Find(rng_.Uniform() * tree.Total());
      const double p = tree.Get(slots[i]) / tree.Total();
      max_weight =
          std::max(max_weight, std::pow(static_cast<double>(ring.size()) * p, -config_.beta));
    }
    // Weights are normalised by the largest weight among this task's rows.
    for (int64_t i = 0; i < count; ++i) {
      const double p = tree.Get(slots[i]) / tree.Total();
      const double w = std::pow(static_cast<double>(ring.size()) * p, -config_.beta);
      out.weight[row0 + i] = static_cast<float>(w / max_weight);
    }
  } else {
    for (int64_t i = 0; i < count; ++i) {
      slots[i] = ring.SlotOfAge(static_cast<int64_t>(rng_.Below(ring.size())));
      out.weight[row0 + i] = 1.0f;
    }
  }
  constexpr int64_t kAhead = 8;
  for (int64_t i = 0; i < std::min(count, kAhead); ++i) ring.Prefetch(slots[i]);
  for (int64_t i = 0; i < count; ++i) {
    if (i + kAhead < count) ring.Prefetch(slots[i + kAhead]);
    const int64_t row = row0 + i, slot = slots[i];
    CopyRow(out.obs + row * D, ring.Obs(slot), D);
    CopyRow(out.next_obs + row * D, ring.NextObs(slot), D);
    CopyRow(out.action + row * A, ring.Action(slot), A);
    out.reward[row] = ring.Reward(slot);
    out.terminated[row] = ring.Flags(slot) & kTerminated;
    out.truncated[row] = ring.Flags(slot) & kTruncated;
    out.task[row] = t;
    out.index[row] = slot;
  }
}

void ReplayBuffer::SampleSegments(const std::vector<int64_t>& counts, const SegmentOut& out) {
  CheckCounts(counts);
  std::lock_guard<std::mutex> lock(mutex_);
  const int k = static_cast<int>(config_.guide_step);
  for (int64_t t = 0; t < config_.num_tasks; ++t) {
    if (counts[t] == 0) continue;
    const TaskRing& ring = rings_[t];
    if (ring.starts().count() - ring.CountIncompleteStarts(k) == 0) {
      throw std::invalid_argument(
          "batch_per_task asks for " + std::to_string(counts[t]) + " segments of task " +
          std::to_string(t) + ", which holds no complete segment starting at a guide_begin row");
    }
  }
  int64_t row = 0;
  for (int64_t t = 0; t < config_.num_tasks; ++t) {
    if (counts[t] > 0) SampleTaskSegmentsLocked(t, counts[t], row, out);
    row += counts[t];
  }
}

void ReplayBuffer::SampleTaskSegmentsLocked(int64_t t, int64_t count, int64_t row0,
                                            const SegmentOut& out) {
  const TaskRing& ring = rings_[t];
  const StartIndex& starts = ring.starts();
  const int k = static_cast<int>(config_.guide_step);
  std::vector<int64_t>& slots = scratch_slots_;
  slots.resize(count);
  starts.Prefix(&scratch_ranks_);
  // Uniform over all starts, each incomplete one (at most k-1, among the newest
  // rows) redrawn: uniform over the complete ones. Every draw is located and
  // its bits prefetched first, then all are resolved to slots while those
  // bits are still in cache.
  for (int64_t i = 0; i < count; ++i) {
    slots[i] = starts.Locate(static_cast<int64_t>(rng_.Below(starts.count())), scratch_ranks_);
    starts.PrefetchLocated(slots[i]);
  }
  for (int64_t i = 0; i < count; ++i) {
    slots[i] = starts.SelectLocated(slots[i]);
    while (!ring.StartComplete(slots[i], k)) {
      slots[i] = starts.Select(static_cast<int64_t>(rng_.Below(starts.count())), scratch_ranks_);
    }
  }
  constexpr int64_t kAhead = 2;
  for (int64_t i = 0; i < std::min(count, kAhead); ++i) ring.PrefetchWindow(slots[i], k);
  for (int64_t i = 0; i < count; ++i) {
    if (i + kAhead < count) ring.PrefetchWindow(slots[i + kAhead], k);
    WriteSegmentLocked(t, slots[i], row0 + i, out);
  }
}

void ReplayBuffer::WriteSegmentLocked(int64_t t, int64_t slot, int64_t row,
                                      const SegmentOut& out) const {
  const TaskRing& ring = rings_[t];
  const int64_t D = config_.obs_dim, A = config_.action_dim, K = config_.guide_step;
  const int length = ring.WindowLength(slot, static_cast<int>(K));
  const int64_t age = ring.Age(slot);
  for (int64_t step = 0; step < K; ++step) {
    const int64_t r = row * K + step;
    if (step < length) {
      const int64_t s = ring.SlotOfAge(age + step);
      // Inside the window the next obs is the next record's obs.
      const float* next =
          step + 1 < length ? ring.Obs(ring.SlotOfAge(age + step + 1)) : ring.NextObs(s);
      CopyRow(out.obs + r * D, ring.Obs(s), D);
      CopyRow(out.next_obs + r * D, next, D);
      CopyRow(out.action + r * A, ring.Action(s), A);
      out.reward[r] = ring.Reward(s);
      out.terminated[r] = ring.Flags(s) & kTerminated;
      out.truncated[r] = ring.Flags(s) & kTruncated;
      out.valid[r] = true;
    } else {  // filler after the episode's end: zeros, not valid
      std::memset(out.obs + r * D, 0, sizeof(float) * D);
      std::memset(out.next_obs + r * D, 0, sizeof(float) * D);
      std::memset(out.action + r * A, 0, sizeof(float) * A);
      out.reward[r] = 0.0f;
      out.terminated[r] = false;
      out.truncated[r] = false;
      out.valid[r] = false;
    }
  }
  out.behaviour[row] = ring.Behaviour(slot);
  out.task[row] = t;
  out.index[row] = slot;
}

void ReplayBuffer::UpdatePriorities(int64_t n, const int64_t* task, const int64_t* index,
                                    const double* priority) {
  if (!config_.prioritized) {
    throw std::invalid_argument("update_priorities needs a buffer built with prioritized=True");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const double max_leaf = kMaxTotalPriority / static_cast<double>(config_.capacity_per_task);
  for (int64_t i = 0; i < n; ++i) {
    CheckRange("task", task[i], 0, config_.num_tasks - 1);
    const int64_t size = rings_[task[i]].size();
    if (index[i] < 0 || index[i] >= size) {
      throw std::invalid_argument("index[" + std::to_string(i) + "] = " + std::to_string(index[i]) +
                                  " is not a written slot of task " + std::to_string(task[i]) +
                                  " (valid: [0, " + std::to_string(size) + "))");
    }
    if (!std::isfinite(priority[i]) || priority[i] < 0.0) {
      throw std::invalid_argument("priority must be finite and >= 0; priority[" +
                                  std::to_string(i) + "] = " + Num(priority[i]));
    }
    const double leaf = std::pow(priority[i], config_.alpha);
    if (!(leaf <= max_leaf)) {
      throw std::invalid_argument(
          "priority[" + std::to_string(i) + "] = " + Num(priority[i]) +
          " is too large: " + "priority ** alpha (alpha = " + Num(config_.alpha) +
          ") = " + Num(leaf) + " exceeds " + Num(max_leaf) + " (" + Num(kMaxTotalPriority) +
          " / capacity_per_task), where the sum of priorities would overflow");
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    trees_[task[i]].Set(index[i], std::pow(priority[i], config_.alpha));
    max_priority_[task[i]] = std::max(max_priority_[task[i]], priority[i]);
  }
}

}  // namespace ctpg
