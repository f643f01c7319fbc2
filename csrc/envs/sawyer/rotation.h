// Rotation matrix -> quaternion exactly as scipy's
// Rotation.from_matrix(m).as_quat() computes it for orthogonal matrices:
// Markley's method (the first maximum of diag/trace wins), then division by
// the norm, no sign normalisation. Output order (x, y, z, w).
#pragma once

namespace ctpg {
namespace sawyer {

// `m` is a row-major 3x3 matrix (MuJoCo's xmat layout).
void QuatFromMatrix(const double* m, double* quat_xyzw);

}  // namespace sawyer
}  // namespace ctpg
