#include "replay/sum_tree.h"

#include <algorithm>
#include <cassert>

namespace ctpg {

SumTree::SumTree(int64_t num_leaves) : n_(num_leaves), nodes_(2 * num_leaves, 0.0) {}

void SumTree::Set(int64_t leaf, double value) {
  assert(leaf >= 0 && leaf < n_ && value >= 0.0);
  int64_t node = n_ + leaf;
  nodes_[node] = value;
  for (node /= 2; node >= 1; node /= 2) nodes_[node] = nodes_[2 * node] + nodes_[2 * node + 1];
}

int64_t SumTree::Find(double u) const {
  int64_t node = 1;
  while (node < n_) {
    const double left = nodes_[2 * node];
    const double right = nodes_[2 * node + 1];
    if (u < left || right <= 0.0) {
      u = std::min(u, left);
      node = 2 * node;
    } else {
      u -= left;
      node = 2 * node + 1;
    }
  }
  return node - n_;
}

void SumTree::Rebuild() {
  for (int64_t node = n_ - 1; node >= 1; --node) {
    nodes_[node] = nodes_[2 * node] + nodes_[2 * node + 1];
  }
}

}  // namespace ctpg
