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

// The model edits of tasks whose random vector places one body: the body at
// vec[0:3], the goal site at vec[0:3] + offset.
inline void PlaceBodyAndGoal(SawyerEnv& env, int body, int goal_site, const double* vec,
                             const double* offset) {
  env.SetBodyPos(body, vec);
  const double goal[3] = {vec[0] + offset[0], vec[1] + offset[1], vec[2] + offset[2]};
  env.SetSitePos(goal_site, goal);
}

// A one-joint _set_obj_xyz (door, lock): qpos[qpos_adr] = value,
// qvel[dof_adr] = 0, then set_state's mj_forward.
inline void SetJointAndForward(SawyerEnv& env, int qpos_adr, int dof_adr, double value) {
  env.data()->qpos[qpos_adr] = value;
  env.data()->qvel[dof_adr] = 0.0;
  env.Forward();
}

// Parameters of the pad-gripping _gripper_caging_reward that soccer, sweep,
// sweep-into and push-back define for themselves.
struct PadGrippingParams {
  double obj_radius;
  double grip_extra;  // grip_success_margin = obj_radius + grip_extra
  double xz_margin;   // x_z_success_margin
};

// That reward: y caging of both live pads (init_*_pad alias the current pad
// positions), xz caging of the tcp, gripping = the pads' tighter y tolerance
// when caging > 0.95, and (caging + gripping) / 2; all in float64.
inline double PadGrippingCagingReward(const SawyerEnv& env, const double* obj,
                                      const PadGrippingParams& p) {
  constexpr double kPadMargin = 0.05;
  const double grip_margin = p.obj_radius + p.grip_extra;
  const double right_y = env.right_pad()[1];
  const double left_y = env.left_pad()[1];
  const double right_delta = obj[1] - right_y;
  const double left_delta = left_y - obj[1];
  const double right_margin = std::abs(std::abs(obj[1] - right_y) - kPadMargin);
  const double left_margin = std::abs(std::abs(obj[1] - left_y) - kPadMargin);
  auto tol = [](double x, double lower, double upper, double margin) {
    return Tolerance(x, lower, upper, margin, Sigmoid::kLongTail);
  };
  const double r = p.obj_radius;
  const double y_caging = HamacherProduct(tol(right_delta, r, kPadMargin, right_margin),
                                          tol(left_delta, r, kPadMargin, left_margin));
  const double y_gripping = HamacherProduct(tol(right_delta, r, grip_margin, right_margin),
                                            tol(left_delta, r, grip_margin, left_margin));
  double tcp[3];
  env.TcpCenter(tcp);
  const double* init_obj = env.state().obj_init_pos.data();
  const double* init_tcp = env.state().init_tcp.data();
  const double xz_margin =
      Norm2(init_obj[0] - init_tcp[0], init_obj[2] - init_tcp[2]) - p.xz_margin;
  const double x_z_caging =
      tol(Norm2(tcp[0] - obj[0], tcp[2] - obj[2]), 0.0, p.xz_margin, xz_margin);
  const double caging = HamacherProduct(y_caging, x_z_caging);
  const double gripping = caging > 0.95 ? y_gripping : 0.0;
  return (caging + gripping) / 2.0;
}

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
