// handle-press-v3, handle-press-side-v3, handle-pull-v3 and
// handle-pull-side-v3 (SawyerHandlePressEnvV3, SawyerHandlePressSideEnvV3,
// SawyerHandlePullEnvV3, SawyerHandlePullSideEnvV3): one handle model, placed
// facing the arm (sawyer_handle_press.xml) or sideways
// (sawyer_handle_press_sideways.xml), pressed down or pulled up.
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id {
  kBoxBody,
  kPressGoalSite,
  kPullGoalSite,
  kHandleStartSite,
  kHandleRightSite,
  kHandleCenterSite,
};
constexpr Vec3 kHandInit = {0.0, 0.6, 0.2};
constexpr double kPressRadius = 0.02;   // the press tasks' TARGET_RADIUS
constexpr double kPullRadius = 0.05;    // SawyerXYZEnv.TARGET_RADIUS
constexpr double kHandleRadius = 0.02;  // press tasks' reach bound
// The settling hand can touch the handle, whose place the vector sets (always
// for handle-press, for some vectors sideways), so every handle task settles
// in full at each reset (settle_depends_on_vector).

constexpr std::array<NamedId, kMaxTaskIds> kHandleIds = {{{mjOBJ_BODY, "box"},
                                                          {mjOBJ_SITE, "goalPress"},
                                                          {mjOBJ_SITE, "goalPull"},
                                                          {mjOBJ_SITE, "handleStart"},
                                                          {mjOBJ_SITE, "handleRight"},
                                                          {mjOBJ_SITE, "handleCenter"}}};

void EditModel(SawyerEnv& env, const double* vec) { env.SetBodyPos(env.id(kBoxBody), vec); }

// The handle tasks' _set_obj_xyz: qpos[9] = pos, qvel[9] = 0, set_state.
void SetHandle(SawyerEnv& env, double pos) {
  env.data()->qpos[9] = pos;
  env.data()->qvel[9] = 0.0;
  env.Forward();
}

void CopySite(const SawyerEnv& env, int id, Vec3& out) {
  const double* p = env.site_xpos(env.id(id));
  out = {p[0], p[1], p[2]};
}

// Press tasks: handle down to -0.001, target goalPress, aux = handle start.
void PressReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  SetHandle(env, -0.001);
  CopySite(env, kPressGoalSite, s.target_pos);
  CopySite(env, kHandleStartSite, s.aux);
}

// handle-pull-v3: obj_init_pos stays the random vector.
void PullReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  SetHandle(env, -0.1);
  CopySite(env, kPullGoalSite, s.target_pos);
}

// handle-pull-side-v3: obj_init_pos becomes the handle center after the edit.
void PullSideReset(SawyerEnv& env, const double* /*vec*/) {
  TaskState& s = env.state();
  SetHandle(env, -0.1);
  CopySite(env, kPullGoalSite, s.target_pos);
  CopySite(env, kHandleCenterSite, s.obj_init_pos);
}

void SiteObject(const SawyerEnv& env, int id, double* out) {
  const double* p = env.site_xpos(env.id(id));
  for (int i = 0; i < 3; ++i) out[i] = p[i];
  for (int i = 0; i < 4; ++i) out[3 + i] = 0.0;
}

void StartObjects(const SawyerEnv& env, double* out) { SiteObject(env, kHandleStartSite, out); }
void RightObjects(const SawyerEnv& env, double* out) { SiteObject(env, kHandleRightSite, out); }
void CenterObjects(const SawyerEnv& env, double* out) { SiteObject(env, kHandleCenterSite, out); }

// The press tasks' v2 reward (identical in both classes).
RewardResult PressReward(SawyerEnv& env, const double* /*obs*/, const float* /*action*/) {
  const TaskState& s = env.state();
  const double* obj = env.site_xpos(env.id(kHandleStartSite));
  double tcp[3];
  env.TcpCenter(tcp);
  const double dz = obj[2] - s.target_pos[2];
  const double target_to_obj = std::sqrt(dz * dz);
  const double dz_init = s.aux[2] - s.target_pos[2];
  const double target_to_obj_init = std::sqrt(dz_init * dz_init);
  const double in_place_margin = std::abs(target_to_obj_init - kPressRadius);
  const double in_place =
      Tolerance(target_to_obj, 0.0, kPressRadius, in_place_margin, Sigmoid::kLongTail);
  const double tcp_to_obj = Dist3(obj, tcp);
  const double tcp_to_obj_init = Dist3(s.aux.data(), s.init_tcp.data());
  const double reach = Tolerance(tcp_to_obj, 0.0, kHandleRadius,
                                 std::abs(tcp_to_obj_init - kHandleRadius), Sigmoid::kLongTail);
  const bool success = target_to_obj <= kPressRadius;
  const double reward = success ? 1.0 : HamacherProduct(reach, in_place);
  return MakeResult(reward * 10.0, success, tcp_to_obj <= 0.05, 1.0, reach, in_place,
                    target_to_obj);
}

