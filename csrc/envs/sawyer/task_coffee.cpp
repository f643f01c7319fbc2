// coffee-button-v3, coffee-pull-v3 and coffee-push-v3
// (SawyerCoffeeButtonEnvV3 / SawyerCoffeePullEnvV3 / SawyerCoffeePushEnvV3):
// one coffee machine model with a mug; press the machine's button, pull the
// mug away from the machine, push it under the spout.
#include <algorithm>
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kMachineBody, kMugGoalSite, kButtonStartSite, kObjBody, kMugGeom };
constexpr double kButtonMaxDist = 0.03;  // SawyerCoffeeButtonEnvV3.max_dist
constexpr Vec3 kHandInit = {0.0, 0.4, 0.2};
// The button task's goal space: obj_low / obj_high + an offset.
constexpr Vec3 kButtonVecLow = {-0.1, 0.8, -0.001};
constexpr Vec3 kButtonVecHigh = {0.1, 0.9, 0.001};
constexpr Vec3 kButtonGoalLow = {kButtonVecLow[0] + -0.001,
                                 kButtonVecLow[1] + (-0.22 + kButtonMaxDist),
                                 kButtonVecLow[2] + 0.299};
constexpr Vec3 kButtonGoalHigh = {kButtonVecHigh[0] + 0.001,
                                  kButtonVecHigh[1] + (-0.22 + kButtonMaxDist),
                                  kButtonVecHigh[2] + 0.301};

// The coffee tasks' _set_obj_xyz: the mug's free joint is qpos[0:7]; it sets
// qpos[0:3] and zeroes qvel[9:15] (arm joints, not the mug), then mj_forward.
void SetMugXyz(SawyerEnv& env, const double* pos) {
  mjData* d = env.data();
  for (int i = 0; i < 3; ++i) d->qpos[i] = pos[i];
  for (int i = 9; i < 15; ++i) d->qvel[i] = 0.0;
  env.Forward();
}

// vec + (x, y, z), element by element as numpy adds.
Vec3 Offset(const double* vec, double x, double y, double z) {
  return {vec[0] + x, vec[1] + y, vec[2] + z};
}

void ButtonEditModel(SawyerEnv& env, const double* vec) {
  env.SetBodyPos(env.id(kMachineBody), vec);
}

void ButtonReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  const Vec3 mug = Offset(vec, 0.0, -0.22, 0.0);
  SetMugXyz(env, mug.data());
  const Vec3 button = Offset(vec, 0.0, -0.22, 0.3);
  s.target_pos = Offset(button.data(), 0.0, kButtonMaxDist, 0.0);
}

void ButtonObjects(const SawyerEnv& env, double* out) {
  const double* pos = env.site_xpos(env.id(kButtonStartSite));
  for (int i = 0; i < 3; ++i) out[i] = pos[i];
  out[3] = 1.0;
  out[4] = out[5] = out[6] = 0.0;
}

RewardResult ButtonReward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_obj = Dist3(obj, tcp);
  const double tcp_to_obj_init = Dist3(obj, s.init_tcp.data());
  const double obj_to_target = std::abs(s.target_pos[1] - obj[1]);
  const double tcp_closed = std::max(obs[3], 0.0);
  const double near_button = Tolerance(tcp_to_obj, 0.0, 0.05, tcp_to_obj_init, Sigmoid::kLongTail);
  const double pressed = Tolerance(obj_to_target, 0.0, 0.005, kButtonMaxDist, Sigmoid::kLongTail);
  double reward = 2.0 * HamacherProduct(tcp_closed, near_button);
  if (tcp_to_obj <= 0.05) reward += 8.0 * pressed;
  return MakeResult(reward, obj_to_target <= 0.02, tcp_to_obj <= 0.05, obs[3] > 0, near_button,
                    pressed, obj_to_target);
}

// Pull: the machine stands 0.22 behind the mug's start; push: behind its goal.
void PullEditModel(SawyerEnv& env, const double* vec) {
  const Vec3 machine = Offset(vec, 0.0, 0.22, 0.0);
  env.SetBodyPos(env.id(kMachineBody), machine.data());
  env.SetSitePos(env.id(kMugGoalSite), vec + 3);
}

void PushEditModel(SawyerEnv& env, const double* vec) {
  const Vec3 machine = Offset(vec + 3, 0.0, 0.22, 0.0);
  env.SetBodyPos(env.id(kMachineBody), machine.data());
  env.SetSitePos(env.id(kMugGoalSite), vec + 3);
}

void MugReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  SetMugXyz(env, vec);
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  s.target_pos = {vec[3], vec[4], vec[5]};
}

