// bin-picking-v3 (SawyerBinPickingEnvV3): move a cube from one bin to the
// other.
#include <algorithm>
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kObjBody, kBinGoalBody };
constexpr double kTargetRadius = 0.05;
// TaskState::extra: whether _target_to_obj_init is set, and its value.
constexpr int kInitSet = 0;
constexpr int kInitValue = 1;

// The cube keeps its settled height; the goal is the target bin's position
// (the vector's goal entries are unused). _target_to_obj_init is set at the
// first step.
void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  const double obj_z = env.body_xpos(env.id(kObjBody))[2];
  s.obj_init_pos = {vec[0], vec[1], obj_z};
  SetObjXyz(env, s.obj_init_pos.data());
  const double* bin = env.body_xpos(env.id(kBinGoalBody));
  s.target_pos = {bin[0], bin[1], bin[2]};
  s.extra[kInitSet] = 0.0;
}

void Objects(const SawyerEnv& env, double* out) { BodyPosXquat(env, env.id(kObjBody), out); }

// A pair of funnels around the initial and the target position of the cube
// that keep the hand above the bin walls.
double AboveFloor(const double* hand, const double* obj_init, const double* target) {
  constexpr double kThreshold = 0.03;
  const double radii[2] = {Norm2(hand[0] - obj_init[0], hand[1] - obj_init[1]),
                           Norm2(hand[0] - target[0], hand[1] - target[1])};
  double floor[2];
  for (int i = 0; i < 2; ++i) {
    floor[i] = radii[i] > kThreshold ? 0.02 * std::log(radii[i] - kThreshold) + 0.2 : 0.0;
  }
  const double lowest = floor[1] < floor[0] ? floor[1] : floor[0];  // Python's min
  if (hand[2] >= lowest) return 1.0;
  return Tolerance(std::max(lowest - hand[2], 0.0), 0.0, 0.01, 0.05, Sigmoid::kLongTail);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  TaskState& s = env.state();
  const double* hand = obs;
  const double* obj = obs + 4;
  const double* obj_init = s.obj_init_pos.data();
  const double* target = env.body_xpos(env.id(kBinGoalBody));  // a live view
  const double target_to_obj = Dist3(obj, target);
  if (s.extra[kInitSet] == 0.0) {
    s.extra[kInitSet] = 1.0;
    s.extra[kInitValue] = target_to_obj;
  }
  const double in_place =
      Tolerance(target_to_obj, 0.0, kTargetRadius, s.extra[kInitValue], Sigmoid::kLongTail);
  const double above_floor = AboveFloor(hand, obj_init, target);
  const PyNum grasped = env.GripperCagingReward(action, obj, {0.015, 0.05, 0.01, 0.01, true, 0.7});
  PyNum reward = HamacherProduct(grasped, PyNum{in_place, false});
  const bool near_object = Dist3(obj, hand) < 0.04;
  const bool pinched_without_obj = obs[3] < 0.43;
  const bool lifted = obj[2] - 0.02 > obj_init[2];
  const bool grasp_success = near_object && lifted && !pinched_without_obj;
  if (grasp_success) {
    reward = AddPyFloat(reward, 1.0 + 5.0 * HamacherProduct(above_floor, in_place));
  }
  double value = reward.value;
  if (target_to_obj < kTargetRadius) value = 10.0;
  return MakeResult(value, target_to_obj <= 0.05, near_object, grasp_success, grasped.value,
                    in_place, target_to_obj);
}

}  // namespace

const TaskSpec& BinPickingTask() {
  static const TaskSpec spec = {
      .name = "bin-picking-v3",
      .xml = "sawyer_bin_picking.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .hand_low = {-0.5, 0.40, 0.07},
      .vec_dim = 6,
      .vec_low = {-0.21, 0.65, 0.02, 0.1199, 0.699, -0.001},
      .vec_high = {-0.03, 0.75, 0.02, 0.1201, 0.701, 0.001},
      .goal_low = {0.1199, 0.699, -0.001},
      .goal_high = {0.1201, 0.701, 0.001},
      .ids = {{{mjOBJ_BODY, "obj"}, {mjOBJ_BODY, "bin_goal"}}},
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
