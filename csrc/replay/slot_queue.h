// First-in first-out queue of ring slots, each with an optional fixed-width
// float payload. A task ring keeps the slots where an episode ended in one,
// with the true final observation as payload. Slots enter in write order and
// leave in the same order when the ring overwrites them, so the queue is always
// sorted by age and can be binary-searched. Storage grows geometrically up to
// max_size entries (the ring's capacity) and is never shrunk.
#pragma once

#include <cstdint>
#include <vector>

namespace ctpg {

class SlotQueue {
 public:
  explicit SlotQueue(int payload_width = 0, int64_t max_size = int64_t{1} << 31)
      : width_(payload_width), max_size_(max_size) {}

  int64_t size() const { return count_; }
  int payload_width() const { return width_; }

  // k-th oldest entry, 0 <= k < size().
  uint32_t SlotAt(int64_t k) const { return slots_[Wrap(k)]; }
  const float* PayloadAt(int64_t k) const {
    return payload_.data() + Wrap(k) * static_cast<int64_t>(width_);
  }

  void PushBack(uint32_t slot, const float* payload);
  void PopFront();
  uint32_t Front() const { return slots_[head_]; }
  void Clear() { head_ = count_ = 0; }

  // First k with age(SlotAt(k)) >= age, for a monotone age function over the
  // queue (the ring position of each slot relative to the oldest slot).
  template <typename AgeFn>
  int64_t LowerBound(int64_t age, AgeFn age_of) const {
    int64_t lo = 0, hi = count_;
    while (lo < hi) {
      const int64_t mid = (lo + hi) / 2;
      if (age_of(SlotAt(mid)) < age) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  int64_t nbytes() const {
    return static_cast<int64_t>(slots_.size() * sizeof(uint32_t) + payload_.size() * sizeof(float));
  }

 private:
  int64_t Wrap(int64_t k) const {
    const int64_t i = head_ + k;
    const int64_t cap = static_cast<int64_t>(slots_.size());
    return i >= cap ? i - cap : i;
  }
  void Grow();

  int width_;
  int64_t max_size_;
  int64_t head_ = 0;
  int64_t count_ = 0;
  std::vector<uint32_t> slots_;
  std::vector<float> payload_;
};

}  // namespace ctpg
