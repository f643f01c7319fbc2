// window-open-v3 and window-close-v3 (SawyerWindowOpenEnvV3 /
// SawyerWindowCloseEnvV3): slide a window by its handle.
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kWindowBody, kGoalSite, kHandleSite, kSlideJoint };
constexpr double kTargetRadius = 0.05;
constexpr double kHandleRadius = 0.02;
constexpr double kSlide = 0.2;
// The Python source keeps hand_init_pos in float32.
constexpr Vec3 kHandInit = {0.0, static_cast<double>(0.4f), static_cast<double>(0.2f)};

void OpenTarget(const double* vec, double* out) {
  for (int i = 0; i < 3; ++i) out[i] = vec[i] + (i == 0 ? kSlide : 0.0);
}

void OpenEditModel(SawyerEnv& env, const double* vec) {
  env.SetBodyPos(env.id(kWindowBody), vec);
  double target[3];
  OpenTarget(vec, target);
  env.SetSitePos(env.id(kGoalSite), target);
}

void CloseEditModel(SawyerEnv& env, const double* vec) {
  env.SetBodyPos(env.id(kWindowBody), vec);
  env.SetSitePos(env.id(kGoalSite), vec);
}

void SetSlide(SawyerEnv& env, double qpos) {
  env.data()->qpos[env.model()->jnt_qposadr[env.id(kSlideJoint)]] = qpos;
}

// The handle position is read before any forward after the model edit.
void OpenReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  OpenTarget(vec, s.target_pos.data());
  const double* handle = env.site_xpos(env.id(kHandleSite));
  s.aux = {handle[0], handle[1], handle[2]};
  SetSlide(env, 0.0);
}

void CloseReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  s.target_pos = s.obj_init_pos;
  const double* handle = env.site_xpos(env.id(kHandleSite));
  s.aux = {handle[0] + kSlide, handle[1] + 0.0, handle[2] + 0.0};
  SetSlide(env, kSlide);
}

void Objects(const SawyerEnv& env, double* out) {
  const double* handle = env.site_xpos(env.id(kHandleSite));
  for (int i = 0; i < 3; ++i) out[i] = handle[i];
  for (int i = 0; i < 4; ++i) out[3 + i] = 0.0;
}

// Shared v2 reward; `init_x` is the x the in-place margin starts from.
RewardResult WindowReward(SawyerEnv& env, double init_x, Sigmoid reach_sigmoid) {
  const TaskState& s = env.state();
  const double* obj = env.site_xpos(env.id(kHandleSite));
  double tcp[3];
  env.TcpCenter(tcp);
  const double dx = obj[0] - s.target_pos[0];
  const double target_to_obj = std::sqrt(dx * dx);
  const double dx_init = init_x - s.target_pos[0];
  const double target_to_obj_init = std::sqrt(dx_init * dx_init);
  const double in_place_margin = std::abs(target_to_obj_init - kTargetRadius);
  const double in_place =
      Tolerance(target_to_obj, 0.0, kTargetRadius, in_place_margin, Sigmoid::kLongTail);
  const double tcp_to_obj = Dist3(obj, tcp);
  const double tcp_to_obj_init = Dist3(s.aux.data(), s.init_tcp.data());
  const double reach = Tolerance(tcp_to_obj, 0.0, kHandleRadius,
                                 std::abs(tcp_to_obj_init - kHandleRadius), reach_sigmoid);
  return MakeResult(10.0 * HamacherProduct(reach, in_place), target_to_obj <= kTargetRadius,
                    tcp_to_obj <= 0.05, 1.0, reach, in_place, target_to_obj);
}

RewardResult OpenReward(SawyerEnv& env, const double* /*obs*/, const float* /*action*/) {
  return WindowReward(env, env.state().obj_init_pos[0], Sigmoid::kLongTail);
}

RewardResult CloseReward(SawyerEnv& env, const double* /*obs*/, const float* /*action*/) {
  return WindowReward(env, env.state().aux[0], Sigmoid::kGaussian);
}

}  // namespace

const TaskSpec& WindowOpenTask() {
  static const TaskSpec spec = {
      .name = "window-open-v3",
      .xml = "sawyer_window_horizontal.xml",
      .hand_init = kHandInit,
      .vec_dim = 3,
      .vec_low = {-0.1, 0.7, 0.16},
      .vec_high = {0.1, 0.9, 0.16},
      .goal_low = kHandLow,
      .goal_high = kHandHigh,
      .ids = {{{mjOBJ_BODY, "window"},
               {mjOBJ_SITE, "goal"},
               {mjOBJ_SITE, "handleOpenStart"},
               {mjOBJ_JOINT, "window_slide"}}},
      .edit_model = OpenEditModel,
      .reset = OpenReset,
      .objects = Objects,
      .reward = OpenReward,
  };
  return spec;
}

const TaskSpec& WindowCloseTask() {
  static const TaskSpec spec = {
      .name = "window-close-v3",
      .xml = "sawyer_window_horizontal.xml",
      .hand_init = kHandInit,
      .vec_dim = 3,
      .vec_low = {0.0, 0.75, 0.2},
      .vec_high = {0.0, 0.9, 0.2},
      .goal_low = kHandLow,
      .goal_high = kHandHigh,
      .ids = {{{mjOBJ_BODY, "window"},
               {mjOBJ_SITE, "goal"},
               {mjOBJ_SITE, "handleCloseStart"},
               {mjOBJ_JOINT, "window_slide"}}},
      .edit_model = CloseEditModel,
      .reset = CloseReset,
      .objects = Objects,
      .reward = CloseReward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
