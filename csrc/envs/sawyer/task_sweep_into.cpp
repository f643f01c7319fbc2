// sweep-into-v3 (SawyerSweepIntoGoalEnvV3): sweep a block into a hole in the
// table.
#include "envs/sawyer/task_util.h"
#include "envs/sawyer/tasks.h"

namespace ctpg {
namespace sawyer {
namespace {

enum Id { kObjBody, kObjGeom };
constexpr double kTargetRadius = 0.05;
constexpr Vec3 kGoal = {0.0, 0.84, 0.02};  // self.goal: the target, whatever the vector

// MetaWorld redraws while the block starts within 0.15 of the fixed goal.
bool Accept(const double* vec) { return !(Norm2(vec[0] - kGoal[0], vec[1] - kGoal[1]) < 0.15); }

void Reset(SawyerEnv& env, const double* vec) {
  TaskState& s = env.state();
  s.target_pos = kGoal;
  // The block's height after settling (obj_init_pos aliases its xpos then).
  const double obj_z = env.body_xpos(env.id(kObjBody))[2];
  s.obj_init_pos = {vec[0], vec[1], obj_z};
  SetObjXyz(env, s.obj_init_pos.data());
}

void Objects(const SawyerEnv& env, double* out) {
  PoseWithMatrixQuat(env.body_xpos(env.id(kObjBody)), env.data()->geom_xmat + 9 * env.id(kObjGeom),
                     out);
}

RewardResult Reward(SawyerEnv& env, const double* obs, const float* /*action*/) {
  const TaskState& s = env.state();
  const double* obj = obs + 4;
  const double tcp_opened = obs[3];
  double tcp[3];
  env.TcpCenter(tcp);
  const double target[3] = {s.target_pos[0], s.target_pos[1], obj[2]};
  const double obj_to_target = Dist3(obj, target);
  const double tcp_to_obj = Dist3(obj, tcp);
  const double margin = Dist3(s.obj_init_pos.data(), target);
  const double in_place = Tolerance(obj_to_target, 0.0, kTargetRadius, margin, Sigmoid::kLongTail);
  const double grasped = PadGrippingCagingReward(env, obj, {0.02, 0.005, 0.01});
  const double in_place_and_grasped = HamacherProduct(grasped, in_place);
  double reward = (2 * grasped) + (6 * in_place_and_grasped);
  if (obj_to_target < kTargetRadius) reward = 10.0;
  const bool grasp_success = env.TouchingObject(env.id(kObjGeom)) && tcp_opened > 0;
  return MakeResult(reward, obj_to_target <= 0.05, tcp_to_obj <= 0.03, grasp_success, grasped,
                    in_place, obj_to_target);
}

}  // namespace

const TaskSpec& SweepIntoTask() {
  static const TaskSpec spec = {
      .name = "sweep-into-v3",
      .xml = "sawyer_table_with_hole.xml",
      .hand_init = {0.0, 0.6, 0.2},
      .vec_dim = 6,
      .vec_low = {-0.1, 0.6, 0.02, -0.001, 0.8399, 0.0199},
      .vec_high = {0.1, 0.7, 0.02, 0.001, 0.8401, 0.0201},
      .goal_low = {-0.001, 0.8399, 0.0199},
      .goal_high = {0.001, 0.8401, 0.0201},
      .ids = {{{mjOBJ_BODY, "obj"}, {mjOBJ_GEOM, "objGeom"}}},
      .accept = Accept,
      .reset = Reset,
      .objects = Objects,
      .reward = Reward,
  };
  return spec;
}

}  // namespace sawyer
}  // namespace ctpg
