// button-press-topdown-v3 and button-press-topdown-wall-v3
// (SawyerButtonPressTopdownEnvV3 / SawyerButtonPressTopdownWallEnvV3): press a
// button down from above, the second behind a wall. They differ in the model
// and in the gripper term of the reward (1 - obs[3] / max(obs[3], 0)).
#include <algorithm>
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kBoxBody, kHoleSite, kButtonStartSite, kButtonBody };

void EditModel(SawyerEnv& env, const double* vec) { env.SetBodyPos(env.id(kBoxBody), vec); }

// mj_forward after the box edit, then the target at the hole and the initial
// button-to-target distance along z.
void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  env.Forward();
  const double* hole = env.site_xpos(env.id(kHoleSite));
  s.target_pos = {hole[0], hole[1], hole[2]};
  s.scalar = std::abs(s.target_pos[2] - env.site_xpos(env.id(kButtonStartSite))[2]);
}

void Objects(const SawyerEnv& env, double* out) {
  const int button = env.id(kButtonBody);
  const double* pos = env.body_xpos(button);
  out[0] = pos[0] + 0.0;
  out[1] = pos[1] + 0.0;
  out[2] = pos[2] + 0.193;
  for (int i = 0; i < 4; ++i) out[3 + i] = env.data()->xquat[4 * button + i];
}

RewardResult PressReward(const SawyerEnv& env, const double* obs, double tcp_closed) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_obj = Dist3(obj, tcp);
  const double tcp_to_obj_init = Dist3(obj, s.init_tcp.data());
  const double obj_to_target = std::abs(s.target_pos[2] - obj[2]);
  const double near_button = Tolerance(tcp_to_obj, 0.0, 0.01, tcp_to_obj_init, Sigmoid::kLongTail);
  const double pressed = Tolerance(obj_to_target, 0.0, 0.005, s.scalar, Sigmoid::kLongTail);
  double reward = 5.0 * HamacherProduct(tcp_closed, near_button);
  if (tcp_to_obj <= 0.03) reward += 5.0 * pressed;
  return MakeResult(reward, obj_to_target <= 0.024, tcp_to_obj <= 0.05, obs[3] > 0, near_button,
                    pressed, obj_to_target);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  return PressReward(env, obs, 1.0 - obs[3]);
}

RewardResult WallReward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  return PressReward(env, obs, std::max(obs[3], 0.0));
}

constexpr std::array<NamedId, kMaxTaskIds> kIds = {{{mjOBJ_BODY, "box"},
                                                    {mjOBJ_SITE, "hole"},
                                                    {mjOBJ_SITE, "buttonStart"},
                                                    {mjOBJ_BODY, "button"}}};

}  // namespace

const TaskSpec& ButtonPressTopdownTask() {
  static const TaskSpec spec = {
      .name = "button-press-topdown-v3",
      .xml = "sawyer_button_press_topdown.xml",
      .hand_init = {0.0, static_cast<double>(0.4f), static_cast<double>(0.2f)},
      .vec_dim = 3,
      .vec_low = {-0.1, 0.8, 0.115},
      .vec_high = {0.1, 0.9, 0.115},
      .goal_low = kHandLow,
      .goal_high = kHandHigh,
      .ids = kIds,
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

const TaskSpec& ButtonPressTopdownWallTask() {
  static const TaskSpec spec = {
      .name = "button-press-topdown-wall-v3",
      .xml = "sawyer_button_press_topdown_wall.xml",
      .hand_init = {0.0, static_cast<double>(0.4f), static_cast<double>(0.2f)},
      .vec_dim = 3,
      .vec_low = {-0.1, 0.8, 0.115},
      .vec_high = {0.1, 0.9, 0.115},
      .goal_low = kHandLow,
      .goal_high = kHandHigh,
      .ids = kIds,
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = WallReward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
