// Small helpers shared by the task files: state edits as MetaWorld's
// _set_obj_xyz / set_state do them, and common object-pose readers.
#pragma once

#include <cmath>

#include "envs/sawyer/rotation.h"
#include "envs/sawyer/sawyer_base.h"

namespace ctpg {
namespace sawyer {

// SawyerXYZEnv._set_obj_xyz: qpos[9:12] = pos, qvel[9:15] = 0, mj_forward.
inline void SetObjXyz(SawyerEnv& env, const double* pos) {
  mjData* d = env.data();
  for (int i = 0; i < 3; ++i) d->qpos[9 + i] = pos[i];
  for (int i = 9; i < 15; ++i) d->qvel[i] = 0.0;
  env.Forward();
}

// Position from `pos` and scipy quaternion (x, y, z, w) of a 3x3 `xmat`.
inline void PoseWithMatrixQuat(const double* pos, const double* xmat, double* out) {
  for (int i = 0; i < 3; ++i) out[i] = pos[i];
  QuatFromMatrix(xmat, out + 3);
}

// numpy's norm of vec[0:2] - vec[3:5] (object vs goal in the plane).
inline double PlanarGap(const double* vec) { return Norm2(vec[0] - vec[3], vec[1] - vec[4]); }

// numpy's norm of quat[0:4] - ideal[0:4] (the error of a task's _reward_quat).
inline double QuatError(const double* quat, const double* ideal) {
  const double d[4] = {quat[0] - ideal[0], quat[1] - ideal[1], quat[2] - ideal[2],
                       quat[3] - ideal[3]};
  return std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2] + d[3] * d[3]);
}

// (2.0 * grab + 6.0 * in_place) * quat of the wrench and hammer tasks, in
// float32 when the caging reward `grab` is float32.
inline double GrabPlaceQuatReward(PyNum grab, double in_place, double quat) {
  if (grab.f32) {
    const float sum = 2.0f * static_cast<float>(grab.value) + static_cast<float>(6.0 * in_place);
    return static_cast<double>(sum * static_cast<float>(quat));
  }
  return (2.0 * grab.value + 6.0 * in_place) * quat;
}

}  // namespace sawyer
}  // namespace ctpg
