#include "replay/start_index.h"

#include <algorithm>
#include <cassert>

namespace ctpg {
namespace {

constexpr uint64_t kByteOnes = 0x0101010101010101ull;

// kSelectInByte.pos[b][r]: position of the set bit of rank r in byte b.
struct ByteSelectTable {
  uint8_t pos[256][8];
  constexpr ByteSelectTable() : pos() {
    for (int b = 0; b < 256; ++b) {
      int r = 0;
      for (int i = 0; i < 8; ++i) {
        if (b & (1 << i)) pos[b][r++] = static_cast<uint8_t>(i);
      }
    }
  }
};
constexpr ByteSelectTable kSelectInByte;

// Number of the 8 bytes of `cumulative` (running counts, byte 7 unused) that
// are <= r: the index of the byte holding rank r.
int BytesAtMost(uint64_t cumulative, int64_t r) {
  int n = 0;
  for (int i = 0; i < 7; ++i) {
    n += static_cast<int>(static_cast<int64_t>((cumulative >> (8 * i)) & 0xff) <= r);
  }
  return n;
}

// Set bits of every byte of w, one count per byte (no popcnt instruction is
// assumed: the generic x86-64 build would call a library routine).
uint64_t ByteCounts(uint64_t w) {
  uint64_t s = w - ((w >> 1) & 0x5555555555555555ull);
  s = (s & 0x3333333333333333ull) + ((s >> 2) & 0x3333333333333333ull);
  return (s + (s >> 4)) & 0x0f0f0f0f0f0f0f0full;
}

// Position of the set bit of rank r (0-based) in w, which has more than r set
// bits. Branch-free: sampled ranks are random, so branches would mispredict.
int SelectInWord(uint64_t w, int64_t r) {
  const uint64_t cumulative = ByteCounts(w) * kByteOnes;  // byte i: set bits in bytes 0..i
  const int byte = BytesAtMost(cumulative, r);
  const int64_t before = static_cast<int64_t>(((cumulative << 8) >> (8 * byte)) & 0xff);
  return 8 * byte + kSelectInByte.pos[(w >> (8 * byte)) & 0xff][r - before];
}

}  // namespace

StartIndex::StartIndex(int64_t capacity)
    : bits_((capacity + 64 * kWordsPerBlock - 1) / (64 * kWordsPerBlock) * kWordsPerBlock, 0),
      word_rank_(bits_.size(), 0),
      block_count_(bits_.size() / kWordsPerBlock, 0) {}

void StartIndex::AddToBlock(int64_t slot, int delta) {
  const int64_t word = slot >> 6, block = word / kWordsPerBlock;
  for (int64_t w = word + 1; w < (block + 1) * kWordsPerBlock; ++w)
    word_rank_[w] = static_cast<uint16_t>(word_rank_[w] + delta);
  block_count_[block] = static_cast<uint16_t>(block_count_[block] + delta);
  count_ += delta;
}

void StartIndex::Insert(int64_t slot) {
  assert(!Contains(slot));
  bits_[slot >> 6] |= uint64_t{1} << (slot & 63);
  AddToBlock(slot, 1);
}

void StartIndex::Erase(int64_t slot) {
  assert(Contains(slot));
  bits_[slot >> 6] &= ~(uint64_t{1} << (slot & 63));
  AddToBlock(slot, -1);
}

void StartIndex::Clear() {
  std::fill(bits_.begin(), bits_.end(), 0);
  std::fill(word_rank_.begin(), word_rank_.end(), 0);
  std::fill(block_count_.begin(), block_count_.end(), 0);
  count_ = 0;
}

void StartIndex::Prefix(Ranks* ranks) const {
  const int64_t blocks = static_cast<int64_t>(block_count_.size());
  std::vector<int32_t>& prefix = ranks->prefix;
  prefix.resize(blocks + 1);
  int32_t running = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    prefix[b] = running;
    running += block_count_[b];
  }
  prefix[blocks] = running;
  // About one guide entry per block: 2^shift ranks per entry.
  int shift = 0;
  while ((count_ >> shift) > blocks) ++shift;
  ranks->shift = shift;
  ranks->block_of.resize(count_ == 0 ? 0 : ((count_ - 1) >> shift) + 1);
  int64_t b = 0;
  for (size_t j = 0; j < ranks->block_of.size(); ++j) {
    const int64_t r = static_cast<int64_t>(j) << shift;
    while (prefix[b + 1] <= r) ++b;
    ranks->block_of[j] = static_cast<int32_t>(b);
  }
}

int64_t StartIndex::Locate(int64_t u, const Ranks& ranks) const {
  assert(u >= 0 && u < count_);
  // The block holding rank u: the last one whose prefix is <= u.
  int64_t b = ranks.block_of[u >> ranks.shift];
  while (ranks.prefix[b + 1] <= u) ++b;
  return b * kBlockSlots + (u - ranks.prefix[b]);
}

int64_t StartIndex::SelectLocated(int64_t located) const {
  const int64_t block = located / kBlockSlots, u = located % kBlockSlots;
  // Word of the block holding rank u: the last one with at most u members before it.
  const uint16_t* ranks = word_rank_.data() + block * kWordsPerBlock;
  int64_t word = 0;
  for (int64_t i = 1; i < kWordsPerBlock; ++i) word += static_cast<int64_t>(ranks[i]) <= u;
  const int64_t w = block * kWordsPerBlock + word;
  return w * 64 + SelectInWord(bits_[w], u - ranks[word]);
}

}  // namespace ctpg
