#include "replay/task_ring.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace ctpg {

TaskRing::TaskRing(int64_t capacity, int obs_dim, int action_dim)
    : capacity_(capacity),
      obs_dim_(obs_dim),
      action_dim_(action_dim),
      stride_(obs_dim + action_dim + 2),
      records_(capacity * stride_, 0.0f),
      pending_(obs_dim, 0.0f),
      episode_ends_(obs_dim, capacity),
      starts_(capacity) {}

void TaskRing::CloseNewestIfDiscontinuous(const float* obs) {
  if (size_ == 0) return;
  const int64_t last = newest();
  if (Flags(last) & kEpisodeEnd) return;
  if (std::memcmp(obs, pending_.data(), sizeof(float) * obs_dim_) == 0) return;
  *MutableMeta(last) |= kEpisodeEnd;
  episode_ends_.PushBack(static_cast<uint32_t>(last), pending_.data());
}

void TaskRing::ReleaseSlot(int64_t slot) {
  const uint8_t f = Flags(slot);
  if (f & kEpisodeEnd) {
    assert(episode_ends_.size() > 0 && episode_ends_.Front() == slot);
    episode_ends_.PopFront();
  }
  if (f & kGuideBegin) starts_.Erase(slot);
  *MutableMeta(slot) = 0;
}

int64_t TaskRing::Add(const TransitionIn& t) {
  CloseNewestIfDiscontinuous(t.obs);
  const int64_t slot = head_;
  if (size_ == capacity_) ReleaseSlot(slot);
  float* rec = records_.data() + slot * stride_;
  std::copy(t.obs, t.obs + obs_dim_, rec);
  std::copy(t.action, t.action + action_dim_, rec + obs_dim_);
  rec[obs_dim_ + action_dim_] = t.reward;
  uint8_t f = 0;
  if (t.terminated) f |= kTerminated;
  if (t.truncated) f |= kTruncated;
  if (t.guide_begin) f |= kGuideBegin;
  if (t.terminated || t.truncated) f |= kEpisodeEnd;
  const int16_t behaviour = static_cast<int16_t>(t.behaviour);
  uint8_t* meta = MutableMeta(slot);
  meta[0] = f;
  meta[1] = 0;
  std::memcpy(meta + 2, &behaviour, sizeof(behaviour));
  if (f & kEpisodeEnd) {
    episode_ends_.PushBack(static_cast<uint32_t>(slot), t.next_obs);
  } else {
    std::copy(t.next_obs, t.next_obs + obs_dim_, pending_.begin());
  }
  if (t.guide_begin) starts_.Insert(slot);
  head_ = slot + 1 == capacity_ ? 0 : slot + 1;
  size_ = std::min(size_ + 1, capacity_);
  return slot;
}

const float* TaskRing::NextObs(int64_t slot) const {
  if (Flags(slot) & kEpisodeEnd) {
    const int64_t k = episode_ends_.LowerBound(Age(slot), [this](uint32_t s) { return Age(s); });
    assert(k < episode_ends_.size() && episode_ends_.SlotAt(k) == slot);
    return episode_ends_.PayloadAt(k);
  }
  if (slot == newest()) return pending_.data();
  return Obs(slot + 1 == capacity_ ? 0 : slot + 1);
}

int TaskRing::WindowLength(int64_t slot, int k) const {
  const int64_t age = Age(slot);
  for (int step = 0; step < k; ++step) {
    if (age + step >= size_) return 0;
    const int64_t s = SlotOfAge(age + step);
    if ((Flags(s) & kEpisodeEnd) || step + 1 == k) return step + 1;
  }
  return 0;  // k <= 0 is rejected by the buffer
}

int64_t TaskRing::CountIncompleteStarts(int k) const {
  int64_t n = 0;
  for (int64_t age = std::max<int64_t>(0, size_ - k + 1); age < size_; ++age) {
    const int64_t slot = SlotOfAge(age);
    if ((Flags(slot) & kGuideBegin) && WindowLength(slot, k) == 0) ++n;
  }
  return n;
}

int64_t TaskRing::nbytes() const {
  return static_cast<int64_t>((records_.size() + pending_.size()) * sizeof(float)) +
         episode_ends_.nbytes() + starts_.nbytes();
}

void TaskRing::RebuildQueues(const std::vector<float>& final_obs) {
  episode_ends_.Clear();
  starts_.Clear();
  int64_t j = 0;
  for (int64_t age = 0; age < size_; ++age) {
    const int64_t slot = SlotOfAge(age);
    if (Flags(slot) & kEpisodeEnd) {
      episode_ends_.PushBack(static_cast<uint32_t>(slot), final_obs.data() + j * obs_dim_);
      ++j;
    }
    if (Flags(slot) & kGuideBegin) starts_.Insert(slot);
  }
  assert(j * obs_dim_ == static_cast<int64_t>(final_obs.size()));
}

}  // namespace ctpg
