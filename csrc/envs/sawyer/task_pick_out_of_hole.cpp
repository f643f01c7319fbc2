// pick-out-of-hole-v3 (SawyerPickOutOfHoleEnvV3): grasp a cylinder sunk in a
// hole in the table and lift it to a goal in the air.
#include <algorithm>
#include <cmath>

#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kObjBody, kGoalSite };
// MetaWorld declares _TARGET_RADIUS = 0.02 but tests self.TARGET_RADIUS, the
// base class's 0.05, for the reward of 10.
constexpr double kSuccessRewardRadius = 0.05;

void EditModel(SawyerEnv& env, const double* vec) { env.SetSitePos(env.id(kGoalSite), vec + 3); }

void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  SetObjXyz(env, s.obj_init_pos.data());
  s.target_pos = {vec[3], vec[4], vec[5]};
}

void Objects(const SawyerEnv& env, double* out) { BodyPosXquat(env, env.id(kObjBody), out); }

// A funnel around the object's initial position that keeps the hand off the
// edge of the hole: 1 above the floor, a long-tail falloff below.
double AboveFloor(const double* tcp, const double* obj_init) {
  constexpr double kThreshold = 0.03;
  const double radius = Norm2(tcp[0] - obj_init[0], tcp[1] - obj_init[1]);
  const double floor = radius <= kThreshold ? 0.0 : 0.015 * std::log(radius - kThreshold) + 0.15;
  if (tcp[2] >= floor) return 1.0;
  return Tolerance(std::max(floor - tcp[2], 0.0), 0.0, 0.01, 0.02, Sigmoid::kLongTail);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double* obj_init = s.obj_init_pos.data();
  double tcp[3];
  env.TcpCenter(tcp);
  const double obj_to_target = Dist3(obj, s.target_pos.data());
  const double tcp_to_obj = Dist3(obj, tcp);
  const double in_place_margin = Dist3(obj_init, s.target_pos.data());
  const double above_floor = AboveFloor(tcp, obj_init);
  const PyNum grasped = env.GripperCagingReward(action, obj, {0.015, 0.02, 0.01, 0.03, true, 0.1});
  const double in_place = Tolerance(obj_to_target, 0.0, 0.02, in_place_margin, Sigmoid::kLongTail);
  PyNum reward = HamacherProduct(grasped, PyNum{in_place, false});
  const bool near_object = tcp_to_obj < 0.04;
  const bool pinched_without_obj = obs[3] < 0.33;
  const bool lifted = obj[2] - 0.02 > obj_init[2];
  const bool grasp_success = near_object && lifted && !pinched_without_obj;
  if (grasp_success) {
    reward = AddPyFloat(reward, 1.0 + 5.0 * HamacherProduct(in_place, above_floor));
  }
  double value = reward.value;
  if (obj_to_target < kSuccessRewardRadius) value = 10.0;
  return MakeResult(value, obj_to_target <= 0.07, tcp_to_obj <= 0.03, grasp_success, grasped.value,
                    in_place, obj_to_target);
}

}  // namespace

const TaskSpec& PickOutOfHoleTask() {
  static const TaskSpec spec = {
      .name = "pick-out-of-hole-v3",
      .xml = "sawyer_pick_out_of_hole.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .hand_low = {-0.5, 0.40, -0.05},
      .vec_dim = 6,
      .vec_low = {0.0, 0.75, 0.02, -0.1, 0.5, 0.15},
      .vec_high = {0.0, 0.75, 0.02, 0.1, 0.6, 0.3},
      .goal_low = {-0.1, 0.5, 0.15},
      .goal_high = {0.1, 0.6, 0.3},
      .ids = {{{mjOBJ_BODY, "obj"}, {mjOBJ_SITE, "goal"}}},
      .min_planar_gap = 0.15,
      .edit_model = EditModel,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
