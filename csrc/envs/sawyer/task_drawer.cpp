// drawer-open-v3 and drawer-close-v3 (SawyerDrawerOpenEnvV3 /
// SawyerDrawerCloseEnvV3): one drawer model, opposite goals.
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kDrawerBody, kGoalSite, kDrawerLink };
constexpr double kOpenMaxDist = 0.2;
constexpr double kCloseMaxDist = 0.15;
constexpr double kTargetRadius = 0.05;
// The Python source keeps hand_init_pos in float32.
constexpr Vec3 kHandInit = {0.0, static_cast<double>(0.6f), static_cast<double>(0.2f)};

void OpenTarget(const double* vec, double* out) {
  const double offset[3] = {0.0, -0.16 - kOpenMaxDist, 0.09};
  for (int i = 0; i < 3; ++i) out[i] = vec[i] + offset[i];
}

void CloseTarget(const double* vec, double* out) {
  const double offset[3] = {0.0, -0.16, 0.09};
  for (int i = 0; i < 3; ++i) out[i] = vec[i] + offset[i];
}

void OpenEditModel(SawyerEnv& env, const double* vec) {
  env.SetBodyPos(env.id(kDrawerBody), vec);
  double target[3];
  OpenTarget(vec, target);
  env.SetSitePos(env.id(kGoalSite), target);
}

void CloseEditModel(SawyerEnv& env, const double* vec) {
  env.SetBodyPos(env.id(kDrawerBody), vec);
  double target[3];
  CloseTarget(vec, target);
  env.SetSitePos(env.id(kGoalSite), target);
}

void OpenReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  OpenTarget(vec, s.target_pos.data());
}

void CloseObjectPos(const SawyerEnv& env, double* out) {
  const double* link = env.body_xpos(env.id(kDrawerLink));
  out[0] = link[0] + 0.0;
  out[1] = link[1] + -0.16;
  out[2] = link[2] + 0.05;
}

void CloseReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  CloseTarget(vec, s.target_pos.data());
  env.data()->qpos[9] = -kCloseMaxDist;
  env.Forward();
  CloseObjectPos(env, s.obj_init_pos.data());
}

void OpenObjects(const SawyerEnv& env, double* out) {
  const int link = env.id(kDrawerLink);
  const double* pos = env.body_xpos(link);
  out[0] = pos[0] + 0.0;
  out[1] = pos[1] + -0.16;
  out[2] = pos[2] + 0.0;
  for (int i = 0; i < 4; ++i) out[3 + i] = env.data()->xquat[4 * link + i];
}

void CloseObjects(const SawyerEnv& env, double* out) {
  CloseObjectPos(env, out);
  for (int i = 0; i < 4; ++i) out[3 + i] = 0.0;
}

RewardResult OpenReward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const TaskState& s = env.state();
  const double* gripper = obs;
  const double* handle = obs + 4;
  const double handle_error = Dist3(handle, s.target_pos.data());
  const double opening = Tolerance(handle_error, 0.0, 0.02, kOpenMaxDist, Sigmoid::kLongTail);
  const double handle_init[3] = {s.target_pos[0] + 0.0, s.target_pos[1] + kOpenMaxDist,
                                 s.target_pos[2] + 0.0};
  const double scale[3] = {3.0, 3.0, 1.0};
  double error[3], error_init[3];
  for (int i = 0; i < 3; ++i) {
    error[i] = (handle[i] - gripper[i]) * scale[i];
    error_init[i] = (handle_init[i] - s.init_tcp[i]) * scale[i];
  }
  const double caging = Tolerance(Norm3(error), 0.0, 0.01, Norm3(error_init), Sigmoid::kLongTail);
  const double gripper_error = Dist3(handle, gripper);
  return MakeResult((caging + opening) * 5.0, handle_error <= 0.03, gripper_error <= 0.03,
                    obs[3] > 0, caging, opening, handle_error);
}

RewardResult CloseReward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  double tcp[3];
  env.TcpCenter(tcp);
  const double target_to_obj = Dist3(obj, s.target_pos.data());
  const double target_to_obj_init = Dist3(s.obj_init_pos.data(), s.target_pos.data());
  const double in_place_margin = std::abs(target_to_obj_init - kTargetRadius);
  const double in_place =
      Tolerance(target_to_obj, 0.0, kTargetRadius, in_place_margin, Sigmoid::kLongTail);
  constexpr double kHandleReachRadius = 0.005;
  const double tcp_to_obj = Dist3(obj, tcp);
  const double tcp_to_obj_init = Dist3(s.obj_init_pos.data(), s.init_tcp.data());
  const double reach_margin = std::abs(tcp_to_obj_init - kHandleReachRadius);
  const double reach =
      Tolerance(tcp_to_obj, 0.0, kHandleReachRadius, reach_margin, Sigmoid::kGaussian);
  const PyNum gripped = HamacherProduct(PyNum{reach, false}, ClampedEffort(action[3]));
  PyNum reward = HamacherProduct(gripped, PyNum{in_place, false});
  const bool success = target_to_obj <= kTargetRadius + 0.015;
  if (success) reward = PyNum{1.0, false};
  const double scaled = reward.f32 ? static_cast<double>(static_cast<float>(reward.value) * 10.0f)
                                   : reward.value * 10.0;
  return MakeResult(scaled, success, tcp_to_obj <= 0.01, 1.0, gripped.value, in_place,
                    target_to_obj);
}

constexpr std::array<NamedId, kMaxTaskIds> kDrawerIds = {
    {{mjOBJ_BODY, "drawer"}, {mjOBJ_SITE, "goal"}, {mjOBJ_BODY, "drawer_link"}}};

}  // namespace

const TaskSpec& DrawerOpenTask() {
  static const TaskSpec spec = {
      .name = "drawer-open-v3",
      .xml = "sawyer_drawer.xml",
      .hand_init = kHandInit,
      .vec_dim = 3,
      .vec_low = {-0.1, 0.9, 0.0},
      .vec_high = {0.1, 0.9, 0.0},
      .goal_low = kHandLow,
      .goal_high = kHandHigh,
      .ids = kDrawerIds,
      .edit_model = OpenEditModel,
      .reset = OpenReset,
      .objects = OpenObjects,
      .reward = OpenReward,
  };
  return spec;
}

const TaskSpec& DrawerCloseTask() {
  static const TaskSpec spec = {
      .name = "drawer-close-v3",
      .xml = "sawyer_drawer.xml",
      .hand_init = kHandInit,
      .vec_dim = 3,
      .vec_low = {-0.1, 0.9, 0.0},
      .vec_high = {0.1, 0.9, 0.0},
      .goal_low = kHandLow,
      .goal_high = kHandHigh,
      .ids = kDrawerIds,
      .edit_model = CloseEditModel,
      .reset = CloseReset,
      .objects = CloseObjects,
      .reward = CloseReward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
