// Small helpers shared by the task files: state edits as MetaWorld's
// _set_obj_xyz / set_state do them, and common object-pose readers.
#pragma once

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

// A one-joint _set_obj_xyz (door, lock): qpos[qpos_adr] = value,
// qvel[dof_adr] = 0, then set_state's mj_forward.
inline void SetJointAndForward(SawyerEnv& env, int qpos_adr, int dof_adr, double value) {
  env.data()->qpos[qpos_adr] = value;
  env.data()->qvel[dof_adr] = 0.0;
  env.Forward();
}

}  // namespace sawyer
}  // namespace ctpg