void MugObjects(const SawyerEnv& env, double* out) {
  PoseWithMatrixQuat(env.body_xpos(env.id(kObjBody)), env.data()->geom_xmat + 9 * env.id(kMugGeom),
                     out);
}

// |(a - b) * (2, 2, 1)|: x and y errors count double.
double ScaledDist(const double* a, const double* b) {
  const double d[3] = {(a[0] - b[0]) * 2.0, (a[1] - b[1]) * 2.0, (a[2] - b[2]) * 1.0};
  return Norm3(d);
}

// The shared reward of SawyerCoffeePullEnvV3 and SawyerCoffeePushEnvV3.
RewardResult MugReward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double* target = s.target_pos.data();
  const double target_to_obj = ScaledDist(obj, target);
  const double target_to_obj_init = ScaledDist(s.obj_init_pos.data(), target);
  const double in_place =
      Tolerance(target_to_obj, 0.0, 0.05, target_to_obj_init, Sigmoid::kLongTail);
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_obj = Dist3(obj, tcp);
  CagingParams caging = {.obj_radius = 0.02,
                         .pad_success_thresh = 0.05,
                         .object_reach_radius = 0.04,
                         .xz_thresh = 0.05,
                         .high_density = false,
                         .desired_gripper_effort = 0.7,
                         .medium_density = true};
  const PyNum grasped = env.GripperCagingReward(action, obj, caging);
  PyNum reward = HamacherProduct(grasped, PyNum{in_place, false});
  if (tcp_to_obj < 0.04 && tcp_opened > 0) reward = AddPyFloat(reward, 1.0 + 5.0 * in_place);
  if (target_to_obj < 0.05) reward = PyNum{10.0, false};
  const double obj_to_target = Dist3(obj, target);
  const bool grasp_success = env.TouchingObject(env.id(kMugGeom)) && tcp_opened > 0;
  return MakeResult(reward.value, obj_to_target <= 0.07, tcp_to_obj <= 0.03, grasp_success,
                    grasped.value, in_place, obj_to_target);
}

constexpr std::array<NamedId, kMaxTaskIds> kCoffeeIds = {{{mjOBJ_BODY, "coffee_machine"},
                                                          {mjOBJ_SITE, "mug_goal"},
                                                          {mjOBJ_SITE, "buttonStart"},
                                                          {mjOBJ_BODY, "obj"},
                                                          {mjOBJ_GEOM, "mug"}}};

}  // namespace

const TaskSpec& CoffeeButtonTask() {
  static const TaskSpec spec = {
      .name = "coffee-button-v3",
      .xml = "sawyer_coffee.xml",
      .hand_init = kHandInit,
      .vec_dim = 3,
      .vec_low = {kButtonVecLow[0], kButtonVecLow[1], kButtonVecLow[2]},
      .vec_high = {kButtonVecHigh[0], kButtonVecHigh[1], kButtonVecHigh[2]},
      .goal_low = kButtonGoalLow,
      .goal_high = kButtonGoalHigh,
      .ids = kCoffeeIds,
      .edit_model = ButtonEditModel,
      .reset = ButtonReset,
      .objects = ButtonObjects,
      .reward = ButtonReward,
  };
  return spec;
}

const TaskSpec& CoffeePullTask() {
  static const TaskSpec spec = {
      .name = "coffee-pull-v3",
      .xml = "sawyer_coffee.xml",
      .hand_init = kHandInit,
      .vec_dim = 6,
      .vec_low = {-0.05, 0.7, -0.001, -0.1, 0.55, -0.001},
      .vec_high = {0.05, 0.75, 0.001, 0.1, 0.65, 0.001},
      .goal_low = {-0.1, 0.55, -0.001},
      .goal_high = {0.1, 0.65, 0.001},
      .ids = kCoffeeIds,
      .min_planar_gap = 0.15,
      .edit_model = PullEditModel,
      .reset = MugReset,
      .objects = MugObjects,
      .reward = MugReward,
  };
  return spec;
}

const TaskSpec& CoffeePushTask() {
  static const TaskSpec spec = {
      .name = "coffee-push-v3",
      .xml = "sawyer_coffee.xml",
      .hand_init = kHandInit,
      .vec_dim = 6,
      .vec_low = {-0.1, 0.55, -0.001, -0.05, 0.7, -0.001},
      .vec_high = {0.1, 0.65, 0.001, 0.05, 0.75, 0.001},
      .goal_low = {-0.05, 0.7, -0.001},
      .goal_high = {0.05, 0.75, 0.001},
      .ids = kCoffeeIds,
      .min_planar_gap = 0.15,
      .edit_model = PushEditModel,
      .reset = MugReset,
      .objects = MugObjects,
      .reward = MugReward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