// The pull tasks' v2 reward from the target distance and its initial value;
// `pad_thresh` / `obj_radius` are the caging parameters, `lift_axis` the obj
// coordinate compared with obj_init_pos[2] for the bonus (MetaWorld's
// handle-pull compares y, handle-pull-side z), `success_radius` the info's.
RewardResult PullReward(SawyerEnv& env, const double* obs, const float* action,
                        double target_to_obj, double target_to_obj_init, const CagingParams& caging,
                        int lift_axis, double success_radius) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double in_place =
      Tolerance(target_to_obj, 0.0, kPullRadius, target_to_obj_init, Sigmoid::kLongTail);
  const PyNum grasped = env.GripperCagingReward(action, obj, caging);
  PyNum reward = HamacherProduct(grasped, PyNum{in_place, false});
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_obj = Dist3(obj, tcp);
  if (tcp_to_obj < 0.035 && tcp_opened > 0 && obj[lift_axis] - 0.01 > s.obj_init_pos[2]) {
    reward = AddPyFloat(reward, 1.0 + 5.0 * in_place);
  }
  if (target_to_obj < kPullRadius) reward = PyNum{10.0, false};
  const bool grasp_success = tcp_opened > 0 && obj[2] - 0.03 > s.obj_init_pos[2];
  return MakeResult(reward.value, target_to_obj <= success_radius, tcp_to_obj <= 0.05,
                    grasp_success, grasped.value, in_place, target_to_obj);
}

RewardResult HandlePullReward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double target_to_obj = std::abs(s.target_pos[2] - obs[6]);
  const double target_to_obj_init = std::abs(s.target_pos[2] - s.obj_init_pos[2]);
  constexpr CagingParams kCaging = {.obj_radius = 0.022,
                                    .pad_success_thresh = 0.05,
                                    .object_reach_radius = 0.01,
                                    .xz_thresh = 0.01,
                                    .high_density = true};
  return PullReward(env, obs, action, target_to_obj, target_to_obj_init, kCaging, 1, kPullRadius);
}

RewardResult HandlePullSideReward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  // MetaWorld scales the error by (1, 1, 1), which changes nothing.
  const double target_to_obj = Dist3(obs + 4, s.target_pos.data());
  const double target_to_obj_init = Dist3(s.obj_init_pos.data(), s.target_pos.data());
  constexpr CagingParams kCaging = {.obj_radius = 0.032,
                                    .pad_success_thresh = 0.06,
                                    .object_reach_radius = 0.01,
                                    .xz_thresh = 0.01,
                                    .high_density = true};
  return PullReward(env, obs, action, target_to_obj, target_to_obj_init, kCaging, 2, 0.08);
}

}  // namespace

const TaskSpec& HandlePressTask() {
  static const TaskSpec spec = {
      .name = "handle-press-v3",
      .xml = "sawyer_handle_press.xml",
      .hand_init = kHandInit,
      .vec_dim = 3,
      .vec_low = {-0.1, 0.8, -0.001},
      .vec_high = {0.1, 0.9, 0.001},
      .goal_low = {-0.1, 0.55, 0.04},
      .goal_high = {0.1, 0.70, 0.08},
      .ids = kHandleIds,
      .settle_depends_on_vector = true,
      .edit_model = EditModel,
      .reset = PressReset,
      .objects = StartObjects,
      .reward = PressReward,
  };
  return spec;
}

const TaskSpec& HandlePressSideTask() {
  static const TaskSpec spec = {
      .name = "handle-press-side-v3",
      .xml = "sawyer_handle_press_sideways.xml",
      .hand_init = kHandInit,
      .vec_dim = 3,
      .vec_low = {-0.35, 0.65, -0.001},
      .vec_high = {-0.25, 0.75, 0.001},
      .goal_low = kHandLow,
      .goal_high = kHandHigh,
      .ids = kHandleIds,
      .settle_depends_on_vector = true,
      .edit_model = EditModel,
      .reset = PressReset,
      .objects = StartObjects,
      .reward = PressReward,
  };
  return spec;
}

const TaskSpec& HandlePullTask() {
  static const TaskSpec spec = {
      .name = "handle-pull-v3",
      .xml = "sawyer_handle_press.xml",
      .hand_init = kHandInit,
      .vec_dim = 3,
      .vec_low = {-0.1, 0.8, -0.001},
      .vec_high = {0.1, 0.9, 0.001},
      .goal_low = {-0.1, 0.55, 0.04},
      .goal_high = {0.1, 0.70, 0.18},
      .ids = kHandleIds,
      .settle_depends_on_vector = true,
      .edit_model = EditModel,
      .reset = PullReset,
      .objects = RightObjects,
      .reward = HandlePullReward,
  };
  return spec;
}

const TaskSpec& HandlePullSideTask() {
  static const TaskSpec spec = {
      .name = "handle-pull-side-v3",
      .xml = "sawyer_handle_press_sideways.xml",
      .hand_init = kHandInit,
      .vec_dim = 3,
      .vec_low = {-0.35, 0.65, 0.0},
      .vec_high = {-0.25, 0.75, 0.0},
      .goal_low = kHandLow,
      .goal_high = kHandHigh,
      .ids = kHandleIds,
      .settle_depends_on_vector = true,
      .edit_model = EditModel,
      .reset = PullSideReset,
      .objects = CenterObjects,
      .reward = HandlePullSideReward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
