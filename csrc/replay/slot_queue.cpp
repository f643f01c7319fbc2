#include "replay/slot_queue.h"

#include <algorithm>
#include <cassert>

namespace ctpg {

void SlotQueue::PushBack(uint32_t slot, const float* payload) {
  if (count_ == static_cast<int64_t>(slots_.size())) Grow();
  const int64_t i = Wrap(count_);
  slots_[i] = slot;
  if (width_ > 0) std::copy(payload, payload + width_, payload_.begin() + i * width_);
  ++count_;
}

void SlotQueue::PopFront() {
  assert(count_ > 0);
  head_ = Wrap(1);
  --count_;
}

void SlotQueue::Grow() {
  const int64_t old_cap = static_cast<int64_t>(slots_.size());
  const int64_t new_cap = std::min(max_size_, std::max<int64_t>(8, old_cap + old_cap / 2));
  assert(new_cap > old_cap);
  std::vector<uint32_t> slots(new_cap);
  std::vector<float> payload(new_cap * width_);
  for (int64_t k = 0; k < count_; ++k) {
    slots[k] = SlotAt(k);
    if (width_ > 0) std::copy(PayloadAt(k), PayloadAt(k) + width_, payload.begin() + k * width_);
  }
  slots_.swap(slots);
  payload_.swap(payload);
  head_ = 0;
}

}  // namespace ctpg
