// faucet-open-v3 and faucet-close-v3 (SawyerFaucetOpenEnvV3 /
// SawyerFaucetCloseEnvV3): one faucet model; turn the handle either way.
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kFaucetBody, kGoalSite, kHandleSite };
constexpr double kHandleLength = 0.175;
constexpr double kTargetRadius = 0.07;
constexpr double kReachRadius = 0.01;
constexpr Vec3 kHandInit = {0.0, 0.4, 0.2};
constexpr Vec3 kFaucetHandLow = {-0.5, 0.40, -0.15};

void Target(const double* vec, double handle_x, double* out) {
  const double offset[3] = {handle_x, 0.0, 0.125};
  for (int i = 0; i < 3; ++i) out[i] = vec[i] + offset[i];
}

void OpenEditModel(SawyerEnv& env, const double* vec) {
  env.SetBodyPos(env.id(kFaucetBody), vec);
  double target[3];
  Target(vec, +kHandleLength, target);
  env.SetSitePos(env.id(kGoalSite), target);
}

void CloseEditModel(SawyerEnv& env, const double* vec) {
  env.SetBodyPos(env.id(kFaucetBody), vec);
  double target[3];
  Target(vec, -kHandleLength, target);
  env.SetSitePos(env.id(kGoalSite), target);
}

// Open: no forward after the model edit (the observation reads the
// kinematics of the last settling substep).
void OpenReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  Target(vec, +kHandleLength, s.target_pos.data());
}

// Close: mj_forward after the model edit.
void CloseReset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  Target(vec, -kHandleLength, s.target_pos.data());
  env.Forward();
}

void Objects(const SawyerEnv& env, double* out) {
  const double* handle = env.site_xpos(env.id(kHandleSite));
  out[0] = handle[0] + 0.0;
  out[1] = handle[1] + 0.0;
  out[2] = handle[2] + -0.01;
  const double* quat = env.data()->xquat + 4 * env.id(kFaucetBody);
  for (int i = 0; i < 4; ++i) out[3 + i] = quat[i];
}

// The shared v2 reward on the handle position `obj`.
RewardResult FaucetReward(SawyerEnv& env, const double* obj) {
  const TaskState& s = env.state();
  const double* target = s.target_pos.data();
  double tcp[3];
  env.TcpCenter(tcp);
  const double target_to_obj = Dist3(obj, target);
  const double target_to_obj_init = Dist3(s.obj_init_pos.data(), target);
  const double in_place =
      Tolerance(target_to_obj, 0.0, kTargetRadius, std::abs(target_to_obj_init - kTargetRadius),
                Sigmoid::kLongTail);
  const double tcp_to_obj = Dist3(obj, tcp);
  const double tcp_to_obj_init = Dist3(s.obj_init_pos.data(), s.init_tcp.data());
  const double reach = Tolerance(tcp_to_obj, 0.0, kReachRadius,
                                 std::abs(tcp_to_obj_init - kReachRadius), Sigmoid::kGaussian);
  double reward = (2.0 * reach + 3.0 * in_place) * 2.0;
  if (target_to_obj <= kTargetRadius) reward = 10.0;
  return MakeResult(reward, target_to_obj <= kTargetRadius, tcp_to_obj <= kReachRadius, 1.0, reach,
                    in_place, target_to_obj);
}

// Open measures the handle at obs[4:7] + (-0.04, 0, 0.03).
RewardResult OpenReward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const double obj[3] = {obs[4] + -0.04, obs[5] + 0.0, obs[6] + 0.03};
  return FaucetReward(env, obj);
}

RewardResult CloseReward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  return FaucetReward(env, obs + 4);
}

}  // namespace

const TaskSpec& FaucetOpenTask() {
  static const TaskSpec spec = {
      .name = "faucet-open-v3",
      .xml = "sawyer_faucet.xml",
      .hand_init = kHandInit,
      .hand_low = kFaucetHandLow,
      .vec_dim = 3,
      .vec_low = {-0.05, 0.8, 0.0},
      .vec_high = {0.05, 0.85, 0.0},
      .goal_low = kFaucetHandLow,
      .goal_high = kHandHigh,
      .ids = {{{mjOBJ_BODY, "faucetBase"},
               {mjOBJ_SITE, "goal_open"},
               {mjOBJ_SITE, "handleStartOpen"}}},
      .edit_model = OpenEditModel,
      .reset = OpenReset,
      .objects = Objects,
      .reward = OpenReward,
  };
  return spec;
}

const TaskSpec& FaucetCloseTask() {
  static const TaskSpec spec = {
      .name = "faucet-close-v3",
      .xml = "sawyer_faucet.xml",
      .hand_init = kHandInit,
      .hand_low = kFaucetHandLow,
      .vec_dim = 3,
      .vec_low = {-0.1, 0.8, 0.0},
      .vec_high = {0.1, 0.85, 0.0},
      .goal_low = kFaucetHandLow,
      .goal_high = kHandHigh,
      .ids = {{{mjOBJ_BODY, "faucetBase"},
               {mjOBJ_SITE, "goal_close"},
               {mjOBJ_SITE, "handleStartClose"}}},
      .edit_model = CloseEditModel,
      .reset = CloseReset,
      .objects = Objects,
      .reward = CloseReward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
