// push-wall-v3 (SawyerPushWallEnvV3): push a puck around a wall to a goal
// behind it; the reward passes through a midpoint beside the wall.
#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kObjGeom, kGoalSite };
constexpr double kTargetRadius = 0.05;

// adjust_initObjPos keeps only the settled objGeom height (read before any
// forward); object and target take the vector's x, y at that height.
void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  const double obj_z = env.geom_xpos(env.id(kObjGeom))[2];
  s.target_pos = {vec[3], vec[4], obj_z};
  s.obj_init_pos = {vec[0], vec[1], obj_z};
  env.SetSitePos(env.id(kGoalSite), s.target_pos.data());
  SetObjXyz(env, s.obj_init_pos.data());
}

void Objects(const SawyerEnv& env, double* out) {
  const int geom = env.id(kObjGeom);
  PoseWithMatrixQuat(env.geom_xpos(geom), env.data()->geom_xmat + 9 * geom, out);
}

// |(p - midpoint) * (3, 1, 1)| with midpoint = (-0.05, 0.77, obj_z).
double ToMidpoint(const double* p, double obj_z) {
  const double d[3] = {(p[0] - -0.05) * 3.0, (p[1] - 0.77) * 1.0, (p[2] - obj_z) * 1.0};
  return Norm3(d);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* action) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double tcp_to_obj = Dist3(obj, tcp);
  const double* target = s.target_pos.data();
  const double obj_to_target = Dist3(obj, target);
  const double in_place_part1 =
      Tolerance(ToMidpoint(obj, obj[2]), 0.0, kTargetRadius,
                ToMidpoint(s.obj_init_pos.data(), obj[2]), Sigmoid::kLongTail);
  const double in_place_part2 = Tolerance(obj_to_target, 0.0, kTargetRadius,
                                          Dist3(s.obj_init_pos.data(), target), Sigmoid::kLongTail);
  const PyNum grasped = env.GripperCagingReward(action, obj, {0.015, 0.05, 0.01, 0.005, true});
  const PyNum twice{2.0 * grasped.value, grasped.f32};  // 2 * x is exact in both
  PyNum reward = twice;
  if (tcp_to_obj < 0.02 && tcp_opened > 0) {
    reward = AddPyFloat(AddPyFloat(twice, 1.0), 4.0 * in_place_part1);
    if (obj[1] > 0.75) {
      reward = AddPyFloat(AddPyFloat(AddPyFloat(twice, 1.0), 4.0), 3.0 * in_place_part2);
    }
  }
  if (obj_to_target < kTargetRadius) reward = PyNum{10.0, false};
  const bool grasp_success =
      env.TouchingObject(env.id(kObjGeom)) && tcp_opened > 0 && obj[2] - 0.02 > s.obj_init_pos[2];
  return MakeResult(reward.value, obj_to_target <= 0.07, tcp_to_obj <= 0.03, grasp_success,
                    grasped.value, in_place_part2, obj_to_target);
}

}  // namespace

const TaskSpec& PushWallTask() {
  static const TaskSpec spec = {
      .name = "push-wall-v3",
      .xml = "sawyer_push_wall_v3.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .vec_dim = 6,
      .vec_low = {-0.05, 0.6, 0.015, -0.05, 0.85, 0.01},
      .vec_high = {0.05, 0.65, 0.015, 0.05, 0.9, 0.02},
      .goal_low = {-0.05, 0.85, 0.01},
      .goal_high = {0.05, 0.9, 0.02},
      .ids = {{{mjOBJ_GEOM, "objGeom"}, {mjOBJ_SITE, "goal"}}},
      .min_planar_gap = 0.15,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
