// Sum-tree over n non-negative leaf values: O(log n) update and
// proportional sampling. Leaves live at [n, 2n) of one array; node i < n holds
// the sum of nodes 2i and 2i+1, so node 1 holds the total for any n >= 1.
#pragma once

#include <cstdint>
#include <vector>

namespace ctpg {

class SumTree {
 public:
  explicit SumTree(int64_t num_leaves = 0);

  int64_t size() const { return n_; }
  double Get(int64_t leaf) const { return nodes_[n_ + leaf]; }
  double Total() const { return n_ == 0 ? 0.0 : nodes_[1]; }
  void Set(int64_t leaf, double value);

  // Leaf reached by descending with mass u in [0, Total()): leaf i is found
  // with probability Get(i) / Total(). Never returns a leaf whose value is 0
  // (rounding at subtree edges is steered into the positive side).
  int64_t Find(double u) const;

  // Rebuilds every inner node from the leaves (after loading leaves).
  void Rebuild();
  std::vector<double>& leaves_storage() { return nodes_; }

  int64_t nbytes() const { return static_cast<int64_t>(nodes_.size() * sizeof(double)); }

 private:
  int64_t n_;
  std::vector<double> nodes_;  // size 2n; index 0 unused
};

}  // namespace ctpg
