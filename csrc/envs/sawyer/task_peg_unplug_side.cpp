// peg-unplug-side-v3 (SawyerPegUnplugSideEnvV3): pull a plug sideways out of
// a wall socket.
#include <algorithm>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kBoxBody, kGoalSite, kPegEndSite, kPlugBody };
constexpr double kPlugOffset[3] = {0.044, 0.0, 0.131};
constexpr double kGoalOffset[3] = {0.15, 0.0, 0.0};
constexpr double kGoalSpaceOffset[3] = {0.194, 0.0, 0.131};

void Plug(const double* vec, double* out) {
  for (int i = 0; i < 3; ++i) out[i] = vec[i] + kPlugOffset[i];
}

void Target(const double* vec, double* out) {
  Plug(vec, out);
  for (int i = 0; i < 3; ++i) out[i] += kGoalOffset[i];
}

void EditModel(SawyerEnv& env, const double* vec) {
  env.SetBodyPos(env.id(kBoxBody), vec);
  double target[3];
  Target(vec, target);
  env.SetSitePos(env.id(kGoalSite), target);
}

// The task's own _set_obj_xyz: plug position, identity orientation, zero
// linear velocity (qvel[9:12] only), then set_state's mj_forward.
void Reset(SawyerEnv& env, const double* vec) {
  mjData* d = env.data();
  Plug(vec, d->qpos + 9);
  const double identity[4] = {1.0, 0.0, 0.0, 0.0};
  std::copy(identity, identity + 4, d->qpos + 12);
  std::fill(d->qvel + 9, d->qvel + 12, 0.0);
  env.Forward();
  TaskState& s = env.state();
  const double* end = env.site_xpos(env.id(kPegEndSite));
  s.obj_init_pos = {end[0], end[1], end[2]};
  Target(vec, s.target_pos.data());
}

void Objects(const SawyerEnv& env, double* out) {
  const double* pos = env.site_xpos(env.id(kPegEndSite));
  std::copy(pos, pos + 3, out);
  const double* quat = env.data()->xquat + 4 * env.id(kPlugBody);
  std::copy(quat, quat + 4, out + 3);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_obj = Dist3(obj, tcp);
  const double obj_to_target = Dist3(obj, s.target_pos.data());
  CagingParams caging{0.025, 0.05, 0.01, 0.005, true};
  caging.desired_gripper_effort = 0.8;
  const PyNum grasped = env.GripperCagingReward(action, obj, caging);
  const double margin = Dist3(s.obj_init_pos.data(), s.target_pos.data());
  const double in_place = Tolerance(obj_to_target, 0.0, 0.05, margin, Sigmoid::kLongTail);
  const bool grasp_success = tcp_opened > 0.5 && obj[0] - s.obj_init_pos[0] > 0.015;
  double reward;
  if (grasped.f32) {
    const float g = static_cast<float>(grasped.value);
    reward = 2.0f * g;
    if (grasp_success && tcp_to_obj < 0.035) {
      reward = (1.0f + 2.0f * g) + static_cast<float>(5.0 * in_place);
    }
  } else {
    reward = 2.0 * grasped.value;
    if (grasp_success && tcp_to_obj < 0.035) reward = 1.0 + 2.0 * grasped.value + 5.0 * in_place;
  }
  if (obj_to_target <= 0.05) reward = 10.0;
  return MakeResult(reward, obj_to_target <= 0.07, tcp_to_obj <= 0.03, grasp_success, grasped.value,
                    in_place, obj_to_target);
}

}  // namespace

const TaskSpec& PegUnplugSideTask() {
  static const TaskSpec spec = {
      .name = "peg-unplug-side-v3",
      .xml = "sawyer_peg_unplug_side.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .vec_dim = 3,
      .vec_low = {-0.25, 0.6, -0.001},
      .vec_high = {-0.15, 0.8, 0.001},
      .goal_low = {-0.25 + kGoalSpaceOffset[0], 0.6 + kGoalSpaceOffset[1],
                   -0.001 + kGoalSpaceOffset[2]},
      .goal_high = {-0.15 + kGoalSpaceOffset[0], 0.8 + kGoalSpaceOffset[1],
                    0.001 + kGoalSpaceOffset[2]},
      .ids = {{{mjOBJ_BODY, "box"},
               {mjOBJ_SITE, "goal"},
               {mjOBJ_SITE, "pegEnd"},
               {mjOBJ_BODY, "plug1"}}},
      // The socket moves with the vector; the plug starts in the XML socket
      // and settles against the moved one.
      .settle_depends_on_vector = true,
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
