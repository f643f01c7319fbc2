// button-press-v3 and button-press-wall-v3 (SawyerButtonPressEnvV3 /
// SawyerButtonPressWallEnvV3): push a button forward (+y) out of a box, the
// second behind a wall; same reset, different rewards.
#include <algorithm>
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kBoxBody, kHoleSite, kButtonStartSite, kButtonBody };
// The Python source keeps hand_init_pos in float32.
constexpr Vec3 kHandInit = {0.0, static_cast<double>(0.4f), static_cast<double>(0.2f)};

void EditModel(SawyerEnv& env, const double* vec) { env.SetBodyPos(env.id(kBoxBody), vec); }

// The button's _set_obj_xyz(0) (qpos[9] = 0, qvel[9] = 0, mj_forward), then
// the target at the hole and the initial button-to-target distance along y.
void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  mjData* d = env.data();
  d->qpos[9] = 0.0;
  d->qvel[9] = 0.0;
  env.Forward();
  const double* hole = env.site_xpos(env.id(kHoleSite));
  s.target_pos = {hole[0], hole[1], hole[2]};
  s.scalar = std::abs(s.target_pos[1] - env.site_xpos(env.id(kButtonStartSite))[1]);
}

void Objects(const SawyerEnv& env, double* out) {
  const int button = env.id(kButtonBody);
  const double* pos = env.body_xpos(button);
  out[0] = pos[0] + 0.0;
  out[1] = pos[1] + -0.193;
  out[2] = pos[2] + 0.0;
  for (int i = 0; i < 4; ++i) out[3 + i] = env.data()->xquat[4 * button + i];
}

// The distances both rewards use: tcp to button, tcp at reset to button and
// button to target along y.
struct Distances {
  double tcp_to_obj;
  double tcp_to_obj_init;
  double obj_to_target;
};

Distances Measure(const SawyerEnv& env, const double* obs) {
  const double* obj = obs + 4;
  double tcp[3];
  env.TcpCenter(tcp);
  return {Dist3(obj, tcp), Dist3(obj, env.state().init_tcp.data()),
          std::abs(env.state().target_pos[1] - obj[1])};
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const Distances m = Measure(env, obs);
  const double tcp_closed = std::max(obs[3], 0.0);
  const double near_button =
      Tolerance(m.tcp_to_obj, 0.0, 0.05, m.tcp_to_obj_init, Sigmoid::kLongTail);
  const double pressed =
      Tolerance(m.obj_to_target, 0.0, 0.005, env.state().scalar, Sigmoid::kLongTail);
  double reward = 2.0 * HamacherProduct(tcp_closed, near_button);
  if (m.tcp_to_obj <= 0.05) reward += 8.0 * pressed;
  return MakeResult(reward, m.obj_to_target <= 0.02, m.tcp_to_obj <= 0.05, obs[3] > 0, near_button,
                    pressed, m.obj_to_target);
}

RewardResult WallReward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const Distances m = Measure(env, obs);
  const double near_button =
      Tolerance(m.tcp_to_obj, 0.0, 0.01, m.tcp_to_obj_init, Sigmoid::kLongTail);
  const double pressed =
      Tolerance(m.obj_to_target, 0.0, 0.005, env.state().scalar, Sigmoid::kLongTail);
  double reward;
  if (m.tcp_to_obj > 0.07) {
    const double tcp_status = (1.0 - obs[3]) / 2.0;
    reward = 2.0 * HamacherProduct(tcp_status, near_button);
  } else {
    reward = 2.0;
    reward += 2.0 * (1.0 + obs[3]);
    reward += 4.0 * std::pow(pressed, 2.0);  // Python's float ** 2
  }
  return MakeResult(reward, m.obj_to_target <= 0.03, m.tcp_to_obj <= 0.05, obs[3] > 0, near_button,
                    pressed, m.obj_to_target);
}

constexpr std::array<NamedId, kMaxTaskIds> kButtonIds = {{{mjOBJ_BODY, "box"},
                                                          {mjOBJ_SITE, "hole"},
                                                          {mjOBJ_SITE, "buttonStart"},
                                                          {mjOBJ_BODY, "button"}}};

}  // namespace

const TaskSpec& ButtonPressTask() {
  static const TaskSpec spec = {
      .name = "button-press-v3",
      .xml = "sawyer_button_press.xml",
      .hand_init = kHandInit,
      .vec_dim = 3,
      .vec_low = {-0.1, 0.85, 0.115},
      .vec_high = {0.1, 0.9, 0.115},
      .goal_low = kHandLow,
      .goal_high = kHandHigh,
      .ids = kButtonIds,
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

const TaskSpec& ButtonPressWallTask() {
  static const TaskSpec spec = {
      .name = "button-press-wall-v3",
      .xml = "sawyer_button_press_wall.xml",
      .hand_init = kHandInit,
      .vec_dim = 3,
      .vec_low = {-0.05, 0.85, 0.1149},
      .vec_high = {0.05, 0.9, 0.1151},
      .goal_low = kHandLow,
      .goal_high = kHandHigh,
      .ids = kButtonIds,
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = WallReward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
