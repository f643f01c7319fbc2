// Ring storage of one task's transitions.
//
// A slot stores obs, action, reward, behaviour and a flag byte once. The
// next observation of slot s is, in this order:
//   - the true final observation from the episode-end table, when the episode
//     ended at s (terminated, truncated, or the next row did not continue it);
//   - the pending next observation, when s is the newest slot;
//   - the observation of the slot written right after s.
// "Did not continue": when a new row's obs differs (bitwise) from the next_obs
// given with the previous row, the previous row is closed as an episode end
// (kEpisodeEnd without terminated/truncated), so every stored transition
// reads back exactly as it was added and every written slot can be sampled.
#pragma once

#include <cstdint>
#include <vector>

#include "replay/slot_queue.h"

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

  const float* Obs(int64_t slot) const { return obs_.data() + slot * obs_dim_; }
  const float* Action(int64_t slot) const { return action_.data() + slot * action_dim_; }
  float Reward(int64_t slot) const { return reward_[slot]; }
  uint8_t Flags(int64_t slot) const { return flags_[slot]; }
  int Behaviour(int64_t slot) const { return behaviour_[slot]; }
  const float* NextObs(int64_t slot) const;

  // Steps of the K-step window starting at `slot` that belong to its episode
  // (1..K), or 0 when the window is not complete yet (it runs past the newest
  // slot before K steps or an episode end).
  int WindowLength(int64_t slot, int k) const;

  // Guide-decision slots that start a complete window: the first `return
  // value` entries of guide_starts() (old enough to be complete whatever
  // follows) plus the slots appended to `tail` (recent ones that were checked
  // one by one; at most K-1 of them).
  int64_t CollectSegmentStarts(int k, std::vector<int64_t>* tail) const;

  int64_t nbytes() const;

  // Raw access for save/load.
  struct Raw {
    std::vector<float>* obs;
    std::vector<float>* action;
    std::vector<float>* reward;
    std::vector<uint8_t>* flags;
    std::vector<int16_t>* behaviour;
    std::vector<float>* pending;
    int64_t* size;
    int64_t* head;
  };
  Raw raw() { return {&obs_, &action_, &reward_, &flags_, &behaviour_, &pending_, &size_, &head_}; }
  const float* obs_data() const { return obs_.data(); }
  const float* action_data() const { return action_.data(); }
  const float* reward_data() const { return reward_.data(); }
  const uint8_t* flags_data() const { return flags_.data(); }
  const int16_t* behaviour_data() const { return behaviour_.data(); }
  const float* pending_data() const { return pending_.data(); }
  const SlotQueue& episode_ends() const { return episode_ends_; }
  const SlotQueue& guide_starts() const { return guide_starts_; }
  // Rebuilds both queues from the flags and `final_obs` (one row per episode
  // end in age order) after the raw arrays were loaded.
  void RebuildQueues(const std::vector<float>& final_obs);

 private:
  void CloseNewestIfDiscontinuous(const float* obs);
  void ReleaseSlot(int64_t slot);

  int64_t capacity_;
  int obs_dim_;
  int action_dim_;
  int64_t size_ = 0;
  int64_t head_ = 0;
  std::vector<float> obs_;
  std::vector<float> action_;
  std::vector<float> reward_;
  std::vector<uint8_t> flags_;
  std::vector<int16_t> behaviour_;
  std::vector<float> pending_;  // next_obs of the newest slot while its episode runs
  SlotQueue episode_ends_;      // payload: true final observation
  SlotQueue guide_starts_;
};

}  // namespace ctpg
