// A small cache of large, 64-byte aligned memory blocks for sampler outputs.
// Fresh multi-megabyte allocations are mapped and zeroed page by page by the
// kernel on first touch, which costs more than filling a batch; blocks handed
// back here are reused whole, so a training loop that drops each batch before
// asking for the next one touches no new pages.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

namespace ctpg {

class BlockPool {
 public:
  // The process-wide pool (never destroyed, so blocks released during
  // interpreter shutdown still find it).
  static BlockPool& Shared();

  struct Block {
    void* p;
    size_t bytes;  // usable size, at least what was asked for
  };

  // A block of at least `bytes` bytes; give it back with Release.
  Block Acquire(size_t bytes);
  void Release(Block block);

 private:
  static constexpr size_t kMaxFreeBlocks = 16;
  static constexpr size_t kMaxFreeBytes = size_t{256} << 20;
  size_t free_bytes_ = 0;
  std::mutex mutex_;
  std::vector<Block> free_;
};

}  // namespace ctpg
