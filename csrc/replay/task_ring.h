// Ring storage of one task's transitions.
//
// A slot is one record of D + A + 2 floats: obs [D], action [A], reward, and a
// 4-byte meta field (flag byte, pad byte, int16 behaviour). Records are
// contiguous, so a sampled transition (its record plus the next record's obs)
// is one run of memory. The next observation of slot s is, in this order:
//   - the true final observation from the episode-end table, when the episode
//     ended at s (terminated, truncated, or the next row did not continue it);
//   - the pending next observation, when s is the newest slot;
//   - the observation of the slot written right after s.
// "Did not continue": when a new row's obs differs (bitwise) from the next_obs
// given with the previous row, the previous row is closed as an episode end
// (kEpisodeEnd without terminated/truncated), so every stored transition
// reads back exactly as it was added and every written slot can be sampled.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "replay/slot_queue.h"
#include "replay/start_index.h"

namespace ctpg {

enum SlotFlag : uint8_t {
  kTerminated = 1,
  kTruncated = 2,
  kGuideBegin = 4,
  kEpisodeEnd = 8,
};

struct TransitionIn {
  const float* obs;
  const float* action;
  float reward;
  const float* next_obs;
  bool terminated;
  bool truncated;
  int behaviour;
  bool guide_begin;
};

class TaskRing {
 public:
  TaskRing(int64_t capacity, int obs_dim, int action_dim);

  int64_t capacity() const { return capacity_; }
  int64_t size() const { return size_; }
  int64_t head() const { return head_; }  // next slot to write
  int64_t newest() const { return head_ == 0 ? capacity_ - 1 : head_ - 1; }
  int64_t oldest() const { return size_ == capacity_ ? head_ : 0; }
  int64_t Age(int64_t slot) const {  // 0 = oldest, size-1 = newest
    const int64_t a = slot - oldest();
    return a < 0 ? a + capacity_ : a;
  }
  int64_t SlotOfAge(int64_t age) const {
    const int64_t s = oldest() + age;
    return s >= capacity_ ? s - capacity_ : s;
  }

  // Writes one transition; returns the slot written.
  int64_t Add(const TransitionIn& t);

  int64_t stride() const { return stride_; }  // floats per record
  const float* Obs(int64_t slot) const { return records_.data() + slot * stride_; }
  const float* Action(int64_t slot) const { return Obs(slot) + obs_dim_; }
  float Reward(int64_t slot) const { return Obs(slot)[obs_dim_ + action_dim_]; }
  uint8_t Flags(int64_t slot) const { return *Meta(slot); }
  int Behaviour(int64_t slot) const {
    int16_t b;
    std::memcpy(&b, Meta(slot) + 2, sizeof(b));
    return b;
  }
  const float* NextObs(int64_t slot) const;
  // Hints the cache to load what sampling `slot` reads: its record and the
  // next record's obs; for a window, its first k records and the obs after.
  void Prefetch(int64_t slot) const { PrefetchBytes(Obs(slot), (stride_ + obs_dim_) * 4); }
  void PrefetchWindow(int64_t slot, int64_t k) const {
    const int64_t records = std::min(k, capacity_ - slot);  // not past the array's end
    PrefetchBytes(Obs(slot), (records * stride_ + obs_dim_) * 4);
  }

  // Steps of the K-step window starting at `slot` that belong to its episode
  // (1..K), or 0 when the window is not complete yet (it runs past the newest
  // slot before K steps or an episode end).
  int WindowLength(int64_t slot, int k) const;

  // Guide-decision slots (those added with guide_begin), in slot order.
  const StartIndex& starts() const { return starts_; }
  // Whether the window starting at guide-decision `slot` is complete. A start
  // at least k-1 rows older than the newest is complete whatever follows.
  bool StartComplete(int64_t slot, int k) const {
    return Age(slot) + k <= size_ || WindowLength(slot, k) > 0;
  }
  // Guide-decision slots whose window is not complete yet; they all lie among
  // the newest k-1 slots, so this reads at most k-1 records.
  int64_t CountIncompleteStarts(int k) const;

  int64_t nbytes() const;

  // Raw access for save/load: records of slots [0, size), the pending obs.
  const float* records() const { return records_.data(); }
  const float* pending() const { return pending_.data(); }
  float* mutable_records() { return records_.data(); }
  float* mutable_pending() { return pending_.data(); }
  void set_size_and_head(int64_t size, int64_t head) { size_ = size, head_ = head; }
  const SlotQueue& episode_ends() const { return episode_ends_; }
  // Rebuilds the episode-end table and the start index from the flags and `final_obs` (one row per
  // episode end in age order) after the raw arrays were loaded.
  void RebuildQueues(const std::vector<float>& final_obs);

 private:
  // (On x86 an asm statement: GCC drops __builtin_prefetch loops whose trip
  // count is not a constant.)
  static void PrefetchBytes(const void* start, int64_t bytes) {
    const char* p = static_cast<const char*>(start);
    for (int64_t b = 0; b < bytes; b += 64) {
#if defined(__x86_64__)
      asm volatile("prefetcht0 %0" : : "m"(p[b]));
#else
      __builtin_prefetch(p + b);
#endif
    }
  }
  void CloseNewestIfDiscontinuous(const float* obs);
  void ReleaseSlot(int64_t slot);
  const uint8_t* Meta(int64_t slot) const {
    return reinterpret_cast<const uint8_t*>(Obs(slot) + obs_dim_ + action_dim_ + 1);
  }
  uint8_t* MutableMeta(int64_t slot) {
    return reinterpret_cast<uint8_t*>(records_.data() + slot * stride_ + obs_dim_ + action_dim_ +
                                      1);
  }

  int64_t capacity_;
  int obs_dim_;
  int action_dim_;
  int64_t stride_;
  int64_t size_ = 0;
  int64_t head_ = 0;
  std::vector<float> records_;  // [capacity, stride]
  std::vector<float> pending_;  // next_obs of the newest slot while its episode runs
  SlotQueue episode_ends_;      // payload: true final observation
  StartIndex starts_;           // slots flagged kGuideBegin
};

}  // namespace ctpg
