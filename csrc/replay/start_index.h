// Set of ring slots where a guide decision was made, for uniform sampling of
// segment starts. One bit per slot, the member count of every block of 512
// slots and, within a block, the members before each 64-slot word: 0.16
// bytes per slot whatever the guide step.
//
// Sampling first takes the running block counts and a rank -> block guide
// (Prefix: one pass over capacity/512 counts); each Select then starts at the
// guided block, steps over about one block count and looks at one 64-byte
// block of bits, so a batch of draws stays in cache.
#pragma once

#include <cstdint>
#include <vector>

namespace ctpg {

class StartIndex {
 public:
  static constexpr int64_t kWordsPerBlock = 8;  // one cache line of bits
  static constexpr int64_t kBlockSlots = 64 * kWordsPerBlock;

  explicit StartIndex(int64_t capacity = 0);

  int64_t count() const { return count_; }
  bool Contains(int64_t slot) const { return (bits_[slot >> 6] >> (slot & 63)) & 1; }
  // Insert / Erase expect the slot to be absent / present.
  void Insert(int64_t slot);
  void Erase(int64_t slot);
  void Clear();

  // Rank lookup for a batch of Selects, valid until the next change.
  struct Ranks {
    std::vector<int32_t> prefix;    // [blocks + 1]: members in blocks before b
    std::vector<int32_t> block_of;  // [j]: the block holding rank j << shift
    int shift = 0;
  };
  void Prefix(Ranks* ranks) const;
  // The member of rank u (0 <= u < count()) in increasing slot order, in two
  // halves so that a batch can prefetch between them: Locate returns the
  // member's block * kBlockSlots + its rank within the block, and
  // SelectLocated turns that into the slot.
  int64_t Locate(int64_t u, const Ranks& ranks) const;
  void PrefetchLocated(int64_t located) const {
    __builtin_prefetch(bits_.data() + located / kBlockSlots * kWordsPerBlock);
    __builtin_prefetch(word_rank_.data() + located / kBlockSlots * kWordsPerBlock);
  }
  int64_t SelectLocated(int64_t located) const;
  int64_t Select(int64_t u, const Ranks& ranks) const { return SelectLocated(Locate(u, ranks)); }

  int64_t nbytes() const {
    return static_cast<int64_t>(bits_.size() * sizeof(uint64_t) +
                                word_rank_.size() * sizeof(uint16_t) +
                                block_count_.size() * sizeof(uint16_t));
  }

 private:
  void AddToBlock(int64_t slot, int delta);

  int64_t count_ = 0;
  std::vector<uint64_t> bits_;         // [blocks * kWordsPerBlock]
  std::vector<uint16_t> word_rank_;    // [words]: members in earlier words of the block
  std::vector<uint16_t> block_count_;  // [blocks]
};

}  // namespace ctpg
