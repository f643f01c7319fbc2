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

// Position (xpos) and MuJoCo quaternion (xquat, w x y z) of `body`, as
// get_body_com(name) and data.body(name).xquat.
inline void BodyPosXquat(const SawyerEnv& env, int body, double* out) {
  const double* pos = env.body_xpos(body);
  const double* quat = env.data()->xquat + 4 * body;
  for (int i = 0; i < 3; ++i) out[i] = pos[i];
  for (int i = 0; i < 4; ++i) out[3 + i] = quat[i];
}

// numpy's norm((a - b) * scale) for 3-vectors (axis-weighted distances).
inline double ScaledDist3(const double* a, const double* b, const double* scale) {
  const double d[3] = {(a[0] - b[0]) * scale[0], (a[1] - b[1]) * scale[1],
                       (a[2] - b[2]) * scale[2]};
  return Norm3(d);
}

}  // namespace sawyer
}  // namespace ctpg
