#include "envs/sawyer/rotation.h"

#include <cmath>

namespace ctpg {
namespace sawyer {

void QuatFromMatrix(const double* m, double* q) {
  auto at = [m](int r, int c) { return m[3 * r + c]; };
  const double trace = at(0, 0) + at(1, 1) + at(2, 2);
  const double decision[4] = {at(0, 0), at(1, 1), at(2, 2), trace};
  int choice = 0;
  for (int i = 1; i < 4; ++i) {
    if (decision[i] > decision[choice]) choice = i;
  }
  if (choice != 3) {
    const int i = choice;
    const int j = (i + 1) % 3;
    const int k = (j + 1) % 3;
    q[i] = 1.0 - trace + 2.0 * at(i, i);
    q[j] = at(j, i) + at(i, j);
    q[k] = at(k, i) + at(i, k);
    q[3] = at(k, j) - at(j, k);
  } else {
    q[0] = at(2, 1) - at(1, 2);
    q[1] = at(0, 2) - at(2, 0);
    q[2] = at(1, 0) - at(0, 1);
    q[3] = 1.0 + trace;
  }
  const double norm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  for (int i = 0; i < 4; ++i) q[i] /= norm;
}

}  // namespace sawyer
}  // namespace ctpg
