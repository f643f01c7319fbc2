// lever-pull-v3 (SawyerLeverPullEnvV3): raise a lever until it points
// straight up, lifting it from below with the arm's shoulder.
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kLeverBody, kGoalSite, kLeverStartSite, kLeverGeom, kLeverJoint };
constexpr double kLeverRadius = 0.2;
constexpr double kPi = 3.141592653589793;

// _lever_pos_init and _target_pos from the random vector.
void LeverInit(const double* vec, double* out) {
  const double offset[3] = {0.12, -kLeverRadius, 0.25};
  for (int i = 0; i < 3; ++i) out[i] = vec[i] + offset[i];
}

void Target(const double* vec, double* out) {
  const double offset[3] = {0.12, 0.0, 0.25 + kLeverRadius};
  for (int i = 0; i < 3; ++i) out[i] = vec[i] + offset[i];
}

void EditModel(SawyerEnv& env, const double* vec) {
  env.SetBodyPos(env.id(kLeverBody), vec);
  double target[3];
  Target(vec, target);
  env.SetSitePos(env.id(kGoalSite), target);
}

// MetaWorld edits only the model here (no forward): the observation reads the
// kinematics of the last settling substep.
void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  LeverInit(vec, s.aux.data());
  Target(vec, s.target_pos.data());
}

void Objects(const SawyerEnv& env, double* out) {
  const int geom = env.id(kLeverGeom);
  PoseWithMatrixQuat(env.site_xpos(env.id(kLeverStartSite)), env.data()->geom_xmat + 9 * geom, out);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const TaskState& s = env.state();
  const double* gripper = obs;
  const double* lever = obs + 4;
  // Shoulder below the lever: y de-emphasised, offset from the fingers.
  const double scale[3] = {4.0, 1.0, 4.0};
  const double offset[3] = {0.0, 0.055, 0.07};
  double shoulder_to_lever[3], shoulder_to_lever_init[3];
  for (int i = 0; i < 3; ++i) {
    shoulder_to_lever[i] = (gripper[i] + offset[i] - lever[i]) * scale[i];
    shoulder_to_lever_init[i] = (s.init_tcp[i] + offset[i] - s.aux[i]) * scale[i];
  }
  const double shoulder_dist = Norm3(shoulder_to_lever);
  const double ready_to_lift =
      Tolerance(shoulder_dist, 0.0, 0.02, Norm3(shoulder_to_lever_init), Sigmoid::kLongTail);
  const mjModel* m = env.model();
  const double lever_angle = -env.data()->qpos[m->jnt_qposadr[env.id(kLeverJoint)]];
  const double lever_error = std::abs(lever_angle - kPi / 2.0);
  const double engagement =
      Tolerance(lever_error, 0.0, kPi / 48.0, kPi / 2.0 - kPi / 12.0, Sigmoid::kLongTail);
  const double obj_to_target = Dist3(lever, s.target_pos.data());
  const double in_place_margin = Dist3(s.aux.data(), s.target_pos.data());
  const double in_place = Tolerance(obj_to_target, 0.0, 0.04, in_place_margin, Sigmoid::kLongTail);
  const double reward = 10.0 * HamacherProduct(ready_to_lift, in_place);
  return MakeResult(reward, lever_error <= kPi / 24.0, shoulder_dist < 0.03, ready_to_lift > 0.9,
                    ready_to_lift, engagement, shoulder_dist);
}

}  // namespace

const TaskSpec& LeverPullTask() {
  static const TaskSpec spec = {
      .name = "lever-pull-v3",
      .xml = "sawyer_lever_pull.xml",
      // The Python source keeps hand_init_pos in float32.
      .hand_init = {0.0, static_cast<double>(0.4f), static_cast<double>(0.2f)},
      .hand_low = {-0.5, 0.40, -0.15},
      .hand_high = {0.5, 1.0, 0.5},
      .vec_dim = 3,
      .vec_low = {-0.1, 0.7, 0.0},
      .vec_high = {0.1, 0.8, 0.0},
      .goal_low = {-0.5, 0.40, -0.15},
      .goal_high = {0.5, 1.0, 0.5},
      .ids = {{{mjOBJ_BODY, "lever"},
               {mjOBJ_SITE, "goal"},
               {mjOBJ_SITE, "leverStart"},
               {mjOBJ_GEOM, "objGeom"},
               {mjOBJ_JOINT, "LeverAxis"}}},
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
