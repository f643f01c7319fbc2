#include "replay/block_pool.h"

#include <cstdlib>
#include <new>

namespace ctpg {
namespace {

constexpr size_t kAlign = 64;

size_t RoundUp(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

}  // namespace

BlockPool& BlockPool::Shared() {
  static BlockPool* pool = new BlockPool();
  return *pool;
}

BlockPool::Block BlockPool::Acquire(size_t bytes) {
  bytes = RoundUp(bytes == 0 ? 1 : bytes);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Reuse the smallest block that fits without wasting more than half of it.
    size_t best = free_.size();
    for (size_t i = 0; i < free_.size(); ++i) {
      const size_t b = free_[i].bytes;
      if (b >= bytes && b / 2 <= bytes && (best == free_.size() || b < free_[best].bytes)) best = i;
    }
    if (best < free_.size()) {
      const Block block = free_[best];
      free_bytes_ -= block.bytes;
      free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(best));
      return block;
    }
  }
  void* p = std::aligned_alloc(kAlign, bytes);
  if (p == nullptr) throw std::bad_alloc();
  return {p, bytes};
}

void BlockPool::Release(Block block) {
  std::lock_guard<std::mutex> lock(mutex_);
  free_.push_back(block);
  free_bytes_ += block.bytes;
  while (free_.size() > kMaxFreeBlocks || free_bytes_ > kMaxFreeBytes) {
    std::free(free_.front().p);  // drop the oldest cached block
    free_bytes_ -= free_.front().bytes;
    free_.erase(free_.begin());
  }
}

}  // namespace ctpg
