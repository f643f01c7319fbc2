// pick-place-wall-v3 (SawyerPickPlaceWallEnvV3): grasp a puck, lift it over a
// wall and place it at a goal in the air behind the wall.
#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kObjGeom, kGoalSite };
constexpr double kTargetRadius = 0.05;
constexpr double kInPlaceScaling[3] = {1.0, 1.0, 3.0};

void EditModel(SawyerEnv& env, const double* vec) { env.SetSitePos(env.id(kGoalSite), vec + 3); }

void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.target_pos = {vec[3], vec[4], vec[5]};
  s.obj_init_pos = {vec[0], vec[1], vec[2]};
  SetObjXyz(env, s.obj_init_pos.data());
}

// The puck's geom position (not its body's) and scipy quaternion.
void Objects(const SawyerEnv& env, double* out) {
  const int geom = env.id(kObjGeom);
  PoseWithMatrixQuat(env.geom_xpos(geom), env.data()->geom_xmat + 9 * geom, out);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double* target = s.target_pos.data();
  const double* obj_init = s.obj_init_pos.data();
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double midpoint[3] = {target[0], 0.77, 0.25};
  const double tcp_to_obj = Dist3(obj, tcp);
  const double obj_to_midpoint = ScaledDist3(obj, midpoint, kInPlaceScaling);
  const double obj_to_midpoint_init = ScaledDist3(obj_init, midpoint, kInPlaceScaling);
  const double obj_to_target = Dist3(obj, target);
  const double obj_to_target_init = Dist3(obj_init, target);
  const double in_place1 =
      Tolerance(obj_to_midpoint, 0.0, kTargetRadius, obj_to_midpoint_init, Sigmoid::kLongTail);
  const double in_place2 =
      Tolerance(obj_to_target, 0.0, kTargetRadius, obj_to_target_init, Sigmoid::kLongTail);
  const PyNum grasped = env.GripperCagingReward(action, obj, {0.015, 0.05, 0.01, 0.005, false});
  const PyNum combined = HamacherProduct(grasped, PyNum{in_place1, false});
  double reward = combined.value;
  if (tcp_to_obj < 0.02 && tcp_opened > 0 && obj[2] - 0.015 > obj_init[2]) {
    // Python: combined + 1.0 + 4.0 * in_place1 (left to right).
    reward = AddPyFloat(AddPyFloat(combined, 1.0), 4.0 * in_place1).value;
    if (obj[1] > 0.75) {
      reward = AddPyFloat(AddPyFloat(AddPyFloat(combined, 1.0), 4.0), 3.0 * in_place2).value;
    }
  }
  if (obj_to_target < kTargetRadius) reward = 10.0;
  const bool grasp_success =
      env.TouchingObject(env.id(kObjGeom)) && tcp_opened > 0 && obj[2] - 0.02 > obj_init[2];
  return MakeResult(reward, obj_to_target <= 0.07, tcp_to_obj <= 0.03, grasp_success, grasped.value,
                    in_place2, obj_to_target);
}

}  // namespace

const TaskSpec& PickPlaceWallTask() {
  static const TaskSpec spec = {
      .name = "pick-place-wall-v3",
      .xml = "sawyer_pick_place_wall_v3.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .vec_dim = 6,
      .vec_low = {-0.05, 0.6, 0.015, -0.05, 0.85, 0.05},
      .vec_high = {0.05, 0.65, 0.015, 0.05, 0.9, 0.3},
      .goal_low = {-0.05, 0.85, 0.05},
      .goal_high = {0.05, 0.9, 0.3},
      .ids = {{{mjOBJ_GEOM, "objGeom"}, {mjOBJ_SITE, "goal"}}},
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
