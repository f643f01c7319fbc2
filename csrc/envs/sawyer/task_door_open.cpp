// door-open-v3 (SawyerDoorEnvV3): pull a hinged door open by its handle.
#include <algorithm>
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kDoorBody, kGoalSite, kHandleGeom, kDoorJoint };
constexpr double kGoalOffset[3] = {-0.3, -0.45, 0.0};
constexpr double kPi = 3.141592653589793;

void Target(const double* vec, double* out) {
  for (int i = 0; i < 3; ++i) out[i] = vec[i] + kGoalOffset[i];
}

void EditModel(SawyerEnv& env, const double* vec) {
  PlaceBodyAndGoal(env, env.id(kDoorBody), env.id(kGoalSite), vec, kGoalOffset);
}

void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  Target(vec, s.target_pos.data());
  const int joint = env.id(kDoorJoint);
  SetJointAndForward(env, env.model()->jnt_qposadr[joint], env.model()->jnt_dofadr[joint], 0.0);
}

void Objects(const SawyerEnv& env, double* out) {
  const int geom = env.id(kHandleGeom);
  PoseWithMatrixQuat(env.geom_xpos(geom), env.data()->geom_xmat + 9 * geom, out);
}

// SawyerDoorEnvV3._reward_pos: (ready_to_open, opened).
void RewardPos(const double* obs, double theta, double* ready, double* opened) {
  const double* hand = obs;
  const double door[3] = {obs[4] + -0.05, obs[5] + 0.0, obs[6] + 0.0};
  constexpr double kThreshold = 0.12;
  const double radius = Norm2(hand[0] - door[0], hand[1] - door[1]);
  const double floor = radius <= kThreshold ? 0.0 : 0.04 * std::log(radius - kThreshold) + 0.4;
  const double above_floor =
      hand[2] >= floor ? 1.0
                       : Tolerance(floor - hand[2], 0.0, 0.01, floor / 2.0, Sigmoid::kLongTail);
  const double offset[3] = {hand[0] - door[0] - 0.05, hand[1] - door[1] - 0.03,
                            hand[2] - door[2] - -0.01};
  const double in_place = Tolerance(Norm3(offset), 0.0, kThreshold / 2.0, 0.5, Sigmoid::kLongTail);
  *ready = HamacherProduct(above_floor, in_place);
  const double door_angle = -theta;
  *opened =
      0.2 * static_cast<double>(theta < -kPi / 90.0) +
      0.8 * Tolerance(kPi / 2.0 + kPi / 6 - door_angle, 0.0, 0.5, kPi / 3.0, Sigmoid::kLongTail);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  const double theta = env.data()->qpos[env.model()->jnt_qposadr[env.id(kDoorJoint)]];
  const float effort = std::min(std::max(action[3], -1.0f), 1.0f);
  const double grab = static_cast<double>((effort + 1.0f) / 2.0f);
  double ready, opened;
  RewardPos(obs, theta, &ready, &opened);
  double reward = 2.0 * HamacherProduct(ready, grab) + 8.0 * opened;
  const bool success = std::abs(obs[4] - env.state().target_pos[0]) <= 0.08;
  if (success) reward = 10.0;
  return MakeResult(reward, success, ready, grab >= 0.5, grab, opened, 0.0);
}

}  // namespace

const TaskSpec& DoorOpenTask() {
  static const TaskSpec spec = {
      .name = "door-open-v3",
      .xml = "sawyer_door_pull.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .vec_dim = 3,
      .vec_low = {0.0, 0.85, 0.15},
      .vec_high = {0.1, 0.95, 0.15},
      .goal_low = {-0.3, 0.4, 0.1499},
      .goal_high = {-0.2, 0.5, 0.1501},
      .ids = {{{mjOBJ_BODY, "door"},
               {mjOBJ_SITE, "goal"},
               {mjOBJ_GEOM, "handle"},
               {mjOBJ_JOINT, "doorjoint"}}},
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
